import { VerifyError, type ErrorCode } from '../errors.js';
import { UsageError } from './args.js';
import { EXIT } from './context.js';
import { oneLine } from '../report/input-text.js';
import { cannotCheck } from '../report/types.js';

export { oneLine };

/** The CLI's own code for usage errors in `--json` output (not a library code). */
export const USAGE_CODE = 'ERR_USAGE';
/** The CLI's code for local failures such as an unreadable file. */
export const IO_CODE = 'ERR_IO';
export const INTERNAL_CODE = 'ERR_INTERNAL';

export interface CliFailure {
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
  readonly claim?: string;
}

/** The CLI's exit code for a library failure: 1 for a bad token, 2 when it could not be checked. */
export function exitCodeFor(code: ErrorCode): number {
  return cannotCheck(code) ? EXIT.usage : EXIT.invalid;
}

/** Maps anything thrown to a code, a one-line message and an exit code. */
export function classify(err: unknown): CliFailure {
  if (err instanceof UsageError) {
    const hint = err.command ? ` (see oidc-verifier ${err.command} --help)` : ' (see oidc-verifier --help)';
    return { code: USAGE_CODE, message: oneLine(err.message) + hint, exitCode: EXIT.usage };
  }
  if (err instanceof VerifyError) {
    const claim = (err as { claim?: unknown }).claim;
    return {
      code: err.code,
      message: oneLine(err.message),
      exitCode: exitCodeFor(err.code),
      ...(typeof claim === 'string' ? { claim } : {}),
    };
  }
  const e = err as { code?: unknown; message?: unknown; path?: unknown };
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    // System errors (ENOENT, EACCES, EADDRINUSE...): the message already names the path or port.
    return { code: IO_CODE, message: oneLine(String(e.message)), exitCode: EXIT.usage };
  }
  return { code: INTERNAL_CODE, message: `internal error: ${oneLine(String(e?.message ?? err))}`, exitCode: EXIT.usage };
}
