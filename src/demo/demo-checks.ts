import { createVerifier, VerifyError, type RemoteKeyEvent } from '../index.js';
import { CookieJar, runAuthorizationFlow, type FlowResult } from './flow.js';
import type { DemoProvider } from './provider.js';

/**
 * The demo's checks: real flows against the embedded provider, then the library validating what
 * came back, exactly as an application would (discovery, no keys configured).
 */

export interface Check {
  readonly label: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DemoRun {
  readonly checks: readonly Check[];
  readonly code?: FlowResult;
  readonly hybrid?: FlowResult;
  /** Wall time of the code flow, ms (discovery, /auth, login, consent, redirect, /token). */
  readonly flowMs?: number;
}

function seconds(n: number): string {
  return n >= 120 ? `${Math.round(n / 60)} min` : `${Math.round(n)} s`;
}

function short(s: string, n = 12): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** Changes one character in the middle of the signature: the token stays well-formed. */
export function tamperSignature(token: string): string {
  const dot = token.lastIndexOf('.');
  const i = dot + Math.floor((token.length - dot) / 2);
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}

function failure(err: unknown): string {
  return err instanceof VerifyError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
}

/** Runs the flows and every check; never throws (a failing step becomes a failed check). */
export async function runDemoChecks(p: DemoProvider, login = 'alice'): Promise<DemoRun> {
  const checks: Check[] = [];
  const add = (label: string, ok: boolean, detail: string): void => {
    checks.push({ label, ok, detail });
  };
  const events: RemoteKeyEvent[] = [];
  // What an application writes: issuer and client id, nothing else. Keys come by discovery.
  const idVerifier = createVerifier({ issuer: p.issuer, audience: p.clientId, onEvent: (e) => events.push(e) });
  // The API's view: the same issuer, its own audience (the resource indicator).
  const apiVerifier = createVerifier({ issuer: p.issuer, audience: p.resource });
  const result: { code?: FlowResult; hybrid?: FlowResult; flowMs?: number } = {};
  // One browser: the second flow reuses the provider's session (no second login).
  const jar = new CookieJar();
  try {
    let code: FlowResult;
    try {
      code = await runAuthorizationFlow({
        ...p.client,
        login,
        jar,
        scope: `openid profile email ${p.resourceScope}`,
        resource: p.resource,
      });
      result.code = code;
      result.flowMs = code.ms;
      add(
        'authorization code flow',
        true,
        `PKCE S256, nonce, state; login "${login}" and consent on the provider's pages; ${code.requests} requests, ${Math.round(code.ms)} ms`,
      );
    } catch (err) {
      add('authorization code flow', false, failure(err));
      return { checks };
    }

    try {
      const v = await idVerifier.verifyIdToken(code.tokens.id_token, { nonce: code.nonce });
      const discovery = events.find((e) => e.type === 'discovery');
      add('discovery', discovery !== undefined, discovery ? `${discovery.url} → jwks_uri ${discovery.jwksUri}` : 'no discovery event');
      const refresh = events.find((e) => e.type === 'refresh');
      add(
        'ID token signature',
        true,
        `${v.key.alg}, kid ${short(v.key.kid ?? '(none)')}, key from the provider's JWKS${refresh ? ` (${refresh.keys} key${refresh.keys === 1 ? '' : 's'})` : ''}`,
      );
      const now = Date.now() / 1000;
      add(
        'ID token claims',
        true,
        `iss ${v.payload.iss}, aud ${String(v.payload.aud)}, sub ${v.payload.sub}, expires in ${seconds(v.payload.exp - now)}`,
      );
      add('nonce', v.payload.nonce === code.nonce, 'matches the one sent in the request');
    } catch (err) {
      add('ID token', false, failure(err));
    }

    try {
      const at = await apiVerifier.verifyAccessToken(code.tokens.access_token, { requiredScopes: [p.resourceScope] });
      add(
        'JWT access token (RFC 9068)',
        true,
        `typ ${String(at.header.typ)}, aud ${String(at.payload.aud)}, scope ${at.payload.scope ?? ''}, client_id ${at.payload.client_id}`,
      );
    } catch (err) {
      add('JWT access token (RFC 9068)', false, failure(err));
    }

    try {
      const hybrid = await runAuthorizationFlow({ ...p.client, login, jar, responseType: 'code id_token token' });
      result.hybrid = hybrid;
      const a = hybrid.authorization;
      if (a.id_token === undefined || a.access_token === undefined)
        throw new Error('the redirect fragment has no id_token or access_token');
      const v = await idVerifier.verifyIdToken(a.id_token, {
        nonce: hybrid.nonce,
        code: a.code,
        accessToken: a.access_token,
        responseType: hybrid.responseType,
      });
      add(
        'hybrid flow',
        true,
        `response_type "code id_token token": ID token and access token in the redirect fragment, same session; ${hybrid.requests} requests, ${Math.round(hybrid.ms)} ms`,
      );
      add('c_hash', typeof v.payload.c_hash === 'string', `${String(v.payload.c_hash)} matches the code`);
      add('at_hash', typeof v.payload.at_hash === 'string', `${String(v.payload.at_hash)} matches the access token`);
    } catch (err) {
      add('hybrid flow', false, failure(err));
    }

    const rejects = async (label: string, expected: string, run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
        add(label, false, `accepted, expected ${expected}`);
      } catch (err) {
        const code = err instanceof VerifyError ? err.code : undefined;
        add(label, code === expected, code === expected ? `rejected with ${code}` : failure(err));
      }
    };
    await rejects('tampered ID token', 'ERR_SIGNATURE_INVALID', () =>
      idVerifier.verifyIdToken(tamperSignature(code.tokens.id_token), { nonce: code.nonce }),
    );
    await rejects('wrong nonce', 'ERR_NONCE', () => idVerifier.verifyIdToken(code.tokens.id_token, { nonce: 'another-request' }));
    await rejects('access token as ID token', 'ERR_TYP', () => idVerifier.verifyIdToken(code.tokens.access_token));

    const fetches = events.filter((e) => e.type === 'refresh').length;
    add('JWKS fetched once', fetches === 1, `${fetches} JWKS request${fetches === 1 ? '' : 's'} for all of the above (cached in memory)`);
    return { checks, ...result };
  } finally {
    idVerifier.close();
    apiVerifier.close();
  }
}
