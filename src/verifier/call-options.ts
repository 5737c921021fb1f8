import { VerifyError, describeValue } from '../errors.js';
import { responseTypeProblem } from '../claims/id-token.js';
import type { TokenProfileName } from '../claims/token-profiles.js';
import { rejectUnknownOptions } from '../option-checks.js';
import type { AccessTokenVerifyOptions, IdTokenVerifyOptions } from './types.js';

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
/** The same names as sets: the per-call check runs on every verification, so it costs one lookup per given option. */
const KNOWN_CALL_OPTIONS: Record<Profile, ReadonlySet<string>> = {
  id: new Set(ID_OPTION_NAMES),
  access: new Set(ACCESS_OPTION_NAMES),
  logout: new Set(),
};
const METHOD_NAMES: Record<Profile, string> = { id: 'verifyIdToken', access: 'verifyAccessToken', logout: 'verifyLogoutToken' };

/**
 * Checks a call's options object for `profile`: known names only, each of the right type. It runs
 * on every verification with options, so it looks only at the options given: one set lookup per
 * name, then one type check per value (an unknown name is reported first, with a did-you-mean hint).
 */
export function checkCallOptions(o: CallOptions, profile: Profile): void {
  if (typeof o !== 'object' || o === null) throw new VerifyError('ERR_CONFIG', 'verify options must be an object');
  const names = Object.keys(o);
  const known = KNOWN_CALL_OPTIONS[profile];
  for (let i = 0; i < names.length; i++) {
    if (!known.has(names[i]!)) rejectUnknownOptions(METHOD_NAMES[profile], o, CALL_OPTION_NAMES[profile]);
  }
  for (let i = 0; i < names.length; i++) checkCallOption(o, names[i]! as keyof CallOptions);
}

function checkCallOption(o: CallOptions, name: keyof CallOptions): void {
  const v: unknown = o[name];
  if (v === undefined) return;
  switch (name) {
    case 'nonce':
    case 'accessToken':
    case 'code':
    case 'state':
      if (typeof v !== 'string') throw new VerifyError('ERR_CONFIG', `option ${name} must be a string`);
      return;
    case 'responseType': {
      if (typeof v !== 'string') throw new VerifyError('ERR_CONFIG', `option ${name} must be a string`);
      const problem = responseTypeProblem(v);
      if (problem !== undefined)
        throw new VerifyError(
          'ERR_CONFIG',
          `option responseType must be a space-separated set of code, id_token, token (or none alone): ${problem}`,
        );
      return;
    }
    case 'requireAtHash':
    case 'requireCHash':
    case 'requireSHash':
      if (typeof v !== 'boolean') throw new VerifyError('ERR_CONFIG', `option ${name} must be a boolean, got ${describeValue(v)}`);
      return;
    case 'maxAge':
      if (typeof v !== 'number' || !(v >= 0)) throw new VerifyError('ERR_CONFIG', 'option maxAge must be a non-negative number of seconds');
      return;
    case 'preventReplay':
      if (typeof v !== 'boolean') throw new VerifyError('ERR_CONFIG', 'option preventReplay must be a boolean');
      return;
    case 'scheme':
      if (v !== 'Bearer' && v !== 'DPoP') throw new VerifyError('ERR_CONFIG', 'option scheme must be "Bearer" or "DPoP"');
      return;
    case 'dpop': {
      if (!isDpopRequest(v))
        throw new VerifyError('ERR_CONFIG', 'option dpop must be { proof: string, method: string, url: string | URL }');
      if (o.scheme === 'Bearer') throw new VerifyError('ERR_CONFIG', 'option dpop contradicts scheme "Bearer"');
      return;
    }
    case 'acrValues':
    case 'requiredScopes':
      if (!Array.isArray(v) || v.some((a) => typeof a !== 'string')) {
        throw new VerifyError('ERR_CONFIG', `option ${name} must be an array of strings`);
      }
      return;
  }
}

function isDpopRequest(d: unknown): boolean {
  if (typeof d !== 'object' || d === null) return false;
  const r = d as Record<string, unknown>;
  return typeof r.proof === 'string' && typeof r.method === 'string' && (typeof r.url === 'string' || r.url instanceof URL);
}
