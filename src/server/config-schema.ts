import type { BlockList } from 'node:net';
import type { Algorithm } from '../jose/algorithms.js';
import type { DpopMode } from '../http/verify-request.js';

/**
 * The gateway's configuration file (JSON) as written, and the same after validation
 * (`resolveGatewayConfig`): the shapes only.
 */

/** A secret named by where it lives: an environment variable, or a file (path relative to the config file). */
export type SecretRef = { readonly env: string } | { readonly file: string };

/** One trusted issuer of the gateway's config. */
export interface GatewayIssuerConfig {
  /** The exact `iss` value. */
  readonly issuer: string;
  /** The resource server's identifier(s) expected in `aud` (RFC 9068 §4). */
  readonly audience: string | readonly string[];
  /** Allowed JWS algorithms. Default: every asymmetric algorithm. */
  readonly algorithms?: readonly string[];
  /** JWKS URL; without it, OpenID Connect Discovery on `issuer`. */
  readonly jwksUri?: string;
}

/** One route rule: which requests it matches and what they need. */
export interface GatewayRouteConfig {
  /** A name for metrics and logs. Default: the route's index. */
  readonly name?: string;
  /** HTTP methods (case-sensitive). Default: every method. */
  readonly methods?: readonly string[];
  /** A segment-aware path prefix. */
  readonly path?: string;
  /** A JavaScript RegExp source tested against the path (no query). */
  readonly pattern?: string;
  /** `true`: public, no token needed. */
  readonly allow?: true;
  /** Every one of these scopes is required. */
  readonly scopes?: readonly string[];
  /** Claims that must have these values (or contain them, for array claims). */
  readonly claims?: Readonly<Record<string, string | number | boolean>>;
}

/** The configuration file as written (JSON). */
export interface GatewayConfig {
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly trustedProxies?: readonly string[];
  readonly publicOrigin?: string;
  readonly tokenType?: 'access';
  readonly issuers: readonly GatewayIssuerConfig[];
  readonly dpop?: DpopMode;
  readonly clockTolerance?: number;
  readonly timeout?: number;
  readonly realm?: string;
  readonly introspection?: {
    readonly issuer?: string;
    readonly endpoint?: string;
    readonly clientId: string;
    readonly clientSecret: SecretRef;
    readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
    readonly audience?: string | readonly string[];
    readonly cache?: { readonly ttl: number; readonly maxEntries?: number };
    readonly use?: 'opaque' | 'always';
  };
  readonly redis?: { readonly url: string | SecretRef; readonly prefix?: string; readonly timeout?: number };
  readonly routes?: readonly GatewayRouteConfig[];
  readonly defaultRoute?: 'authenticate' | 'deny';
  readonly identityHeaders?: {
    readonly subject?: string | false;
    readonly clientId?: string | false;
    readonly scope?: string | false;
    readonly issuer?: string | false;
    readonly claims?: string | false;
  };
  readonly failClosedStatus?: number;
  readonly drainTimeout?: number;
  readonly envoy?: { readonly pathPrefix?: string };
}

/** A route after validation: `path` and `claims` as written, the rest compiled or defaulted. */
export interface ResolvedRoute extends Pick<GatewayRouteConfig, 'path' | 'claims'> {
  /** Metrics/log label: the route's name or its index. */
  readonly label: string;
  readonly methods?: ReadonlySet<string>;
  readonly pattern?: RegExp;
  readonly allow: boolean;
  readonly scopes: readonly string[];
}

type IntrospectionConfig = NonNullable<GatewayConfig['introspection']>;

/** The configuration after validation, defaults applied and secrets read. */
export interface ResolvedGatewayConfig {
  readonly listen: { readonly host?: string; readonly port?: number };
  readonly trustedProxies: BlockList;
  readonly publicOrigin?: string;
  readonly issuers: readonly {
    issuer: string;
    audience: string | readonly string[];
    algorithms?: readonly Algorithm[];
    jwksUri?: string;
  }[];
  readonly dpop: DpopMode;
  readonly clockTolerance?: number;
  readonly timeout?: number;
  readonly realm?: string;
  /** As written, with the secret read and `use` defaulted. */
  readonly introspection?: Omit<IntrospectionConfig, 'clientSecret' | 'use'> & {
    readonly clientSecret: string;
    readonly use: NonNullable<IntrospectionConfig['use']>;
  };
  readonly redis?: { readonly url: string; readonly prefix: string; readonly timeout: number };
  readonly routes: readonly ResolvedRoute[];
  readonly defaultRoute: 'authenticate' | 'deny';
  readonly identityHeaders: {
    readonly subject?: string;
    readonly clientId?: string;
    readonly scope?: string;
    readonly issuer?: string;
    readonly claims?: string;
  };
  readonly failClosedStatus: number;
  readonly drainTimeout: number;
  readonly envoyPrefix: string;
}

/** Where secrets are read from. */
export interface ConfigSources {
  /** Directory `{ "file": ... }` paths are relative to. Default the working directory. */
  readonly baseDir?: string;
  /** Environment for `{ "env": ... }`. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}
