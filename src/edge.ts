/**
 * The package entry for runtimes where node:crypto is missing or wrong (the `workerd`, `worker`
 * and `browser` export conditions): the same API as the main entry, with signatures verified by
 * WebCrypto (asynchronous only; the `*Sync` methods fail with `ERR_CONFIG`).
 * @packageDocumentation
 */
import { useWebCrypto } from './jose/backend.js';

useWebCrypto();

export * from './index.js';
