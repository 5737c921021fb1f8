import { VerifyError, describe } from '../errors.js';
import { responseTypeProblem } from '../claims/id-token.js';
import type { TokenProfileName } from '../claims/token-profiles.js';
import { rejectUnknownOptions } from '../option-checks.js';
import type { AccessTokenVerifyOptions, DpopRequest, IdTokenVerifyOptions } from './types.js';

/** The per-call options of the verify methods and their checks (ERR_CONFIG). */

type Profile = TokenProfileName;
/** Every per-call option of any profile; each method accepts its profile's names only. */
export type CallOptions = IdTokenVerifyOptions & AccessTokenVerifyOptions;

/** The options object of a call without options: known good, never checked. */
export const NO_OPTIONS: CallOptions = Object.freeze({});

/** Per-call option names of each profile (a logout token takes none). */
const ID_OPTION_NAMES = Object.keys({
  nonce: true,
  maxAge: true,
  acrValues: true,
  accessToken: true,
  code: true,
  state: true,
  responseType: true,
  requireAtHash: true,
  requireCHash: true,
  requireSHash: true,
  preventReplay: true,
} satisfies Record<keyof IdTokenVerifyOptions, true>);
const ACCESS_OPTION_NAMES = Object.keys({
  requiredScopes: true,
  preventReplay: true,
  dpop: true,
  scheme: true,
} satisfies Record<keyof AccessTokenVerifyOptions, true>);
const CALL_OPTION_NAMES: Record<Profile, readonly string[]> = { id: ID_OPTION_NAMES, access: ACCESS_OPTION_NAMES, logout: [] };
const METHOD_NAMES: Record<Profile, string> = { id: 'verifyIdToken', access: 'verifyAccessToken', logout: 'verifyLogoutToken' };

/** Checks a call's options object for `profile`: known names only, each of the right type. */
export function checkCallOptions(o: CallOptions, profile: Profile): void {
  if (typeof o !== 'object' || o === null) throw new VerifyError('ERR_CONFIG', 'verify options must be an object');
  rejectUnknownOptions(METHOD_NAMES[profile], o, CALL_OPTION_NAMES[profile]);
  for (const name of ['nonce', 'accessToken', 'code', 'state', 'responseType'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'string') throw new VerifyError('ERR_CONFIG', `option ${name} must be a string`);
  }
  if (o.responseType !== undefined) {
    const problem = responseTypeProblem(o.responseType);
    if (problem !== undefined)
      throw new VerifyError(
        'ERR_CONFIG',
        `option responseType must be a space-separated set of code, id_token, token (or none alone): ${problem}`,
      );
  }
  for (const name of ['requireAtHash', 'requireCHash', 'requireSHash'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean')
      throw new VerifyError('ERR_CONFIG', `option ${name} must be a boolean, got ${describe(o[name])}`);
  }
  if (o.maxAge !== undefined && (typeof o.maxAge !== 'number' || !(o.maxAge >= 0))) {
    throw new VerifyError('ERR_CONFIG', 'option maxAge must be a non-negative number of seconds');
  }
  if (o.preventReplay !== undefined && typeof o.preventReplay !== 'boolean')
    throw new VerifyError('ERR_CONFIG', 'option preventReplay must be a boolean');
  if (o.scheme !== undefined && o.scheme !== 'Bearer' && o.scheme !== 'DPoP')
    throw new VerifyError('ERR_CONFIG', 'option scheme must be "Bearer" or "DPoP"');
  if (o.dpop !== undefined) {
    const d = o.dpop as Partial<DpopRequest> | null;
    if (
      typeof d !== 'object' ||
      d === null ||
      typeof d.proof !== 'string' ||
      typeof d.method !== 'string' ||
      (typeof d.url !== 'string' && !(d.url instanceof URL))
    ) {
      throw new VerifyError('ERR_CONFIG', 'option dpop must be { proof: string, method: string, url: string | URL }');
    }
    if (o.scheme === 'Bearer') throw new VerifyError('ERR_CONFIG', 'option dpop contradicts scheme "Bearer"');
  }
  for (const name of ['acrValues', 'requiredScopes'] as const) {
    const v = o[name];
    if (v !== undefined && (!Array.isArray(v) || v.some((a) => typeof a !== 'string'))) {
      throw new VerifyError('ERR_CONFIG', `option ${name} must be an array of strings`);
    }
  }
}
