/**
 * `oidc-verifier/hono` under the `workerd`, `worker` and `browser` export conditions: the Hono
 * adapter with signatures verified by WebCrypto.
 * @packageDocumentation
 */
import { useWebCrypto } from '../jose/backend.js';

useWebCrypto();

export * from './hono.js';
