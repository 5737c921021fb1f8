import { ClaimError, DpopError, VerifyError, describeValue } from '../errors.js';
import type { JwtPayload } from '../jose/types.js';
import { missingScopes, parseScope } from '../claims/scopes.js';
import type { Introspector, IntrospectionResponse } from '../remote/introspection.js';
import type { AccessTokenVerifyOptions, VerifiedAccessToken } from '../verifier/types.js';
import { checkRealm, isScopeToken } from './challenge.js';
import { extractBearer, type CredentialScheme, type CredentialSource, type ExtractOptions } from './bearer-token.js';
import { viewRequest, type HttpRequest, type RequestView } from './http-request.js';
import { MalformedDpopRequestError, toRequestError } from './request-error.js';
import { checkTargetOptions, requestTarget, type TargetOptions } from './request-target.js';

/**
 * Which authorization schemes a route accepts (RFC 9449 §7): `allowed` (default) Bearer and DPoP,
 * `required` DPoP only, `disabled` Bearer only. A DPoP-bound token (`cnf.jkt`) sent as Bearer is
 * refused in every mode (RFC 9449 §7.2).
 */
export type DpopMode = 'allowed' | 'required' | 'disabled';

/** When a bearer token goes to RFC 7662 introspection (needs `introspection` on the verifier). */
export type IntrospectMode = 'always' | 'opaque' | 'never';

/** Claims a route's `claims` check sees: a verified JWT payload or an active introspection response. */
export type RequestClaims = VerifiedAccessToken['payload'] | IntrospectionResponse;

/** Options of {@link Verifier.verifyRequest} and of every adapter (per route they add up). */
export interface VerifyRequestOptions extends ExtractOptions, TargetOptions {
  /**
   * `Authorization: DPoP` with a `DPoP` proof header (RFC 9449 §7.1): `allowed` (default),
   * `required` (Bearer credentials count as none; query and body tokens are not read) or
   * `disabled` (the DPoP scheme counts as none). Proof rules (`algs`, `iatWindow`, server
   * nonces) come from the verifier's `dpop` option.
   */
  readonly dpop?: DpopMode;
  /** Claim the access token's `iss`+`jti` once (`ERR_REPLAY` on reuse). Default: the verifier's `preventReplay`. */
  readonly preventReplay?: boolean;
  /** `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). Default: none. */
  readonly realm?: string;
  /** Every one of these scopes is required (from `scope`, space-separated, or `scp`). */
  readonly requiredScopes?: readonly string[];
  /** At least one of these scopes is required. */
  readonly anyScopes?: readonly string[];
  /**
   * An authorization check on the claims, run after every other check: `true` admits; `false` or a
   * string (the reason, for logs) refuses with 403 `insufficient_scope` (ERR_FORBIDDEN).
   * E.g. `(p) => Array.isArray(p.permissions) && p.permissions.includes('read:items')`.
   */
  readonly claims?: (payload: RequestClaims) => boolean | string;
  /**
   * `opaque` (default with introspection configured): non-JWT tokens are introspected, JWTs are
   * verified locally. `always`: JWTs are also introspected after local verification (revocation).
   * `never` (default without introspection): only JWT access tokens.
   */
  readonly introspect?: IntrospectMode;
}

interface VerifiedRequestBase {
  /** The raw credential, as sent. */
  readonly token: string;
  /** The authentication scheme: RFC 6750 Bearer, or RFC 9449 DPoP (the proof was verified). */
  readonly scheme: CredentialScheme;
  /** Where the credential was found (RFC 6750 §2.1-2.3). */
  readonly source: CredentialSource;
  /** The granted scopes (`scope` and `scp` together). */
  readonly scopes: readonly string[];
}

/** A JWT access token verified locally (RFC 9068), possibly also introspected. */
export interface VerifiedJwtRequest extends VerifiedAccessToken, VerifiedRequestBase {
  readonly via: 'jwt';
  /** The active introspection response, with `introspect: 'always'`. */
  readonly introspection?: IntrospectionResponse;
}

/** An opaque token the introspection endpoint reported active (RFC 7662 §2.2). */
export interface VerifiedOpaqueRequest extends VerifiedRequestBase {
  readonly via: 'introspection';
  /** The introspection response (also in `introspection`). */
  readonly payload: IntrospectionResponse;
  readonly introspection: IntrospectionResponse;
}

/** The result of {@link Verifier.verifyRequest}: what the handler may rely on. */
export type VerifiedRequest = VerifiedJwtRequest | VerifiedOpaqueRequest;

/** What request verification needs from the verifier. */
export interface RequestBackend {
  verifyAccessToken(token: string, options?: AccessTokenVerifyOptions): Promise<VerifiedAccessToken>;
  readonly introspector: Introspector | undefined;
}

/** Verifier-level settings request verification needs beyond the backend. */
export interface RequestSettings {
  /** The proof algorithms the verifier accepts, for the DPoP challenge's `algs`. */
  readonly dpopAlgorithms?: readonly string[];
}

function checkScopeList(name: string, v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || !isScopeToken(s))) {
    throw new VerifyError('ERR_CONFIG', `${name} must be an array of scope names (RFC 6749 §3.3 scope-tokens, no spaces)`);
  }
}

/** Checks request options once (adapters call it at setup); bad ones are ERR_CONFIG. */
export function checkRequestOptions(o: VerifyRequestOptions): void {
  if (typeof o !== 'object' || o === null) throw new VerifyError('ERR_CONFIG', 'verifyRequest options must be an object');
  checkRealm(o.realm);
  checkScopeList('requiredScopes', o.requiredScopes);
  checkScopeList('anyScopes', o.anyScopes);
  if (o.anyScopes !== undefined && o.anyScopes.length === 0)
    throw new VerifyError('ERR_CONFIG', 'anyScopes must not be empty (nothing could satisfy it)');
  if (o.claims !== undefined && typeof o.claims !== 'function') throw new VerifyError('ERR_CONFIG', 'claims must be a function');
  if (o.introspect !== undefined && o.introspect !== 'always' && o.introspect !== 'opaque' && o.introspect !== 'never') {
    throw new VerifyError('ERR_CONFIG', `introspect must be "always", "opaque" or "never", got ${describeValue(o.introspect)}`);
  }
  for (const name of ['allowQueryToken', 'allowBodyToken'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new VerifyError('ERR_CONFIG', `${name} must be a boolean`);
  }
  if (o.maxBodySize !== undefined && (!Number.isInteger(o.maxBodySize) || o.maxBodySize < 1))
    throw new VerifyError('ERR_CONFIG', 'maxBodySize must be a positive integer');
  if (o.dpop !== undefined && o.dpop !== 'allowed' && o.dpop !== 'required' && o.dpop !== 'disabled') {
    throw new VerifyError('ERR_CONFIG', `dpop must be "allowed", "required" or "disabled", got ${describeValue(o.dpop)}`);
  }
  if (o.preventReplay !== undefined && typeof o.preventReplay !== 'boolean')
    throw new VerifyError('ERR_CONFIG', 'preventReplay must be a boolean');
  checkTargetOptions(o);
}

/**
 * Combines adapter-level and route-level options: `requiredScopes` and `claims` checks add up; every
 * other option of the route (including `anyScopes`) replaces the adapter's.
 */
export function mergeRequestOptions(base: VerifyRequestOptions, route: VerifyRequestOptions | undefined): VerifyRequestOptions {
  if (route === undefined) return base;
  const required = [...(base.requiredScopes ?? []), ...(route.requiredScopes ?? [])];
  const checks = [base.claims, route.claims].filter((c): c is NonNullable<typeof c> => c !== undefined);
  const merged: VerifyRequestOptions = {
    ...base,
    ...route,
    ...(required.length > 0 ? { requiredScopes: required } : {}),
    ...(checks.length > 1
      ? {
          claims: (p: RequestClaims) => {
            for (const c of checks) {
              const r = c(p);
              if (r !== true) return r;
            }
            return true;
          },
        }
      : {}),
  };
  return merged;
}

/** A compact JWS has exactly two dots; anything else is treated as an opaque token. */
function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  if (first <= 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > first && token.indexOf('.', second + 1) === -1;
}

/** Granted scopes from `scope` (space-separated string) and `scp` (array or string, Azure AD / Okta). */
function grantedScopes(payload: JwtPayload): string[] {
  const out = new Set<string>();
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (scope !== undefined) {
    if (typeof scope !== 'string')
      throw new VerifyError('ERR_CLAIM_INVALID', `"scope" must be a space-separated string, got ${describeValue(scope, 40)}`);
    for (const s of parseScope(scope)) out.add(s);
  }
  if (scp !== undefined) {
    if (typeof scp === 'string') for (const s of parseScope(scp)) out.add(s);
    else if (Array.isArray(scp) && scp.every((s) => typeof s === 'string')) for (const s of scp) out.add(s);
    else throw new VerifyError('ERR_CLAIM_INVALID', `"scp" must be a string or an array of strings, got ${describeValue(scp, 40)}`);
  }
  return [...out];
}

function authorize(payload: RequestClaims, scopes: readonly string[], o: VerifyRequestOptions): void {
  const granted = new Set(scopes);
  const missing = missingScopes(granted, o.requiredScopes ?? []);
  if (missing.length > 0)
    throw new VerifyError(
      'ERR_SCOPE',
      `the token lacks scope ${describeValue(missing.join(' '))}: required ${describeValue((o.requiredScopes ?? []).join(' '))}`,
    );
  if (o.anyScopes !== undefined && !o.anyScopes.some((s) => granted.has(s))) {
    throw new VerifyError('ERR_SCOPE', `the token has none of the scopes ${describeValue(o.anyScopes.join(' '))}`);
  }
  if (o.claims !== undefined) {
    let r: boolean | string;
    try {
      r = o.claims(payload);
    } catch (err) {
      throw new VerifyError('ERR_FORBIDDEN', `the claims check threw: ${err instanceof Error ? err.message : describeValue(err)}`, {
        cause: err,
      });
    }
    if (r !== true)
      throw new VerifyError(
        'ERR_FORBIDDEN',
        typeof r === 'string' && r.length > 0 ? `the claims check refused: ${r}` : 'the claims check refused the token',
      );
  }
}

const ACCESS_TOKEN_TYPES = new Set(['bearer', 'access_token', 'urn:ietf:params:oauth:token-type:access_token']);

async function introspected(introspector: Introspector, token: string): Promise<IntrospectionResponse> {
  const r = await introspector.introspect(token, { tokenTypeHint: 'access_token' });
  // RFC 7662 §2.2 token_type: a refresh token (or any non-access token) is no bearer credential.
  if (typeof r.token_type === 'string' && !ACCESS_TOKEN_TYPES.has(r.token_type.toLowerCase())) {
    throw new VerifyError('ERR_CLAIM_INVALID', `introspected token_type is ${describeValue(r.token_type, 40)}, expected an access token`);
  }
  return r;
}

/** What the token check needs to know about how the token came. */
interface Presented {
  readonly token: string;
  readonly source: CredentialSource;
  readonly scheme: CredentialScheme;
  /** With the DPoP scheme: the proof and what it must name. */
  readonly dpop?: { readonly proof: string; readonly method: string; readonly url: string };
}

function hasJkt(r: IntrospectionResponse): boolean {
  const cnf = (r as { cnf?: unknown }).cnf;
  return typeof cnf === 'object' && cnf !== null && (cnf as Record<string, unknown>).jkt !== undefined;
}

async function verifyToken(backend: RequestBackend, p: Presented, o: VerifyRequestOptions): Promise<VerifiedRequest> {
  const { token, source, scheme } = p;
  const mode = o.introspect ?? (backend.introspector !== undefined ? 'opaque' : 'never');
  const introspector = backend.introspector;
  if (mode !== 'never' && introspector === undefined) {
    throw new VerifyError('ERR_CONFIG', `introspect: "${mode}" needs the verifier option "introspection"`);
  }
  if (mode !== 'never' && !looksLikeJwt(token)) {
    if (scheme === 'DPoP')
      throw new DpopError(
        'invalid_dpop_proof',
        'DPoP proof: DPoP with an opaque (introspected) access token is not supported; expected a JWT access token',
      );
    const r = await introspected(introspector!, token);
    // RFC 9449 §6.2 / §7.2: a token the introspection reports DPoP-bound is no Bearer credential.
    if (hasJkt(r))
      throw new ClaimError(
        'ERR_CLAIM_INVALID',
        'cnf',
        'dpop-bound',
        'an introspected DPoP-bound token (cnf.jkt) was sent with the Bearer scheme: expected DPoP (RFC 9449 §7.2)',
      );
    const scopes = grantedScopes(r);
    authorize(r, scopes, o);
    return { via: 'introspection', token, scheme, source, scopes, payload: r, introspection: r };
  }
  const verified = await backend.verifyAccessToken(token, {
    scheme,
    ...(p.dpop !== undefined ? { dpop: p.dpop } : {}),
    ...(o.preventReplay !== undefined ? { preventReplay: o.preventReplay } : {}),
  });
  const scopes = grantedScopes(verified.payload);
  // Revocation (401) is decided before authorization (403).
  const introspection = mode === 'always' ? await introspected(introspector!, token) : undefined;
  authorize(verified.payload, scopes, o);
  const result: VerifiedJwtRequest = { ...verified, via: 'jwt', token, scheme, source, scopes };
  return introspection === undefined ? result : { ...result, introspection };
}

const SCHEMES: Readonly<Record<DpopMode, ReadonlySet<CredentialScheme>>> = {
  allowed: new Set(['Bearer', 'DPoP']),
  required: new Set(['DPoP']),
  disabled: new Set(['Bearer']),
};

/** RFC 9449 §4.3 check 1 and §7.1: exactly one `DPoP` header holding one proof. */
function proofOf(view: RequestView): string {
  const values = view.header('dpop');
  if (values.length === 0) throw new DpopError('invalid_dpop_proof', 'DPoP proof: the DPoP scheme was used without a DPoP header');
  // A Fetch `Headers` joins repeated lines with ", "; a compact JWS never holds a comma.
  const count = values.reduce((n, v) => n + v.split(',').length, 0);
  if (count > 1) throw new MalformedDpopRequestError(`DPoP proof: expected one DPoP header, found ${count} values`);
  return values[0]!.trim();
}

/**
 * Verifies the credential of an HTTP request (RFC 6750 §2, or RFC 9449 §7.1 with its DPoP proof)
 * and authorizes it. Every failure is a {@link RequestError} with `status` and `headers`
 * (RFC 6750 §3, RFC 9449 §7.1-7.2 and §9).
 */
export async function verifyRequestWith(
  backend: RequestBackend,
  request: HttpRequest,
  options: VerifyRequestOptions = {},
  settings: RequestSettings = {},
): Promise<VerifiedRequest> {
  let scheme: CredentialScheme | undefined;
  let schemes: readonly CredentialScheme[] = ['Bearer'];
  try {
    checkRequestOptions(options);
    const accepted = SCHEMES[options.dpop ?? 'allowed'];
    schemes = [...accepted];
    const view = viewRequest(request);
    const credential = await extractBearer(view, options, accepted);
    scheme = credential.scheme;
    let dpop: Presented['dpop'];
    if (scheme === 'DPoP') {
      const proof = proofOf(view);
      dpop = { proof, ...requestTarget(view, options) };
    }
    return await verifyToken(backend, { ...credential, ...(dpop !== undefined ? { dpop } : {}) }, options);
  } catch (err) {
    const scope = [...(options.requiredScopes ?? []), ...(options.anyScopes ?? [])];
    throw toRequestError(err, {
      ...(options.realm !== undefined ? { realm: options.realm } : {}),
      ...(scope.length > 0 ? { scope } : {}),
      schemes,
      ...(scheme !== undefined ? { scheme } : {}),
      ...(settings.dpopAlgorithms !== undefined ? { dpopAlgorithms: settings.dpopAlgorithms } : {}),
    });
  }
}
