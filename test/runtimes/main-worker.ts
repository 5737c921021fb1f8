// Entry bundled for workerd (miniflare): the edge entry, as the `workerd` export condition loads
// it. POST /suite runs a part of the suite; every other path is a Hono app that requires a bearer
// token verified against the JWKS at env.JWKS_URL (a 127.0.0.1 server of the Node test), with the
// JWKS persisted in the Workers Cache API (the docs' example), so a cold isolate needs no request.
import { Hono } from 'hono';
import { createVerifier, type JwksStore, type PersistedJwks, type Verifier } from '../../src/edge.js';
import { requireToken } from '../../src/adapters/hono-edge.js';
import { runSuite, type SuiteInput } from './suite.js';

interface Env {
  JWKS_URL: string;
  ISSUER: string;
  AUDIENCE: string;
}

interface WorkersCache {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}

/** Writes still running when a response is sent: handed to ctx.waitUntil so the isolate finishes them. */
const pending: Promise<unknown>[] = [];

/** A JwksStore on the Workers Cache API (caches.default), one entry per JWKS URL. */
const cacheApiStore: JwksStore = {
  async get(jwksUri) {
    const cache = (globalThis as unknown as { caches: { default: WorkersCache } }).caches.default;
    const hit = await cache.match(`https://jwks-store.internal/${encodeURIComponent(jwksUri)}`);
    return hit === undefined ? undefined : ((await hit.json()) as PersistedJwks);
  },
  set(jwksUri, value) {
    const cache = (globalThis as unknown as { caches: { default: WorkersCache } }).caches.default;
    const put = cache.put(
      `https://jwks-store.internal/${encodeURIComponent(jwksUri)}`,
      // Kept for a day; the library judges freshness on value.headers, not on this entry's age.
      new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=86400' } }),
    );
    pending.push(put);
    return put;
  },
};

let app: Hono | undefined;
let verifier: Verifier | undefined;

function appFor(env: Env): Hono {
  if (app !== undefined) return app;
  verifier = createVerifier({
    issuer: env.ISSUER,
    audience: env.AUDIENCE,
    jwksUri: env.JWKS_URL,
    allowHttp: true,
    timeout: 5000,
    jwksStore: cacheApiStore,
  });
  const a = new Hono();
  a.get('/items', requireToken(verifier, { realm: 'api' }), (c) => c.json({ sub: c.get('auth').payload.sub ?? null }));
  app = a;
  return a;
}

export default {
  async fetch(request: Request, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/suite') {
      return Response.json(await runSuite((await request.json()) as SuiteInput, createVerifier));
    }
    if (url.pathname === '/__stored') {
      // For the test: whether the Cache API holds the JWKS yet (the write runs after the response).
      return Response.json({ stored: (await cacheApiStore.get(env.JWKS_URL)) !== undefined });
    }
    const res = await appFor(env).fetch(request);
    ctx.waitUntil(Promise.allSettled(pending.splice(0)));
    return res;
  },
};
