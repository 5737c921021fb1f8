import { VerifyError, describeValue } from '../errors.js';
import { fetchFailure, fetchJson, type HttpOptions } from './http.js';
import { checkUrl, requireUrl } from './url-policy.js';

/** The OpenID Provider metadata the library uses (OpenID Connect Discovery 1.0 §3). */
export interface ProviderMetadata {
  /** Equal to the configured issuer, exactly. */
  readonly issuer: string;
  /** The JWKS URL, checked against the https rule. */
  readonly jwks_uri: string;
  /** JWS algorithms the OP may sign ID tokens with (string entries only). */
  readonly id_token_signing_alg_values_supported?: readonly string[];
  readonly introspection_endpoint?: string;
  readonly userinfo_endpoint?: string;
  readonly token_endpoint?: string;
  readonly authorization_endpoint?: string;
  /** Every other member, as sent. */
  readonly [member: string]: unknown;
}

const WELL_KNOWN = '/.well-known/openid-configuration';

/**
 * The discovery URL of an issuer (OpenID Connect Discovery 1.0 §4.1): the issuer with one
 * terminating `/` removed, then `/.well-known/openid-configuration`. The issuer must be an
 * https URL (or allowed http) without query or fragment, else ERR_CONFIG.
 */
export function discoveryUrl(issuer: string, allowHttp = false): string {
  const u = requireUrl('issuer', issuer, allowHttp);
  if (u.search !== '' || u.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    // Checked on the string too: URL drops an empty "?" or "#".
    throw new VerifyError('ERR_CONFIG', `issuer ${describeValue(issuer)} must not contain a query or fragment`);
  }
  return (issuer.endsWith('/') ? issuer.slice(0, -1) : issuer) + WELL_KNOWN;
}

/**
 * Checks a discovery document (already parsed): a JSON object whose `issuer` equals `issuer`
 * exactly (§4.3) and whose `jwks_uri` is a URL the https rule allows. Throws ERR_DISCOVERY.
 */
export function processDiscoveryDocument(issuer: string, url: string, doc: Record<string, unknown>, allowHttp = false): ProviderMetadata {
  const fail = (reason: string) => fetchFailure('ERR_DISCOVERY', url, reason);
  if (doc.issuer !== issuer) {
    throw fail(`issuer in the document ${describeValue(doc.issuer)} does not equal the configured issuer ${JSON.stringify(issuer)}`);
  }
  const jwksUri = doc.jwks_uri;
  if (typeof jwksUri !== 'string' || jwksUri.length === 0) throw fail(`jwks_uri is missing or not a string (${describeValue(jwksUri)})`);
  const checked = checkUrl(jwksUri, allowHttp);
  if (typeof checked === 'string') throw fail(`jwks_uri ${describeValue(jwksUri)} refused: ${checked}`);
  const algs = doc.id_token_signing_alg_values_supported;
  const metadata: Record<string, unknown> = { ...doc };
  // A malformed optional list is treated as absent: it may only narrow the allowlist, never widen it.
  if (algs !== undefined) {
    if (Array.isArray(algs)) metadata.id_token_signing_alg_values_supported = algs.filter((a): a is string => typeof a === 'string');
    else delete metadata.id_token_signing_alg_values_supported;
  }
  return metadata as ProviderMetadata;
}

/**
 * Fetches and checks the metadata of `issuer`. Every failure (network, status, not JSON, issuer
 * mismatch, bad `jwks_uri`) is a FetchError with ERR_DISCOVERY, except a malformed issuer (ERR_CONFIG).
 */
export async function discover(issuer: string, options: HttpOptions = {}): Promise<ProviderMetadata> {
  const url = discoveryUrl(issuer, options.allowHttp === true);
  const res = await fetchJson(url, { ...options, code: 'ERR_DISCOVERY' });
  return processDiscoveryDocument(issuer, url, res.body, options.allowHttp === true);
}
