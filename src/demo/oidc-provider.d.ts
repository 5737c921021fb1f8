// Minimal local typing of the parts of oidc-provider 9 (ships no types) that the demo uses.
// Kept to what src/demo calls; widen it only together with the code that needs it.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderClient {
    readonly clientId: string;
    backchannelLogout(sub: string, sid: string): Promise<void>;
  }

  export interface ProviderAccount {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface ProviderConfiguration {
    jwks?: { keys: readonly Record<string, unknown>[] };
    clients?: readonly Record<string, unknown>[];
    cookies?: { keys?: readonly string[] };
    features?: Record<string, unknown>;
    responseTypes?: readonly string[];
    claims?: Record<string, readonly string[] | null>;
    scopes?: readonly string[];
    ttl?: Record<string, number>;
    pkce?: { required?: () => boolean };
    findAccount?: (ctx: unknown, sub: string) => Promise<ProviderAccount | undefined>;
    fetch?: (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>;
    enabledJWA?: Record<string, readonly string[]>;
    [option: string]: unknown;
  }

  /** Thrown from configuration hooks; the provider turns it into an OAuth error response. */
  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export default class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration);
    readonly issuer: string;
    readonly Client: { find(id: string): Promise<ProviderClient | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
