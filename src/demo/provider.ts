import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderConfiguration } from 'oidc-provider';
import { freshKeyPair } from './fresh-key-pair.js';

/**
 * An embedded OpenID Provider (oidc-provider, a certified OP) on 127.0.0.1 for the demo and the
 * end-to-end tests. Demo use only: in-memory storage, development interactions (any login and
 * password), keys generated at start.
 */

/** Signing algorithms the demo provider can be configured with. */
export type DemoAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export const DEMO_ALGORITHMS: readonly DemoAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** A private JWK as given to the provider (and to tests that re-sign mutated claims). */
export interface PrivateJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: DemoAlgorithm;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

export interface DemoProviderOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Algorithm of ID tokens, JWT access tokens and logout tokens. Default RS256. */
  readonly alg?: DemoAlgorithm;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Never served: the flow reads the code from the `Location` header. */
  readonly redirectUri?: string;
  /** Resource indicator (RFC 8707) whose access tokens are JWTs (RFC 9068). */
  readonly resource?: string;
  /** Where the provider POSTs back-channel logout tokens. */
  readonly backchannelLogoutUri?: string;
  /** Hide oidc-provider's development-mode notices (they are kept in {@link hiddenNotices}). */
  readonly quiet?: boolean;
}

/** What a client needs to run a flow against the provider (see flow.ts). */
export interface DemoClient {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

export interface DemoProvider {
  readonly issuer: string;
  /** The demo client's registration: spread it into a flow's options. */
  readonly client: DemoClient;
  readonly port: number;
  readonly alg: DemoAlgorithm;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly resource: string;
  /** The API scope granted for {@link resource}. */
  readonly resourceScope: string;
  readonly jwksUri: string;
  /** kid of the key that signs now. */
  readonly signingKid: string;
  /** The private keys the provider holds, signing key first. */
  privateJwks(): PrivateJwk[];
  /** The public JWKS the provider serves. */
  publicJwks(): { keys: Record<string, unknown>[] };
  /**
   * Rotation step 1: restarts the provider on the same port with a new signing key first and the
   * old keys kept for verification. Returns the new key.
   */
  rotateKeys(): Promise<PrivateJwk>;
  /** Rotation step 2: restarts with the signing key only; the older keys are gone from the JWKS. */
  retireOldKeys(): Promise<void>;
  /** Makes the provider send a back-channel logout token for `sub` / `sid` to the client. */
  backchannelLogout(sub: string, sid: string): Promise<void>;
  close(): Promise<void>;
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']);

/** RFC 7638 thumbprint: a stable kid that changes with the key. */
function thumbprint(jwk: Record<string, unknown>): string {
  const members = jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Generates one signing key for `alg` with node:crypto and exports it as a private JWK. */
export async function generateSigningKey(alg: DemoAlgorithm): Promise<PrivateJwk> {
  const { privateKey } =
    alg === 'ES256'
      ? freshKeyPair('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? freshKeyPair('ed25519')
        : freshKeyPair('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kty: String(jwk.kty), kid: thumbprint(jwk), alg, use: 'sig' };
}

export function publicJwk(jwk: PrivateJwk): Record<string, unknown> {
  return Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.has(k)));
}

// ---- oidc-provider's development notices -------------------------------------------------------

const NOTICE = /^(?:\x1b\[[\d;]*m)?oidc-provider (?:NOTICE|WARNING): /;
const hidden: string[] = [];
let filtering = false;

/** Notices oidc-provider printed while quiet (development mode, Node 20 runtime). */
export function hiddenNotices(): readonly string[] {
  return hidden;
}

function hideNotices(): void {
  if (filtering) return;
  filtering = true;
  for (const method of ['warn', 'info'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && NOTICE.test(args[0])) {
        hidden.push(args[0].replace(/\x1b\[[\d;]*m/g, ''));
        return;
      }
      original(...args);
    };
  }
}

// ---- the provider ----------------------------------------------------------------------------

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts the provider: listens on 127.0.0.1 first (the issuer must carry the real port), then
 * builds the Provider with issuer `http://127.0.0.1:PORT`.
 */
export async function startDemoProvider(options: DemoProviderOptions = {}): Promise<DemoProvider> {
  if (options.quiet) hideNotices();
  // Imported lazily so the quiet filter also catches the notice printed at import time.
  const { default: Provider, errors } = await import('oidc-provider');
  const alg = options.alg ?? 'RS256';
  if (!DEMO_ALGORITHMS.includes(alg)) throw new Error(`unsupported demo alg ${String(alg)}`);
  const clientId = options.clientId ?? 'demo-client';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const cookieKeys = [randomBytes(32).toString('base64url')];

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handler(req, res));
  const port = await listen(server, options.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;
  const redirectUri = options.redirectUri ?? `${issuer}/demo/callback`;
  const resource = options.resource ?? 'urn:oidc-verifier:demo-api';
  const resourceScope = 'api:read';

  let keys: PrivateJwk[] = [await generateSigningKey(alg)];

  function configuration(): ProviderConfiguration {
    return {
      jwks: { keys },
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [redirectUri],
          // No grant_types: the provider derives them, and an http loopback redirect URI stays allowed.
          response_types: ['code', 'code id_token', 'code id_token token'],
          token_endpoint_auth_method: 'client_secret_basic',
          id_token_signed_response_alg: alg,
          post_logout_redirect_uris: [`${issuer}/demo/logged-out`],
          ...(options.backchannelLogoutUri !== undefined
            ? { backchannel_logout_uri: options.backchannelLogoutUri, backchannel_logout_session_required: true }
            : {}),
        },
      ],
      responseTypes: ['code', 'code id_token', 'code id_token token'],
      cookies: { keys: cookieKeys },
      pkce: { required: () => true },
      // Explicit lifetimes (seconds); the provider's defaults would print a notice each.
      ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
      scopes: ['openid', 'profile', 'email', 'offline_access', resourceScope],
      claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
      async findAccount(_ctx: unknown, sub: string) {
        return {
          accountId: sub,
          claims: () => ({ sub, name: `Demo user ${sub}`, email: `${sub}@example.org`, email_verified: true }),
        };
      },
      features: {
        devInteractions: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
        backchannelLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => undefined,
          useGrantedResource: () => true,
          getResourceServerInfo(_ctx: unknown, indicator: string) {
            if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
            return { scope: resourceScope, audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg } } };
          },
        },
      },
      // The provider refuses loopback targets by default (SSRF guard); the demo's RP is on loopback.
      fetch: (url, { dispatcher: _dispatcher, ...init }) => globalThis.fetch(url, init),
    };
  }

  let provider = new Provider(issuer, configuration());
  handler = provider.callback();

  /**
   * oidc-provider cannot change keys while running, so a rotation starts a new Provider with the
   * new key set on the same port: the listener stays, the request handler is swapped. Sessions and
   * grants live in oidc-provider's process-wide memory adapter, and the cookie keys are kept, so
   * both instances share state.
   */
  function restart(): void {
    provider = new Provider(issuer, configuration());
    handler = provider.callback();
  }

  return {
    issuer,
    client: { issuer, clientId, clientSecret, redirectUri },
    port,
    alg,
    clientId,
    clientSecret,
    redirectUri,
    resource,
    resourceScope,
    jwksUri: `${issuer}/jwks`,
    get signingKid() {
      return keys[0]!.kid;
    },
    privateJwks: () => keys.map((k) => ({ ...k })),
    publicJwks: () => ({ keys: keys.map(publicJwk) }),
    async rotateKeys() {
      const fresh = await generateSigningKey(alg);
      keys = [fresh, ...keys];
      restart();
      return fresh;
    },
    async retireOldKeys() {
      keys = [keys[0]!];
      restart();
    },
    async backchannelLogout(sub, sid) {
      const client = await provider.Client.find(clientId);
      if (client === undefined) throw new Error(`client ${clientId} not found`);
      await client.backchannelLogout(sub, sid);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
