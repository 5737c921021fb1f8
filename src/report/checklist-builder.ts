import { ClaimError, type VerifyError, type ErrorCode } from '../errors.js';
import type { ProfileRules } from '../claims/rules.js';
import { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, isAlgorithm } from '../jose/algorithms.js';
import { parseCompactJws } from '../jose/compact.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';
import type { VerificationKey } from '../keys/jwk.js';
import { KeySet } from '../keys/key-set.js';
import type { VerifiedToken } from '../verifier/types.js';
import { decodeSegments } from './decode-token.js';
import { oneLine } from './input-text.js';
import { MAX_JSON_DEPTH, deeperThanLimit } from './json-depth.js';
import { jwkThumbprint } from '../dpop/thumbprint.js';
import { runLibrary } from './run-library.js';
import { LABELS, PROFILES, at, show, type RowContext } from './profiles.js';
import { cannotCheck, type Checklist, type ChecklistRequest, type ChecklistRow } from './types.js';

export type { Checklist, ChecklistRequest, ChecklistRow, RowStatus, TokenType } from './types.js';

/**
 * The verification checklist shared by `oidc-verifier verify` and the web inspector.
 *
 * The library is the judge: it runs once, and its verdict (valid, or the first failure with its
 * code) is the result. It stops at the first failure, so to show every row the claim rules are
 * then evaluated one at a time by the library's own claims layer, each on a payload where every
 * other claim is a known-good value; the row of the library's failure always carries the
 * library's error. Rows come in the order the specs check a token (RFC 7515 §5.2, then OIDC Core
 * §3.1.3.7): signature (alg allowed, key found by kid, signature valid), then iss, aud, iat, exp,
 * nonce and the rest. The report parses the token once (the library parses it for itself).
 */

const KEY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_KEY_NOT_FOUND', 'ERR_JWKS_FETCH', 'ERR_DISCOVERY']);

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

/** What one build shares between its sections. */
interface Build {
  readonly req: ChecklistRequest;
  readonly now: number;
  readonly keySource: string;
  /** The library's failure, if any. */
  readonly err: VerifyError | undefined;
  readonly ok: VerifiedToken<JwtPayload> | undefined;
  readonly failedRow: string | undefined;
}

type Parsed =
  | {
      readonly jws: ReturnType<typeof parseCompactJws>;
      readonly shown: { header: Record<string, unknown>; payload: Record<string, unknown> };
    }
  | { readonly problem: string; readonly shown: { header?: Record<string, unknown>; payload?: Record<string, unknown> } };

/**
 * The token, parsed once by the verifier's strict parser. When that refuses it, the lenient
 * decoder still gets the header and payload to show (what `decode` shows), if they decode.
 */
function parseToken(token: string): Parsed {
  try {
    const jws = parseCompactJws(token);
    return { jws, shown: { header: jws.header, payload: jws.payload } };
  } catch (e) {
    const problem = e instanceof Error ? e.message : String(e);
    try {
      const d = decodeSegments(token);
      return { problem, shown: { header: d.header, payload: d.payload } };
    } catch {
      return { problem, shown: {} };
    }
  }
}

/** The `format` row of a token that parsed. */
function formatRow(jws: ReturnType<typeof parseCompactJws>): ChecklistRow {
  return {
    id: 'format',
    group: 'token',
    label: LABELS.format!,
    status: 'pass',
    actual: `3 segments, ${jws.header.alg} signature of ${jws.signature.length} bytes`,
    reason: 'base64url header, payload and signature; JSON header and payload',
  };
}

/** The format row of a token that could not be parsed or shown, with the reason. */
function formatFailure(reason: string): ChecklistRow {
  return { id: 'format', group: 'token', label: LABELS.format!, status: 'fail', reason, code: 'ERR_MALFORMED' };
}

/** The `alg` row: on the allowlist (RFC 8725 §3.1), never "none". */
function algRow(b: Build, alg: string): ChecklistRow {
  const { req, err, failedRow } = b;
  const allowed = allowedAlgorithms(req);
  const algOk = alg.toLowerCase() !== 'none' && isAlgorithm(alg) && allowed.includes(alg);
  return {
    id: 'alg',
    group: 'signature',
    label: LABELS.alg!,
    status: failedRow === 'alg' ? 'fail' : algOk ? 'pass' : 'fail',
    expected:
      req.algorithms !== undefined && req.algorithms.length > 0
        ? `one of ${allowed.join(', ')}`
        : `the default allowlist: RS*, PS*, ES*, ES256K, EdDSA${req.clientSecret !== undefined ? ', HS* (client secret)' : ''}`,
    actual: show(alg),
    reason:
      failedRow === 'alg'
        ? oneLine(err!.message)
        : algOk
          ? 'on the allowlist'
          : alg.toLowerCase() === 'none'
            ? 'alg "none" is never accepted'
            : 'not on the allowlist',
    ...(failedRow === 'alg' ? { code: err!.code } : {}),
  };
}

/** The key that verified (static key sets only), for its type, size and thumbprint. */
function matchedKey(req: ChecklistRequest, header: JoseHeader, alg: string, usedKid: string | undefined): VerificationKey | undefined {
  if (req.jwks === undefined || !isAlgorithm(alg)) return undefined;
  try {
    const m = KeySet.fromJwks(req.jwks).select(header, alg);
    return m.keys?.find((k) => k.kid === usedKid) ?? m.keys?.[0];
  } catch {
    return undefined;
  }
}

/**
 * The `key` and `signature` rows (RFC 7515 §5.2). When the library stopped before the signature
 * (issuer mismatch), a static key set still lets the signature be checked offline: run the library
 * again trusting the token's own iss, which costs no request. Remote keys are never fetched for an
 * issuer nobody configured. Also returns the matched key (its curve matters to some claim rules).
 */
async function signatureRows(
  b: Build,
  header: JoseHeader,
  payload: JwtPayload,
): Promise<{ rows: [ChecklistRow, ChecklistRow]; key: VerificationKey | undefined }> {
  const { req, err, failedRow, now, keySource } = b;
  const alg = header.alg;
  let sigErr = err;
  let sigOk = b.ok;
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
  const matched = matchedKey(req, header, alg, sigOk?.key.kid ?? kid);
  const keyBase = { id: 'key', group: 'signature', label: LABELS.key!, expected: keyWanted } as const;
  const sigBase = { id: 'signature', group: 'signature', label: LABELS.signature! } as const;
  if (!checked) {
    const why = failedRow === 'alg' ? 'the alg is not allowed' : `the check stopped earlier (${err?.code ?? 'unknown'})`;
    return {
      rows: [
        { ...keyBase, status: 'not-checked', reason: `not checked: ${why}; no keys were fetched` },
        { ...sigBase, status: 'not-checked', reason: `not checked: ${why}` },
      ],
      key: matched,
    };
  }
  if (sigErr !== undefined && KEY_CODES.has(sigErr.code)) {
    return {
      rows: [
        { ...keyBase, status: 'fail', reason: oneLine(sigErr.message) + note, code: sigErr.code },
        { ...sigBase, status: 'not-checked', reason: 'not checked: no key' },
      ],
      key: matched,
    };
  }
  const used = sigOk?.key.kid ?? kid;
  let actual = used !== undefined ? `kid ${JSON.stringify(used)}` : 'a key fit for the alg';
  if (hmac) actual = 'the client secret';
  else if (matched !== undefined) {
    const tp = jwkThumbprint(matched.jwk);
    actual = `key #${matched.index}: ${matched.kty} ${matched.bits !== undefined ? `${matched.bits}-bit` : (matched.crv ?? '')}${tp ? `, thumbprint ${tp}` : ''}`;
  }
  const sigRow: ChecklistRow =
    sigErr !== undefined && sigErr.code === 'ERR_SIGNATURE_INVALID'
      ? { ...sigBase, status: 'fail', reason: oneLine(sigErr.message) + note, code: sigErr.code }
      : { ...sigBase, status: 'pass', actual: `${alg} verified`, reason: `the signature matches the key${note}` };
  return { rows: [{ ...keyBase, status: 'pass', actual, reason: `found${note}` }, sigRow], key: matched };
}

/** The claim rows, each judged alone by the library's claim rules over the profile's passing values. */
function claimRows(b: Build, header: JoseHeader, payload: JwtPayload, crv: string | undefined): ChecklistRow[] {
  const { req, now, err, failedRow } = b;
  const tolerance = req.clockTolerance ?? 0;
  const audiences = typeof req.audience === 'string' ? [req.audience] : [...req.audience];
  const ctx: RowContext = {
    req,
    header,
    payload: payload,
    audiences,
    now,
    tolerance,
    nowText: `${at(now)}${req.at !== undefined ? ' (check time)' : ' (now)'}`,
  };
  const profile = PROFILES[req.type ?? 'id'];
  const rules: ProfileRules = { audiences: new Set(audiences), times: { requireExp: true, requireIat: true }, requiredClaims: [] };
  const failed = new Set<string>();
  const rows: ChecklistRow[] = [];
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
        profile.check(headerIn, payloadIn, { now, tolerance }, rules, isolated.opts ?? {}, header.alg, crv);
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
    const common = {
      id: def.claim,
      group: 'claims' as const,
      label,
      ...(def.expected !== undefined ? { expected: def.expected } : {}),
      actual: def.actual,
    };
    if (failure !== undefined) {
      failed.add(def.claim);
      rows.push({ ...common, status: 'fail', reason: oneLine(failure.message), code: failure.code });
    } else if (def.skip !== undefined) {
      rows.push({ ...common, status: 'skip', reason: def.skip });
    } else {
      rows.push({ ...common, status: 'pass', reason: def.pass });
    }
  }
  return rows;
}

/** The verdict fields from the library's outcome. */
function verdictOf(err: VerifyError | undefined): Pick<Checklist, 'verdict' | 'code' | 'message' | 'claim'> {
  if (err === undefined) return { verdict: 'valid' };
  const claim = claimOf(err);
  return {
    verdict: cannotCheck(err.code) ? 'error' : 'invalid',
    code: err.code,
    message: oneLine(err.message),
    ...(claim !== undefined ? { claim } : {}),
  };
}

/** Builds the checklist. Never throws for bad tokens or unreachable issuers: they are rows. */
export async function buildChecklist(req: ChecklistRequest): Promise<Checklist> {
  const type = req.type ?? 'id';
  const now = req.at ?? Date.now() / 1000;
  const audiences = typeof req.audience === 'string' ? [req.audience] : [...req.audience];
  const keySource = req.jwks !== undefined ? 'the given JWKS' : req.jwksUri !== undefined ? req.jwksUri : `discovery of ${req.issuer}`;
  const base = { type, at: now, issuer: req.issuer, audience: audiences, keySource };

  const result = await runLibrary(req, req.issuer, now);
  const err = 'err' in result ? result.err : undefined;
  const parsed = parseToken(req.token);
  const tooDeep = deeperThanLimit(parsed.shown.header) || deeperThanLimit(parsed.shown.payload);
  const shown = tooDeep ? {} : parsed.shown;

  if (err !== undefined && err.code === 'ERR_CONFIG') return { ...base, ...shown, ...verdictOf(err), verdict: 'error', rows: [] };

  if ('problem' in parsed) {
    const message = oneLine(err?.message ?? parsed.problem);
    const code = err?.code ?? 'ERR_MALFORMED';
    return { ...base, ...shown, verdict: 'invalid', code, message, rows: [formatFailure(message)] };
  }
  const { header, payload } = parsed.jws;
  if (tooDeep) {
    // The library may accept members it never reads, but every row and renderer below recurses.
    const part = deeperThanLimit(header) ? 'header' : 'payload';
    const message = `token ${part} is nested deeper than ${MAX_JSON_DEPTH} levels: too deep to check and show here`;
    return { ...base, verdict: 'invalid', code: 'ERR_MALFORMED', message, rows: [formatFailure(message)] };
  }

  const failedRow = err ? errorRowId(err) : undefined;
  const b: Build = { req, now, keySource, err, ok: 'ok' in result ? result.ok : undefined, failedRow };
  const signature = await signatureRows(b, header, payload);
  const rows: ChecklistRow[] = [
    formatRow(parsed.jws),
    algRow(b, header.alg),
    ...signature.rows,
    ...claimRows(b, header, payload, signature.key?.crv),
  ];
  // A failure on a row the table does not have (a custom rule, a required claim) gets its own row.
  if (err !== undefined && failedRow !== undefined && !rows.some((r) => r.id === failedRow)) {
    rows.push({ id: failedRow, group: 'claims', label: failedRow, status: 'fail', reason: oneLine(err.message), code: err.code });
  }
  return { ...base, ...shown, ...verdictOf(err), rows };
}
