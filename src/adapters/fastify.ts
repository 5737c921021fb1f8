/**
 * Fastify 5 plugin over {@link Verifier.verifyRequest}. Only types come from Fastify; the plugin
 * is marked `skip-override` (what `fastify-plugin` does), so its decorators reach the scope that
 * registered it without a runtime dependency on `fastify-plugin`.
 *
 * @example
 * import { oidcVerifier } from 'oidc-verifier/fastify';
 * await app.register(oidcVerifier, { verifier, realm: 'api' });
 * app.get('/items', { preHandler: app.requireToken({ requiredScopes: ['read:items'] }) }, async (request) =>
 *   ({ sub: request.auth?.payload.sub }));
 * @packageDocumentation
 */
import '../concurrency/node-platform.js';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Verifier } from '../http/request-verifier.js';
import type { PlainRequest } from '../http/http-request.js';
import { checkRequestOptions, mergeRequestOptions, type VerifiedRequest, type VerifyRequestOptions } from '../http/verify-request.js';
import { VerifyError } from '../errors.js';

/** A route's `preHandler`: verifies the token and sets `request.auth`. */
export type TokenPreHandler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified bearer token, set by the `requireToken` preHandler of `oidc-verifier/fastify`; null before it ran. */
    auth: VerifiedRequest | null;
  }
  interface FastifyInstance {
    /**
     * A `preHandler` for one route: the plugin's options plus `options` (scopes and `claims`
     * checks add up). Registered by the `oidc-verifier/fastify` plugin.
     */
    requireToken(options?: VerifyRequestOptions): TokenPreHandler;
  }
}

/** Options of the plugin: the shared verifier, and defaults for every route. */
export interface OidcVerifierPluginOptions extends VerifyRequestOptions {
  readonly verifier: Verifier;
}

/**
 * A standalone `preHandler` (no plugin needed): verifies with the shared `verifier` and sets
 * `request.auth`. Failures are thrown as `RequestError`s with `status` and `headers`, which
 * Fastify's error path answers with (status and `WWW-Authenticate`); `setErrorHandler` can
 * reshape the body. Options are checked now: bad ones throw `ERR_CONFIG`.
 */
export function requireToken(verifier: Verifier, options: VerifyRequestOptions = {}): TokenPreHandler {
  checkRequestOptions(options);
  return async function verifyToken(request) {
    // rawHeaders lets repeated Authorization and DPoP headers be seen; body is Fastify's parsed
    // body; the socket tells a TLS connection (the scheme of the DPoP proof URL).
    const view: PlainRequest & { rawHeaders: string[]; socket: unknown } = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawHeaders: request.raw.rawHeaders,
      socket: request.raw.socket,
      body: request.body,
    };
    request.auth = await verifier.verifyRequest(view, options);
  };
}

/**
 * The plugin: decorates `request.auth` (null until verified) and `fastify.requireToken(options)`.
 * Encapsulation-safe: registered once at the root, every child scope sees the decorators.
 */
export const oidcVerifier: FastifyPluginCallback<OidcVerifierPluginOptions> = (fastify, options, done) => {
  const { verifier, ...defaults } = options;
  if (typeof verifier !== 'object' || verifier === null || typeof verifier.verifyRequest !== 'function') {
    done(new VerifyError('ERR_CONFIG', 'the oidc-verifier Fastify plugin needs a "verifier" option (createVerifier)'));
    return;
  }
  try {
    checkRequestOptions(defaults);
  } catch (err) {
    done(err as Error);
    return;
  }
  fastify.decorateRequest('auth', null);
  fastify.decorate('requireToken', (route?: VerifyRequestOptions) => requireToken(verifier, mergeRequestOptions(defaults, route)));
  done();
};

// What fastify-plugin sets: no new encapsulation context, a name for errors and fastify.printPlugins().
const meta = oidcVerifier as unknown as Record<symbol, unknown>;
meta[Symbol.for('skip-override')] = true;
meta[Symbol.for('fastify.display-name')] = 'oidc-verifier';
meta[Symbol.for('plugin-meta')] = { fastify: '5.x', name: 'oidc-verifier' };

export type { VerifiedRequest, VerifyRequestOptions } from '../http/verify-request.js';
