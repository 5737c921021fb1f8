import { createHash, randomBytes } from 'node:crypto';
import type { DemoClient } from './provider.js';

/**
 * A headless OpenID Connect authorization code flow (optionally hybrid) against the demo
 * provider, over plain HTTP: fetch with `redirect: 'manual'`, a cookie jar, and the provider's own
 * login and consent interaction endpoints, as a browser with a user would drive them.
 */

export type FlowResponseType = 'code' | 'code id_token' | 'code id_token token';

export interface FlowOptions extends DemoClient {
  /** Default `code`. Hybrid types return tokens in the redirect fragment too. */
  readonly responseType?: FlowResponseType;
  /** Default `openid profile email`. */
  readonly scope?: string;
  /** RFC 8707 resource indicator: the access token from `/token` is then a JWT for it. */
  readonly resource?: string;
  /** The login name typed into the provider's login form. Default `alice`. */
  readonly login?: string;
  /** Share one jar between flows to keep the provider's session (as one browser would). */
  readonly jar?: CookieJar;
}

/** Parameters of the authorization response (query for `code`, fragment for hybrid). */
export interface AuthorizationResponse {
  readonly code: string;
  readonly state: string;
  readonly iss?: string;
  readonly id_token?: string;
  readonly access_token?: string;
  readonly token_type?: string;
  readonly expires_in?: string;
  readonly scope?: string;
}

/** The token endpoint response. */
export interface TokenResponse {
  readonly id_token: string;
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
}

export interface FlowResult {
  readonly responseType: FlowResponseType;
  /** Values the client generated and must check the response against. */
  readonly nonce: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly code: string;
  /** What came back in the redirect (hybrid: `id_token` with `c_hash` / `at_hash`, `access_token`). */
  readonly authorization: AuthorizationResponse;
  /** What the token endpoint returned for the code. */
  readonly tokens: TokenResponse;
  /** HTTP requests made. */
  readonly requests: number;
  /** Wall time of the flow, ms. */
  readonly ms: number;
}

/** Cookies by name and path, sent on requests whose path is within the cookie's path (RFC 6265 §5.1.4). */
export class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string }>();

  /** Stores the `Set-Cookie` headers of a response to `url`. */
  store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = defaultPath(url.pathname);
      let expired = false;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=', 2).map((s) => s.trim());
        const key = k.toLowerCase();
        if (key === 'path' && v.startsWith('/')) path = v;
        else if (key === 'max-age' && Number(v) <= 0) expired = true;
        else if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${name}\u0000${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  /** The `Cookie` header for a request to `url`; longer paths first, as browsers order them. */
  header(url: URL): string | undefined {
    const matching = [...this.#cookies.values()]
      .filter((c) => pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length > 0 ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

function defaultPath(pathname: string): string {
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function random(): string {
  return randomBytes(32).toString('base64url');
}

/** A browser-like HTTP client: manual redirects, cookies, request counting. */
class Browser {
  requests = 0;
  constructor(readonly jar: CookieJar) {}

  async request(
    url: URL,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie !== undefined) headers.set('cookie', cookie);
    let body: URLSearchParams | undefined;
    if (init.form !== undefined) body = new URLSearchParams(init.form);
    this.requests++;
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.jar.store(url, res);
    return res;
  }
}

async function failure(step: string, res: Response): Promise<Error> {
  const text = (await res.text()).slice(0, 300);
  return new Error(`${step}: HTTP ${res.status} ${text}`);
}

function location(res: Response, base: URL): URL | undefined {
  const loc = res.headers.get('location');
  return loc === null ? undefined : new URL(loc, base);
}

/**
 * Runs the flow: discovery, `/auth` with PKCE S256, `nonce` and `state`; the provider's login and
 * consent forms; the redirect to the client (code and state checked, `iss` per RFC 9207); the
 * code exchange at the token endpoint with client_secret_basic and the code verifier.
 */
export async function runAuthorizationFlow(o: FlowOptions): Promise<FlowResult> {
  const started = performance.now();
  const responseType = o.responseType ?? 'code';
  const browser = new Browser(o.jar ?? new CookieJar());

  const discoveryUrl = new URL(`${o.issuer}/.well-known/openid-configuration`);
  const disc = await browser.request(discoveryUrl);
  if (disc.status !== 200) throw await failure('discovery', disc);
  const metadata = (await disc.json()) as { authorization_endpoint: string; token_endpoint: string };

  const nonce = random();
  const state = random();
  const codeVerifier = random();
  const auth = new URL(metadata.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    response_type: responseType,
    scope: o.scope ?? 'openid profile email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(o.resource !== undefined ? { resource: o.resource } : {}),
  }).toString();

  // Follow redirects by hand until the provider sends the browser back to the client.
  let url = auth;
  let res = await browser.request(url);
  let callback: URL | undefined;
  for (let step = 0; step < 12 && callback === undefined; step++) {
    const next = location(res, url);
    if (next === undefined || res.status < 300 || res.status >= 400) {
      throw await failure(`authorization (at ${url.pathname})`, res);
    }
    if (next.href.startsWith(o.redirectUri)) {
      callback = next;
      break;
    }
    url = next;
    res = await browser.request(url);
    if (res.status === 200 && /\/interaction\/[^/]+$/.test(url.pathname)) {
      // The provider's own interaction page: read which prompt it asks, then submit its form.
      const html = await res.text();
      const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
      const form: Record<string, string> =
        prompt === 'login' ? { prompt, login: o.login ?? 'alice', password: 'demo' } : prompt === 'consent' ? { prompt } : {};
      if (!prompt || Object.keys(form).length === 0) throw new Error(`unexpected interaction prompt ${String(prompt)}`);
      res = await browser.request(url, { form });
    }
  }
  if (callback === undefined) throw new Error('authorization: too many redirects');

  // Hybrid responses use the fragment (OIDC Core §3.3.2.5), code responses the query.
  const params = new URLSearchParams(responseType === 'code' ? callback.search : callback.hash.slice(1));
  const error = params.get('error');
  if (error !== null) throw new Error(`authorization error ${error}: ${params.get('error_description') ?? ''}`);
  const authorization = Object.fromEntries(params) as unknown as AuthorizationResponse;
  if (authorization.state !== state) throw new Error('authorization response: state does not match the request');
  if (authorization.iss !== undefined && authorization.iss !== o.issuer) throw new Error('authorization response: iss is not the issuer');
  if (typeof authorization.code !== 'string') throw new Error('authorization response: no code');
  const code = authorization.code;

  const basic = Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64');
  const tokenRes = await browser.request(new URL(metadata.token_endpoint), {
    headers: { authorization: `Basic ${basic}` },
    form: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: o.redirectUri,
      code_verifier: codeVerifier,
      ...(o.resource !== undefined ? { resource: o.resource } : {}),
    },
  });
  if (tokenRes.status !== 200) throw await failure('token', tokenRes);
  const tokens = (await tokenRes.json()) as TokenResponse;

  return {
    responseType,
    nonce,
    state,
    codeVerifier,
    code,
    authorization,
    tokens,
    requests: browser.requests,
    ms: performance.now() - started,
  };
}
