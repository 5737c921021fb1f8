/**
 * oidc-verifier: verify OpenID Connect ID tokens and JWT access tokens.
 * The public API is src/api.ts; this entry (Node.js, Deno, Bun) installs node:crypto first.
 * @packageDocumentation
 */
import './jose/node-platform.js';

export * from './api.js';
