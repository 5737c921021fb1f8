// Entry bundled for workerd (miniflare): the edge entry, as the `workerd` export condition loads
// it. POST /suite runs a part of the suite; every other path is a Hono app that requires a bearer
// token verified against the JWKS at env.JWKS_URL (a 127.0.0.1 server of the Node test).
import { Hono } from 'hono';
import { createVerifier, type Verifier } from '../../src/edge.js';
import { requireToken } from '../../src/adapters/hono-edge.js';
import { runSuite, type SuiteInput } from './suite.js';

interface Env {
  JWKS_URL: string;
  ISSUER: string;
  AUDIENCE: string;
}

let app: Hono | undefined;
let verifier: Verifier | undefined;

function appFor(env: Env): Hono {
  if (app !== undefined) return app;
  verifier = createVerifier({ issuer: env.ISSUER, audience: env.AUDIENCE, jwksUri: env.JWKS_URL, allowHttp: true, timeout: 5000 });
  const a = new Hono();
  a.get('/items', requireToken(verifier, { realm: 'api' }), (c) => c.json({ sub: c.get('auth').payload.sub ?? null }));
  app = a;
  return a;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/suite') {
      return Response.json(await runSuite((await request.json()) as SuiteInput, createVerifier));
    }
    return appFor(env).fetch(request);
  },
};
