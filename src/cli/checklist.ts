import { ClaimError, VerifyError, type ErrorCode } from '../errors.js';
import { checkAccessTokenClaims, type AccessTokenCheckOptions } from '../claims/access-token.js';
import { checkIdTokenClaims, type IdTokenCheckOptions } from '../claims/id-token.js';
import type { ProfileRules } from '../claims/rules.js';
import { BACKCHANNEL_LOGOUT_EVENT, checkLogoutTokenClaims } from '../claims/logout-token.js';
import { checkIssuer } from '../claims/rules.js';
import { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, isAlgorithm, type Algorithm } from '../jose/algorithms.js';
import { parseCompactJws } from '../jose/compact.js';
import type { JoseHeader, Jwks, JwtPayload } from '../jose/types.js';
import type { VerificationKey } from '../keys/jwk.js';
import { KeySet } from '../keys/key-set.js';
import { createVerifier } from '../http/request-verifier.js';
import type { VerifiedToken } from '../verifier.js';
import type { VerifierOptions } from '../options.js';
import { decodeToken } from './decode-token.js';
import { MAX_JSON_DEPTH, deeperThanLimit } from './json-depth.js';
import { exitCodeFor, oneLine } from './errors.js';
import { jwkThumbprint } from './jwk-info.js';
import { describeTime, isoSeconds } from './time.js';

/**
 * The verification checklist shared by `oidc-verifier verify` and the web inspector.
 *
 * The library is the judge: it runs once, and its verdict (valid, or the first failure with its
 * code) is the result. It stops at the first failure, so to show every row the claim rules are
 * then evaluated one at a time by the library's own claims layer, each on a payload where every
 * other claim is a known-good value; the row of the library's failure always carries the
 * library's error. Rows come in the order the seeds' guides check a token: signature (alg
 * allowed, key found by kid, signature valid), then iss, aud, iat, exp, nonce and the rest.
 */

export type TokenType = 'id' | 'access' | 'logout';

/** What to check: the token, the verifier's trust settings, and the per-call expectations. */
export interface ChecklistRequest extends IdTokenCheckOptions, AccessTokenCheckOptions {
  readonly token: string;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** A static JWKS (pasted, or read from a file): no network. */
  readonly jwks?: Jwks;
  /** A JWKS URL: skips discovery. Without `jwks` and `jwksUri`, keys come from discovery. */
  readonly jwksUri?: string;
  readonly algorithms?: readonly string[];
  readonly clientSecret?: string;
  /** Seconds. Default 0. */
  readonly clockTolerance?: number;
  /** The verifier's clock, seconds since the epoch. Default: now. */
  readonly at?: number;
  readonly type?: TokenType;
  readonly allowHttp?: boolean;
  readonly timeout?: number;
  readonly fetch?: typeof globalThis.fetch;
}

export type RowStatus = 'pass' | 'fail' | 'skip' | 'not-checked';

export interface ChecklistRow {
  /** Stable id: `format`, `alg`, `key`, `signature`, or the claim name. */
  readonly id: string;
  readonly group: 'token' | 'signature' | 'claims';
  readonly label: string;
  readonly status: RowStatus;
  readonly expected?: string;
  readonly actual?: string;
  /** Why it passed, failed or was skipped; for a failure, the library's message. */
  readonly reason: string;
  /** The library's error code, on the row the library failed. */
  readonly code?: ErrorCode;
}

export interface Checklist {
  /** `valid`, `invalid` (the token is bad), or `error` (could not check: network, configuration). */
  readonly verdict: 'valid' | 'invalid' | 'error';
  readonly exitCode: number;
  readonly code?: ErrorCode;
  readonly message?: string;
  /** The claim the library's failure is about, for claim errors. */
  readonly claim?: string;
  readonly type: TokenType;
  /** Clock of the check, seconds. */
  readonly at: number;
  readonly issuer: string;
  readonly audience: readonly string[];
  /** Where the keys came from, for people: "pasted JWKS", a URL, "discovery of ...". */
  readonly keySource: string;
  readonly rows: readonly ChecklistRow[];
  /** Decoded (unverified unless verdict is valid) header and payload, when the token decodes. */
  readonly header?: Record<string, unknown>;
  readonly payload?: Record<string, unknown>;
}

const LABELS: Record<string, string> = {
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

const KEY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_KEY_NOT_FOUND', 'ERR_JWKS_FETCH', 'ERR_DISCOVERY']);

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function showTime(claim: string, v: unknown, now: number): string {
  if (typeof v !== 'number') return show(v);
  const iso = isoSeconds(v);
  return iso ? `${v} (${iso}, ${describeTime(claim, v, now)})` : show(v);
}

function at(seconds: number): string {
  return isoSeconds(Math.floor(seconds)) ?? String(seconds);
}

/** The claim a library error is about, if any. */
function claimOf(err: VerifyError): string | undefined {
  return err instanceof ClaimError ? err.claim : undefined;
}

function errorRowId(err: VerifyError): string {
  if (err.code === 'ERR_MALFORMED') return 'format';
  if (err.code === 'ERR_ALG_NOT_ALLOWED') return 'alg';
  if (KEY_CODES.has(err.code)) return 'key';
  if (err.code === 'ERR_SIGNATURE_INVALID') return 'signature';
  return claimOf(err) ?? 'other';
}

/** Whether the library got past the signature before it failed (claims are checked after it). */
function signatureReached(err: VerifyError | undefined): boolean {
  if (err === undefined) return true;
  const claim = claimOf(err);
  return claim !== undefined && claim !== 'iss';
}

function allowedAlgorithms(req: ChecklistRequest): readonly string[] {
  if (req.algorithms !== undefined && req.algorithms.length > 0) return req.algorithms;
  return [...ASYMMETRIC_ALGORITHMS, ...(req.clientSecret !== undefined ? SYMMETRIC_ALGORITHMS : [])];
}

function verifierOptions(req: ChecklistRequest, issuer: string, now: number): VerifierOptions {
  return {
    issuer,
    audience: typeof req.audience === 'string' ? req.audience : [...req.audience],
    ...(req.jwks !== undefined ? { jwks: req.jwks } : {}),
    ...(req.jwksUri !== undefined ? { jwksUri: req.jwksUri } : {}),
    ...(req.algorithms !== undefined && req.algorithms.length > 0 ? { algorithms: req.algorithms as Algorithm[] } : {}),
    ...(req.clientSecret !== undefined ? { clientSecret: req.clientSecret } : {}),
    ...(req.clockTolerance !== undefined ? { clockTolerance: req.clockTolerance } : {}),
    ...(req.allowHttp ? { allowHttp: true } : {}),
    ...(req.timeout !== undefined ? { timeout: req.timeout } : {}),
    ...(req.fetch !== undefined ? { fetch: req.fetch } : {}),
    now: () => now * 1000,
  };
}

function idOptions(req: ChecklistRequest): IdTokenCheckOptions {
  return {
    ...(req.nonce !== undefined ? { nonce: req.nonce } : {}),
    ...(req.maxAge !== undefined ? { maxAge: req.maxAge } : {}),
    ...(req.acrValues !== undefined && req.acrValues.length > 0 ? { acrValues: [...req.acrValues] } : {}),
    ...(req.accessToken !== undefined ? { accessToken: req.accessToken } : {}),
    ...(req.code !== undefined ? { code: req.code } : {}),
    ...(req.state !== undefined ? { state: req.state } : {}),
  };
}

type Outcome = { readonly ok: VerifiedToken<JwtPayload> } | { readonly err: VerifyError };

/** One run of the library, the profile's own entry point. */
async function runLibrary(req: ChecklistRequest, issuer: string, now: number): Promise<Outcome> {
  let verifier: ReturnType<typeof createVerifier> | undefined;
  try {
    verifier = createVerifier(verifierOptions(req, issuer, now));
    const type = req.type ?? 'id';
    if (type === 'access') {
      const scopes = req.requiredScopes !== undefined && req.requiredScopes.length > 0 ? { requiredScopes: [...req.requiredScopes] } : {};
      return { ok: await verifier.verifyAccessToken(req.token, scopes) };
    }
    if (type === 'logout') return { ok: await verifier.verifyLogoutToken(req.token) };
    return { ok: await verifier.verifyIdToken(req.token, idOptions(req)) };
  } catch (err) {
    if (err instanceof VerifyError) return { err };
    // The library promises VerifyError only; anything else is reported, not thrown through the UI.
    return { err: new VerifyError('ERR_CONFIG', `unexpected failure: ${(err as Error)?.message ?? String(err)}`) };
  } finally {
    // One verifier per check (its clock is the check's): release its remote key cache and timers.
    verifier?.close();
  }
}

type CallOptions = IdTokenCheckOptions & AccessTokenCheckOptions;

interface RowContext {
  readonly req: ChecklistRequest;
  readonly header: JoseHeader;
  readonly payload: Record<string, unknown>;
  readonly audiences: readonly string[];
  readonly now: number;
  readonly tolerance: number;
  readonly nowText: string;
}

/** The part of the token one row judges, layered over the profile's passing values. */
interface Isolation {
  readonly payload: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
  readonly opts?: CallOptions;
}

interface RowDef {
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

type ClaimChecker = (header: JoseHeader, payload: JwtPayload, clock: { now: number; tolerance: number }, rules: ProfileRules, opts: CallOptions, alg: string, crv: string | undefined) => void;

interface Profile {
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

/** iss, aud, iat, exp, nbf: the rows every profile shares, in the seeds' order. */
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
      direct: () => checkIssuer(p as JwtPayload, ctx.req.issuer),
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
  const opts: CallOptions = input === undefined ? {} : claim === 'at_hash' ? { accessToken: input } : claim === 'c_hash' ? { code: input } : { state: input };
  const present = has(ctx, claim);
  return {
    claim,
    when: present || input !== undefined,
    ...(input !== undefined ? { expected: `the hash of the given ${what}` } : {}),
    actual: show(ctx.payload[claim]),
    ...(input === undefined ? { skip: `not compared: no ${what} given` } : !present ? { skip: `absent: the ${what} is not bound to this token` } : {}),
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
        expected: '"JWT" or absent',
        actual: show(ctx.header.typ),
        pass: 'an ID token type',
        isolate: () => ({ payload: {}, header: { typ: ctx.header.typ } }),
      },
      { claim: 'jti', when: has(ctx, 'jti'), actual: show(p.jti), skip: 'not checked: replay detection needs a replay store', pass: '', isolate: () => ({ payload: {} }) },
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
        expected: '"at+jwt" (RFC 9068)',
        actual: show(ctx.header.typ),
        pass: 'a JWT access token',
        isolate: () => ({ payload: {}, header: { typ: ctx.header.typ } }),
      },
      ...commonRows(ctx, false),
      { claim: 'sub', expected: 'a string', actual: show(p.sub), pass: 'present', isolate: () => ({ payload: { sub: p.sub } }) },
      { claim: 'client_id', expected: 'a string', actual: show(p.client_id), pass: 'present', isolate: () => ({ payload: { client_id: p.client_id } }) },
      { claim: 'jti', expected: 'a string', actual: show(p.jti), pass: 'present', isolate: () => ({ payload: { jti: p.jti } }) },
      {
        claim: 'scope',
        ...(scopes !== undefined ? { expected: `contains ${show(scopes.join(' '))}` } : { skip: has(ctx, 'scope') ? 'not compared: no required scope given' : 'absent, and no required scope given' }),
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
        expected: '"logout+jwt" (or "JWT", or absent)',
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
      { claim: 'nonce', expected: '(absent)', actual: show(p.nonce), pass: 'absent, as required', isolate: () => ({ payload: { nonce: p.nonce } }) },
    ];
  },
};

const PROFILES: Readonly<Record<TokenType, Profile>> = { id: ID_PROFILE, access: ACCESS_PROFILE, logout: LOGOUT_PROFILE };

/** Builds the checklist. Never throws for bad tokens or unreachable issuers: they are rows. */
export async function buildChecklist(req: ChecklistRequest): Promise<Checklist> {
  const type = req.type ?? 'id';
  const now = req.at ?? Date.now() / 1000;
  const tolerance = req.clockTolerance ?? 0;
  const audiences = typeof req.audience === 'string' ? [req.audience] : [...req.audience];
  const keySource = req.jwks !== undefined ? 'the given JWKS' : req.jwksUri !== undefined ? req.jwksUri : `discovery of ${req.issuer}`;
  const base = { type, at: now, issuer: req.issuer, audience: audiences, keySource };

  const result = await runLibrary(req, req.issuer, now);
  const err = 'err' in result ? result.err : undefined;
  let decoded: ReturnType<typeof decodeToken> | undefined;
  try {
    decoded = decodeToken(req.token);
  } catch {
    decoded = undefined;
  }
  const shown = decoded ? { header: decoded.header, payload: decoded.payload } : {};

  if (err !== undefined && err.code === 'ERR_CONFIG') {
    return { ...base, ...shown, verdict: 'error', exitCode: exitCodeFor(err.code), code: err.code, message: oneLine(err.message), rows: [] };
  }

  const rows: ChecklistRow[] = [];
  let jws: ReturnType<typeof parseCompactJws>;
  try {
    jws = parseCompactJws(req.token);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    rows.push({ id: 'format', group: 'token', label: LABELS.format!, status: 'fail', reason: oneLine(err?.message ?? msg), code: 'ERR_MALFORMED' });
    const code = err?.code ?? 'ERR_MALFORMED';
    return { ...base, ...shown, verdict: 'invalid', exitCode: exitCodeFor(code), code, message: oneLine(err?.message ?? msg), rows };
  }
  const { header, payload } = jws;
  if (deeperThanLimit(header) || deeperThanLimit(payload)) {
    // The library may accept members it never reads, but every row and renderer below recurses.
    const part = deeperThanLimit(header) ? 'header' : 'payload';
    const msg = `token ${part} is nested deeper than ${MAX_JSON_DEPTH} levels: too deep to check and show here`;
    rows.push({ id: 'format', group: 'token', label: LABELS.format!, status: 'fail', reason: msg, code: 'ERR_MALFORMED' });
    return { ...base, verdict: 'invalid', exitCode: exitCodeFor('ERR_MALFORMED'), code: 'ERR_MALFORMED', message: msg, rows };
  }
  const alg = header.alg;
  rows.push({
    id: 'format',
    group: 'token',
    label: LABELS.format!,
    status: 'pass',
    actual: `3 segments, ${alg} signature of ${jws.signature.length} bytes`,
    reason: 'base64url header, payload and signature; JSON header and payload',
  });

  // --- signature: alg allowed, key found by kid, signature valid
  const allowed = allowedAlgorithms(req);
  const failedRow = err ? errorRowId(err) : undefined;
  const algOk = alg.toLowerCase() !== 'none' && isAlgorithm(alg) && allowed.includes(alg);
  rows.push({
    id: 'alg',
    group: 'signature',
    label: LABELS.alg!,
    status: failedRow === 'alg' ? 'fail' : algOk ? 'pass' : 'fail',
    expected: req.algorithms !== undefined && req.algorithms.length > 0 ? `one of ${allowed.join(', ')}` : `the default allowlist: RS*, PS*, ES*, ES256K, EdDSA${req.clientSecret !== undefined ? ', HS* (client secret)' : ''}`,
    actual: show(alg),
    reason: failedRow === 'alg' ? oneLine(err!.message) : algOk ? 'on the allowlist' : alg.toLowerCase() === 'none' ? 'alg "none" is never accepted' : 'not on the allowlist',
    ...(failedRow === 'alg' ? { code: err!.code } : {}),
  });

  // When the library stopped before the signature (issuer mismatch), a static key set still lets
  // the signature be checked offline: run the library again trusting the token's own iss, which
  // costs no request. Remote keys are never fetched for an issuer nobody configured.
  let sigErr = err;
  let sigOk = 'ok' in result ? result.ok : undefined;
  let probe = false;
  const informative = (x: VerifyError | undefined): boolean =>
    x === undefined || signatureReached(x) || KEY_CODES.has(x.code) || x.code === 'ERR_SIGNATURE_INVALID';
  let checked = informative(err) && failedRow !== 'alg';
  if (!checked && failedRow !== 'alg' && req.jwks !== undefined && typeof payload.iss === 'string' && payload.iss.length > 0) {
    const again = await runLibrary(req, payload.iss, now);
    probe = true;
    sigErr = 'err' in again ? again.err : undefined;
    sigOk = 'ok' in again ? again.ok : undefined;
    checked = informative(sigErr);
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const hmac = alg.startsWith('HS');
  const keyWanted = hmac
    ? 'the client secret (HS* tokens are signed with it)'
    : kid !== undefined
      ? `kid ${JSON.stringify(kid)} in ${keySource}`
      : `a key for ${alg} in ${keySource} (the token has no kid)`;
  const note = probe ? ' (checked with the given JWKS although the issuer did not match)' : '';
  // The key that verified (static key sets only), for its type, size and thumbprint.
  let matched: VerificationKey | undefined;
  if (req.jwks !== undefined && isAlgorithm(alg)) {
    try {
      const m = KeySet.fromJwks(req.jwks).select(header, alg);
      const usedKid = sigOk?.key.kid ?? kid;
      matched = m.keys?.find((k) => k.kid === usedKid) ?? m.keys?.[0];
    } catch {
      matched = undefined;
    }
  }
  const crv = matched?.crv;
  const keyBase = { id: 'key', group: 'signature', label: LABELS.key!, expected: keyWanted } as const;
  const sigBase = { id: 'signature', group: 'signature', label: LABELS.signature! } as const;
  let keyRow: ChecklistRow;
  let sigRow: ChecklistRow;
  if (!checked) {
    const why = failedRow === 'alg' ? 'the alg is not allowed' : `the check stopped earlier (${err?.code ?? 'unknown'})`;
    keyRow = { ...keyBase, status: 'not-checked', reason: `not checked: ${why}; no keys were fetched` };
    sigRow = { ...sigBase, status: 'not-checked', reason: `not checked: ${why}` };
  } else if (sigErr !== undefined && KEY_CODES.has(sigErr.code)) {
    keyRow = { ...keyBase, status: 'fail', reason: oneLine(sigErr.message) + note, code: sigErr.code };
    sigRow = { ...sigBase, status: 'not-checked', reason: 'not checked: no key' };
  } else {
    const used = sigOk?.key.kid ?? kid;
    let actual = used !== undefined ? `kid ${JSON.stringify(used)}` : 'a key fit for the alg';
    if (hmac) actual = 'the client secret';
    else if (matched !== undefined) {
      const tp = jwkThumbprint(matched.jwk);
      actual = `key #${matched.index}: ${matched.kty} ${matched.bits !== undefined ? `${matched.bits}-bit` : (matched.crv ?? '')}${tp ? `, thumbprint ${tp}` : ''}`;
    }
    keyRow = { ...keyBase, status: 'pass', actual, reason: `found${note}` };
    sigRow =
      sigErr !== undefined && sigErr.code === 'ERR_SIGNATURE_INVALID'
        ? { ...sigBase, status: 'fail', reason: oneLine(sigErr.message) + note, code: sigErr.code }
        : { ...sigBase, status: 'pass', actual: `${alg} verified`, reason: `the signature matches the key${note}` };
  }
  rows.push(keyRow, sigRow);

  // --- claims, each judged alone by the library's claim rules
  const ctx: RowContext = {
    req,
    header,
    payload: payload as Record<string, unknown>,
    audiences,
    now,
    tolerance,
    nowText: `${at(now)}${req.at !== undefined ? ' (check time)' : ' (now)'}`,
  };
  const profile = PROFILES[type];
  const rules: ProfileRules = { audiences: new Set(audiences), times: { requireExp: true, requireIat: true }, requiredClaims: [] };
  const failed = new Set<string>();
  for (const def of profile.rows(ctx)) {
    if (def.when !== undefined && !def.when) continue;
    const isolated = def.isolate(failed);
    let e: ClaimError | undefined;
    if (isolated !== undefined) {
      const good = profile.good(ctx);
      const payloadIn: Record<string, unknown> = { ...good.payload, ...isolated.payload };
      for (const [k, v] of Object.entries(payloadIn)) if (v === undefined) delete payloadIn[k];
      const headerIn = { ...good.header, ...(isolated.header ?? {}) } as JoseHeader;
      try {
        profile.check(headerIn, payloadIn as JwtPayload, { now, tolerance }, rules, isolated.opts ?? {}, alg, crv);
      } catch (x) {
        // Another claim's error (aud with several values makes azp required) says this one passed.
        if (!(x instanceof ClaimError)) throw x;
        if (x.claim === def.claim) e = x;
      }
    } else {
      try {
        def.direct?.();
      } catch (x) {
        if (!(x instanceof ClaimError)) throw x;
        e = x;
      }
    }
    const label = def.label ?? LABELS[def.claim] ?? def.claim;
    const libraryError = err !== undefined && failedRow === def.claim ? (err as ClaimError) : undefined;
    const failure = libraryError ?? e;
    const common = { id: def.claim, group: 'claims' as const, label, ...(def.expected !== undefined ? { expected: def.expected } : {}), actual: def.actual };
    if (failure !== undefined) {
      failed.add(def.claim);
      rows.push({ ...common, status: 'fail', reason: oneLine(failure.message), code: failure.code });
    } else if (def.skip !== undefined) {
      rows.push({ ...common, status: 'skip', reason: def.skip });
    } else {
      rows.push({ ...common, status: 'pass', reason: def.pass });
    }
  }
  // A failure on a row the table does not have (a custom rule, a required claim) gets its own row.
  if (err !== undefined && failedRow !== undefined && !rows.some((r) => r.id === failedRow)) {
    rows.push({ id: failedRow, group: 'claims', label: failedRow, status: 'fail', reason: oneLine(err.message), code: err.code });
  }

  if (err === undefined) return { ...base, ...shown, verdict: 'valid', exitCode: 0, rows };
  const cannotCheck = exitCodeFor(err.code) !== 1;
  const claim = claimOf(err);
  return {
    ...base,
    ...shown,
    verdict: cannotCheck ? 'error' : 'invalid',
    exitCode: exitCodeFor(err.code),
    code: err.code,
    message: oneLine(err.message),
    ...(claim !== undefined ? { claim } : {}),
    rows,
  };
}
