import { TOKEN_PROFILES, type TokenProfileName } from '../claims/token-profiles.js';
import { checkAccessTokenClaims, type AccessTokenCheckOptions } from '../claims/access-token.js';
import { checkIdTokenClaims, type IdTokenCheckOptions } from '../claims/id-token.js';
import { BACKCHANNEL_LOGOUT_EVENT, checkLogoutTokenClaims } from '../claims/logout-token.js';
import { checkIssuer, type ProfileRules } from '../claims/rules.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';
import { describeTime, isoSeconds } from './time.js';
import type { ChecklistRequest, TokenType } from './types.js';

/** The `typ` values a profile accepts, from the verifier's own table (so row and message agree). */
function typExpected(name: TokenProfileName): string {
  const { accepted, required } = TOKEN_PROFILES[name].typ;
  return [...accepted.map((v) => JSON.stringify(v)), ...(required ? [] : ['absent'])].join(' or ');
}

/**
 * The claim rows of each token profile: what each row expects, shows, and how it is judged alone.
 * Rows come in the order the specs define the checks: OIDC Core §3.1.3.7 for ID tokens, RFC 9068
 * §4 for JWT access tokens, OIDC Back-Channel Logout §2.6 for logout tokens.
 */

export const LABELS: Record<string, string> = {
  format: 'token is a well-formed JWS',
  alg: 'alg allowed',
  key: 'key found by kid',
  signature: 'signature valid',
  iss: 'iss (issuer)',
  aud: 'aud (audience)',
  azp: 'azp (authorized party)',
  iat: 'iat (issued at)',
  exp: 'exp (expiry)',
  nbf: 'nbf (not before)',
  sub: 'sub (subject)',
  nonce: 'nonce',
  auth_time: 'auth_time (max age)',
  acr: 'acr (auth context)',
  at_hash: 'at_hash (access token)',
  c_hash: 'c_hash (code)',
  s_hash: 's_hash (state)',
  typ: 'typ (header)',
  jti: 'jti (token id)',
};

/** A value for a row's Expected/Actual cell: JSON, cut at 200 characters. */
export function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  // JSON.stringify gives undefined for functions and symbols only: String() names those.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

export function showTime(claim: string, v: unknown, now: number): string {
  if (typeof v !== 'number') return show(v);
  const iso = isoSeconds(v);
  return iso ? `${v} (${iso}, ${describeTime(claim, v, now)})` : show(v);
}

export function at(seconds: number): string {
  return isoSeconds(Math.floor(seconds)) ?? String(seconds);
}

export type CallOptions = IdTokenCheckOptions & AccessTokenCheckOptions;

export interface RowContext {
  readonly req: ChecklistRequest;
  readonly header: JoseHeader;
  readonly payload: Record<string, unknown>;
  readonly audiences: readonly string[];
  readonly now: number;
  readonly tolerance: number;
  readonly nowText: string;
}

/** The part of the token one row judges, layered over the profile's passing values. */
export interface Isolation {
  readonly payload: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
  readonly opts?: CallOptions;
}

export interface RowDef {
  readonly claim: string;
  readonly label?: string;
  /** Rows for optional claims appear only when this is true. */
  readonly when?: boolean;
  readonly expected?: string;
  readonly actual: string;
  /** Why the row is skipped when it passes (nothing to compare against). */
  readonly skip?: string;
  readonly pass: string;
  /** Undefined: the row uses `direct` instead of the profile's claim checker. */
  isolate(failed: ReadonlySet<string>): Isolation | undefined;
  direct?(): void;
}

type ClaimChecker = (
  header: JoseHeader,
  payload: JwtPayload,
  clock: { now: number; tolerance: number },
  rules: ProfileRules,
  opts: CallOptions,
  alg: string,
  crv: string | undefined,
) => void;

export interface Profile {
  /** Header and payload that pass every rule of the profile. */
  good(ctx: RowContext): { header: Record<string, unknown>; payload: Record<string, unknown> };
  readonly check: ClaimChecker;
  rows(ctx: RowContext): RowDef[];
}

function has(ctx: RowContext, claim: string): boolean {
  return ctx.payload[claim] !== undefined;
}

function goodTimes(ctx: RowContext): Record<string, unknown> {
  return { aud: ctx.audiences[0], exp: Math.ceil(ctx.now + ctx.tolerance) + 3600, iat: Math.floor(ctx.now) };
}

function tol(ctx: RowContext, sign: '+' | '-'): string {
  return ctx.tolerance ? ` ${sign} ${ctx.tolerance} s` : '';
}

/** iss, aud, iat, exp, nbf: the rows every profile shares, in the order of OIDC Core §3.1.3.7. */
function commonRows(ctx: RowContext, withAzp: boolean): RowDef[] {
  const p = ctx.payload;
  const aud = ctx.audiences;
  return [
    {
      claim: 'iss',
      expected: show(ctx.req.issuer),
      actual: show(p.iss),
      pass: 'equal, exactly',
      isolate: () => undefined,
      direct: () => checkIssuer(p, ctx.req.issuer),
    },
    {
      claim: 'aud',
      expected: aud.length === 1 ? `contains ${show(aud[0])}` : `contains one of ${show(aud)}`,
      actual: show(p.aud),
      pass: 'your client id is in the audience',
      isolate: () => ({ payload: withAzp ? { aud: p.aud, azp: p.azp } : { aud: p.aud } }),
    },
    ...(withAzp
      ? [
          {
            claim: 'azp',
            when: has(ctx, 'azp') || (Array.isArray(p.aud) && p.aud.length > 1),
            expected: `one of ${show(aud)}${Array.isArray(p.aud) && p.aud.length > 1 ? ' (required: aud has several values)' : ''}`,
            actual: show(p.azp),
            pass: 'matches',
            isolate: (failed: ReadonlySet<string>) => ({ payload: failed.has('aud') ? { azp: p.azp } : { aud: p.aud, azp: p.azp } }),
          },
        ]
      : []),
    {
      claim: 'iat',
      expected: `present, not after ${ctx.nowText}${tol(ctx, '+')}`,
      actual: showTime('iat', p.iat, ctx.now),
      pass: 'issued in the past',
      isolate: () => ({ payload: { iat: p.iat } }),
    },
    {
      claim: 'exp',
      expected: `after ${ctx.nowText}${tol(ctx, '-')}`,
      actual: showTime('exp', p.exp, ctx.now),
      pass: 'not expired',
      isolate: () => ({ payload: { exp: p.exp } }),
    },
    {
      claim: 'nbf',
      when: has(ctx, 'nbf'),
      expected: `not after ${ctx.nowText}${tol(ctx, '+')}`,
      actual: showTime('nbf', p.nbf, ctx.now),
      pass: 'already valid',
      isolate: () => ({ payload: { nbf: p.nbf } }),
    },
  ];
}

function hashRow(ctx: RowContext, claim: 'at_hash' | 'c_hash' | 's_hash'): RowDef {
  const input = claim === 'at_hash' ? ctx.req.accessToken : claim === 'c_hash' ? ctx.req.code : ctx.req.state;
  const what = claim === 'at_hash' ? 'access token' : claim === 'c_hash' ? 'authorization code' : 'state';
  const opts: CallOptions =
    input === undefined ? {} : claim === 'at_hash' ? { accessToken: input } : claim === 'c_hash' ? { code: input } : { state: input };
  const present = has(ctx, claim);
  return {
    claim,
    when: present || input !== undefined,
    ...(input !== undefined ? { expected: `the hash of the given ${what}` } : {}),
    actual: show(ctx.payload[claim]),
    ...(input === undefined
      ? { skip: `not compared: no ${what} given` }
      : !present
        ? { skip: `absent: the ${what} is not bound to this token` }
        : {}),
    pass: `matches the ${what}`,
    isolate: () => ({ payload: { [claim]: ctx.payload[claim] }, opts }),
  };
}

const ID_PROFILE: Profile = {
  good: (ctx) => ({ header: {}, payload: { ...goodTimes(ctx), sub: 'subject' } }),
  check: (h, p, clock, rules, opts, alg, crv) => checkIdTokenClaims(h, p, clock, rules, opts, alg, crv),
  rows(ctx) {
    const { payload: p, req } = ctx;
    const acr = req.acrValues !== undefined && req.acrValues.length > 0 ? req.acrValues : undefined;
    return [
      ...commonRows(ctx, true),
      { claim: 'sub', expected: 'a string', actual: show(p.sub), pass: 'present', isolate: () => ({ payload: { sub: p.sub } }) },
      {
        claim: 'nonce',
        ...(req.nonce !== undefined ? { expected: show(req.nonce) } : {}),
        actual: show(p.nonce),
        ...(req.nonce === undefined ? { skip: has(ctx, 'nonce') ? 'not compared: no nonce given' : 'absent, and no nonce given' } : {}),
        pass: 'matches the nonce of the request',
        isolate: () => ({ payload: { nonce: p.nonce }, opts: req.nonce !== undefined ? { nonce: req.nonce } : {} }),
      },
      {
        claim: 'auth_time',
        when: has(ctx, 'auth_time') || req.maxAge !== undefined,
        expected: req.maxAge !== undefined ? `within max age ${req.maxAge} s of ${ctx.nowText}` : 'not in the future',
        actual: showTime('auth_time', p.auth_time, ctx.now),
        pass: req.maxAge !== undefined ? 'recent enough' : 'not in the future (no max age given)',
        isolate: () => ({ payload: { auth_time: p.auth_time }, opts: req.maxAge !== undefined ? { maxAge: req.maxAge } : {} }),
      },
      {
        claim: 'acr',
        when: has(ctx, 'acr') || acr !== undefined,
        ...(acr !== undefined ? { expected: `one of ${show(acr)}` } : { skip: 'not compared: no acr values given' }),
        actual: show(p.acr),
        pass: 'an accepted authentication context',
        isolate: () => ({ payload: { acr: p.acr }, opts: acr !== undefined ? { acrValues: acr } : {} }),
      },
      hashRow(ctx, 'at_hash'),
      hashRow(ctx, 'c_hash'),
      hashRow(ctx, 's_hash'),
      {
        claim: 'typ',
        when: ctx.header.typ !== undefined,
        expected: `${typExpected('id')} (case-insensitive, RFC 7515 §4.1.9)`,
        actual: show(ctx.header.typ),
        pass: 'an ID token type',
        isolate: () => ({ payload: {}, header: { typ: ctx.header.typ } }),
      },
      {
        claim: 'jti',
        when: has(ctx, 'jti'),
        actual: show(p.jti),
        skip: 'not checked: replay detection needs a replay store',
        pass: '',
        isolate: () => ({ payload: {} }),
      },
    ];
  },
};

const ACCESS_PROFILE: Profile = {
  good: (ctx) => ({ header: { typ: 'at+jwt' }, payload: { ...goodTimes(ctx), sub: 'subject', client_id: 'client', jti: 'id' } }),
  check: (h, p, clock, rules, opts) => checkAccessTokenClaims(h, p, clock, rules, opts),
  rows(ctx) {
    const { payload: p, req } = ctx;
    const scopes = req.requiredScopes !== undefined && req.requiredScopes.length > 0 ? req.requiredScopes : undefined;
    return [
      {
        claim: 'typ',
        expected: `${typExpected('access')} (case-insensitive, RFC 9068 §2.1)`,
        actual: show(ctx.header.typ),
        pass: 'a JWT access token',
        isolate: () => ({ payload: {}, header: { typ: ctx.header.typ } }),
      },
      ...commonRows(ctx, false),
      { claim: 'sub', expected: 'a string', actual: show(p.sub), pass: 'present', isolate: () => ({ payload: { sub: p.sub } }) },
      {
        claim: 'client_id',
        expected: 'a string',
        actual: show(p.client_id),
        pass: 'present',
        isolate: () => ({ payload: { client_id: p.client_id } }),
      },
      { claim: 'jti', expected: 'a string', actual: show(p.jti), pass: 'present', isolate: () => ({ payload: { jti: p.jti } }) },
      {
        claim: 'scope',
        ...(scopes !== undefined
          ? { expected: `contains ${show(scopes.join(' '))}` }
          : { skip: has(ctx, 'scope') ? 'not compared: no required scope given' : 'absent, and no required scope given' }),
        actual: show(p.scope),
        pass: 'grants every required scope',
        isolate: () => ({ payload: { scope: p.scope }, opts: scopes !== undefined ? { requiredScopes: scopes } : {} }),
      },
    ];
  },
};

const LOGOUT_PROFILE: Profile = {
  good: (ctx) => ({ header: {}, payload: { ...goodTimes(ctx), jti: 'id', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sub: 'subject' } }),
  check: (h, p, clock, rules) => checkLogoutTokenClaims(h, p, clock, rules),
  rows(ctx) {
    const p = ctx.payload;
    return [
      {
        claim: 'typ',
        when: ctx.header.typ !== undefined,
        expected: `${typExpected('logout')} (case-insensitive, OIDC Back-Channel Logout §2.4)`,
        actual: show(ctx.header.typ),
        pass: 'a logout token type',
        isolate: () => ({ payload: {}, header: { typ: ctx.header.typ } }),
      },
      ...commonRows(ctx, false),
      { claim: 'jti', expected: 'a string', actual: show(p.jti), pass: 'present', isolate: () => ({ payload: { jti: p.jti } }) },
      {
        claim: 'events',
        expected: `has ${show(BACKCHANNEL_LOGOUT_EVENT)} with an object value`,
        actual: show(p.events),
        pass: 'a back-channel logout event',
        isolate: () => ({ payload: { events: p.events } }),
      },
      {
        claim: 'sub',
        label: 'sub or sid',
        expected: 'sub or sid present',
        actual: `sub ${show(p.sub)}, sid ${show(p.sid)}`,
        pass: 'names the session or user to log out',
        isolate: () => ({ payload: { sub: p.sub, sid: p.sid } }),
      },
      {
        claim: 'nonce',
        expected: '(absent)',
        actual: show(p.nonce),
        pass: 'absent, as required',
        isolate: () => ({ payload: { nonce: p.nonce } }),
      },
    ];
  },
};

export const PROFILES: Readonly<Record<TokenType, Profile>> = { id: ID_PROFILE, access: ACCESS_PROFILE, logout: LOGOUT_PROFILE };
