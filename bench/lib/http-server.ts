/**
 * One server of bench/http-load.ts, run in its own child process (`fork`), so its CPU is apart
 * from the load generator's. Serves `GET /open` (no authentication) and, per alg, `GET /<alg>`
 * and `GET /<alg>/nocache` (the same with the verifier's cache off; peers have one route per alg).
 * Every protected route checks the signature, `iss`, `aud` and `exp` and answers `{ sub }`.
 *
 * IPC: the child sends `{ port }` once listening; on `'cpu'` it answers `{ cpu: { user, system,
 * main, checks } }`: seconds (the whole process, all threads; the main thread alone, from /proc),
 * and for ours the count of signature checks by where they ran (src/concurrency/dispatch.ts).
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { threadCpu } from './thread-cpu.js';
import type * as FastifyAdapter from '../../src/adapters/fastify.js';
import type * as ExpressAdapter from '../../src/adapters/express.js';
import type * as HonoAdapter from '../../src/adapters/hono.js';

export type Framework = 'fastify' | 'express' | 'hono';
export type Contender = 'ours' | 'peer' | 'none';

export interface ServerConfig {
  readonly framework: Framework;
  readonly contender: Contender;
  readonly algs: readonly string[];
  readonly issuer: string;
  readonly audience: string;
  /** The keys, as the JWKS endpoint at `${issuer}/.well-known/jwks.json` serves them. */
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
  /** Where oidc-verifier's src/ is (another checkout's, to compare with a version before a change). */
  readonly srcDir: string;
}

type Handler = (sub: unknown) => unknown;

const config = JSON.parse(process.argv[2]!) as ServerConfig;
const src = (path: string): Promise<unknown> => import(pathToFileURL(`${config.srcDir}/${path}`).href);

interface OursModules {
  createVerifier: (o: Record<string, unknown>) => { close(): void };
}

async function oursVerifiers(): Promise<{ cached: unknown; uncached: unknown }> {
  const { createVerifier } = (await src('index.ts')) as OursModules;
  const base = { issuer: config.issuer, audience: config.audience, jwks: config.jwks, algorithms: [...config.algs] };
  return { cached: createVerifier(base), uncached: createVerifier({ ...base, cache: false }) };
}

async function startFastify(): Promise<number> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/open', async () => ({ sub: 'open' }));
  if (config.contender === 'ours') {
    const { requireToken } = (await src('adapters/fastify.ts')) as typeof FastifyAdapter;
    const v = (await oursVerifiers()) as { cached: never; uncached: never };
    for (const alg of config.algs) {
      app.get(`/${alg}`, { preHandler: requireToken(v.cached) }, async (req) => ({ sub: req.auth?.payload.sub }));
      app.get(`/${alg}/nocache`, { preHandler: requireToken(v.uncached) }, async (req) => ({ sub: req.auth?.payload.sub }));
    }
  } else if (config.contender === 'peer') {
    const { default: fjwt } = await import('@fastify/jwt');
    const { default: buildGetJwks } = await import('get-jwks');
    const getJwks = buildGetJwks();
    await app.register(fjwt, {
      decode: { complete: true },
      secret: (_req: unknown, token: { header: { kid: string; alg: string }; payload: { iss: string } }) =>
        getJwks.getPublicKey({ kid: token.header.kid, domain: token.payload.iss, alg: token.header.alg }),
      verify: { allowedIss: config.issuer, allowedAud: config.audience, algorithms: [...config.algs] },
    } as never);
    for (const alg of config.algs) {
      app.get(`/${alg}`, async (req) => {
        await (req as unknown as { jwtVerify(): Promise<void> }).jwtVerify();
        return { sub: (req as unknown as { user: { sub: unknown } }).user.sub };
      });
    }
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

async function startExpress(): Promise<number> {
  const { default: express } = await import('express');
  const app = express();
  app.get('/open', (_req, res) => void res.json({ sub: 'open' }));
  const reply: Handler = (sub) => ({ sub });
  if (config.contender === 'ours') {
    const { requireToken } = (await src('adapters/express.ts')) as typeof ExpressAdapter;
    const v = (await oursVerifiers()) as { cached: never; uncached: never };
    for (const alg of config.algs) {
      app.get(`/${alg}`, requireToken(v.cached), (req, res) => void res.json(reply(req.auth?.payload.sub)));
      app.get(`/${alg}/nocache`, requireToken(v.uncached), (req, res) => void res.json(reply(req.auth?.payload.sub)));
    }
  } else if (config.contender === 'peer') {
    const { auth } = await import('express-oauth2-jwt-bearer');
    // Discovery at issuerBaseURL (http is allowed outside NODE_ENV=production), then its jwks_uri.
    const mw = auth({ issuerBaseURL: config.issuer, audience: config.audience });
    for (const alg of config.algs) {
      app.get(
        `/${alg}`,
        mw,
        (req, res) => void res.json(reply((req as unknown as { auth?: { payload: { sub?: unknown } } }).auth?.payload.sub)),
      );
    }
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return (server.address() as AddressInfo).port;
}

async function startHono(): Promise<number> {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const app = new Hono();
  app.get('/open', (c) => c.json({ sub: 'open' }));
  if (config.contender === 'ours') {
    const { requireToken } = (await src('adapters/hono.ts')) as typeof HonoAdapter;
    const v = (await oursVerifiers()) as { cached: never; uncached: never };
    for (const alg of config.algs) {
      app.get(`/${alg}`, requireToken(v.cached), (c) => c.json({ sub: c.get('auth')?.payload.sub }));
      app.get(`/${alg}/nocache`, requireToken(v.uncached), (c) => c.json({ sub: c.get('auth')?.payload.sub }));
    }
  } else if (config.contender === 'peer') {
    const { jwk } = await import('hono/jwk');
    // `keys` fetched once from the JWKS endpoint: with `jwks_uri`, hono/jwk fetches the JWKS on
    // every request (hono 4.13), which would measure the JWKS server, not the verifier.
    const res = await fetch(`${config.issuer}/.well-known/jwks.json`);
    const { keys } = (await res.json()) as { keys: never[] };
    for (const alg of config.algs) {
      app.get(
        `/${alg}`,
        jwk({ keys, alg: [alg as 'RS256'], verification: { iss: config.issuer, aud: config.audience, typ: 'at+jwt' } }),
        (c) => c.json({ sub: (c.get('jwtPayload' as never) as { sub?: unknown }).sub }),
      );
    }
  }
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return (server.address() as AddressInfo).port;
}

const starters: Record<Framework, () => Promise<number>> = { fastify: startFastify, express: startExpress, hono: startHono };
const port = await starters[config.framework]();
interface DispatchModule {
  dispatchInternals?: { counts(): Record<string, number> };
}
// Where our signature checks ran (inline, main, worker, pool); absent for peers and older checkouts.
const dispatch =
  config.contender === 'ours' ? ((await src('concurrency/dispatch.ts').catch(() => ({}))) as DispatchModule).dispatchInternals : undefined;
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send!({ cpu: { user: u.user / 1e6, system: u.system / 1e6, main: threadCpu()?.main ?? NaN, checks: dispatch?.counts() } });
  } else if (m === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
process.send!({ port });
