import { toRequestError, type ChallengeContext } from './request-error.js';

/** A framework-neutral HTTP answer for a failed request. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body: the RFC 6750 §3.1 `error` (or `unauthorized`, `temporarily_unavailable`, `server_error`) and a fixed description. */
  readonly body: { readonly error: string; readonly error_description: string };
}

/**
 * Turns any error (a {@link RequestError} from `verifyRequest`, any other {@link VerifyError}, or
 * anything else, which becomes 500) into `{ status, headers, body }`, for frameworks without a
 * shipped adapter. `context` supplies the realm and scopes when the error is not a RequestError yet.
 */
export function errorResponse(err: unknown, context: ChallengeContext = {}): ErrorResponse {
  const e = toRequestError(err, context);
  const error = e.error ?? (e.status === 401 ? 'unauthorized' : e.status === 503 ? 'temporarily_unavailable' : 'server_error');
  return { status: e.status, headers: e.headers, body: { error, error_description: e.description } };
}
