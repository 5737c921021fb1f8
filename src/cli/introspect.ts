import { UsageError, type Parsed } from './args.js';
import type { Command } from './command.js';
import type { Context } from './context.js';

/**
 * `introspect`: RFC 7662 token introspection at the issuer. The library has no introspection
 * client yet (src/remote), so the command exists, documents itself and refuses clearly.
 */
export const introspectCommand: Command = {
  spec: {
    name: 'introspect',
    summary: 'Ask the issuer whether a token is active (RFC 7662). Not available in this version.',
    positionals: '[TOKEN|-]',
    maxPositionals: 1,
    options: {},
    notes: [
      'The library has no introspection client yet; use "verify" for JWTs.',
      'Exit codes: 2 (not available).',
    ],
  },
  async run(_ctx: Context, _p: Parsed): Promise<number> {
    throw new UsageError('introspect is not available in this version: the library has no introspection client yet; use "verify" for JWTs', 'introspect');
  },
};
