/**
 * Gateway load: autocannon through a real nginx (`auth_request`, the config of
 * docs/gateway-nginx.md) to N `oidc-verifier serve` replicas sharing a real redis-server, all on
 * 127.0.0.1. The request mix holds valid tokens, forgeries (bad signature, expired, wrong audience,
 * a random-kid flood, no token) and a missing scope; every answer is checked against what that
 * request deserves, and the API upstream counts the forgeries it received (must stay 0).
 *
 * `npm run bench` runs it as one section; alone (after `npm run build`):
 * `node --import tsx bench/gateway.ts [--quick] [--kill] [--valid-only] [--pool N] [--markdown]`.
 * test/gateway-nginx/load.test.ts runs `runGatewayLoad` with a replica killed in the middle.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import { compose } from '../test/support/sign.js';
import { AUDIENCE, cpuSeconds, ISSUER, metrics, startStack, type Replica, type Stack } from '../test/support/gateway-stack.js';

/** The slice of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
}
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number; sent: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
  timeout?: number;
}) => Promise<AutocannonResult> & { stop(): void };

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The kinds of request in the mix, and the status each one deserves. */
export const KINDS = {
  valid: 200,
  'valid-post': 200,
  public: 200,
  'no-token': 401,
  'bad-signature': 401,
  expired: 401,
  'wrong-audience': 401,
  'random-kid': 401,
  'missing-scope': 403,
} as const;
export type Kind = keyof typeof KINDS;
const FORGED: ReadonlySet<string> = new Set(['no-token', 'bad-signature', 'expired', 'wrong-audience', 'random-kid', 'missing-scope']);

export interface LoadOptions {
  readonly durationSec: number;
  readonly connections: number;
  /** SIGKILL this replica (index) halfway through the run. */
  readonly killReplica?: number;
  /** `mixed` (default): valid, forged and public requests; `valid`: valid GETs only (the CPU-heavy path, for sizing). */
  readonly mix?: 'mixed' | 'valid';
  /** Distinct valid tokens cycled (default 64; more means fewer verified-signature cache hits). */
  readonly pool?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers by kind and status. */
  readonly byKind: Record<string, Record<string, number>>;
  /** Answers whose status (or, for 200, the identity reaching the API) differs from the expected. */
  readonly wrongAnswers: number;
  readonly wrongSamples: string[];
  readonly status5xx: number;
  readonly connectionErrors: number;
  readonly timeouts: number;
  /** Requests of a forged kind the API upstream received: must be 0. */
  readonly forgeriesAccepted: number;
  /** Requests the API received in all. */
  readonly upstreamRequests: number;
  /** CPU seconds used during the run: nginx (master + workers), each replica, this process (autocannon + API + JWKS server). */
  readonly cpu: { nginx: number; replicas: number[]; driver: number };
  /** /metrics of each replica: after the run, or just before it was killed. */
  readonly replicaMetrics: Map<string, number>[];
  readonly jwksRequests: number;
  /** Lines in nginx's error log about a validator replica failing (connection refused, reset, closed): retries. */
  readonly nginxUpstreamErrors: number;
  readonly killedAtSec?: number;
}

/** Upstream hook: counts what reached the API, by kind (X-Load-Kind is set by the client). */
export function upstreamCounter(): { onRequest: (req: IncomingMessage) => void; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    onRequest: (req) => {
      const kind = String(req.headers['x-load-kind'] ?? 'unknown');
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    },
  };
}

/** A token with a random kid (never in the JWKS) and a junk signature: the key-lookup flood. */
function randomKidToken(): string {
  const now = Math.floor(Date.now() / 1000);
  return compose(
    { alg: 'ES256', typ: 'at+jwt', kid: randomUUID() },
    { iss: ISSUER, aud: AUDIENCE, sub: 'mallory', client_id: 'x', jti: randomUUID(), iat: now, exp: now + 600, scope: 'read admin' },
    Buffer.alloc(64, 7),
  );
}

export async function runGatewayLoad(stack: Stack, counts: Map<string, number>, o: LoadOptions): Promise<LoadResult> {
  const POOL = o.pool ?? 64;
  const valid = await Promise.all(Array.from({ length: POOL }, (_, i) => stack.token({ sub: `user-${i}` })));
  const admin = await Promise.all(Array.from({ length: 8 }, (_, i) => stack.token({ sub: `admin-${i}`, scope: 'read admin' })));
  const now = Math.floor(Date.now() / 1000);
  const forged = await stack.token({ sub: 'mallory', scope: 'read admin' }, {}, stack.forger);
  const expired = await stack.token({ sub: 'mallory', iat: now - 3600, exp: now - 600 });
  const wrongAud = await stack.token({ sub: 'mallory', aud: 'https://other.example' });

  const byKind: Record<string, Record<string, number>> = {};
  const wrongSamples: string[] = [];
  let wrong = 0;
  let status5xx = 0;
  const check =
    (kind: Kind, expectSub?: (ctx: Record<string, unknown>) => string) =>
    (status: number, body: string, ctx: Record<string, unknown>, headers: Record<string, string>): void => {
      const k = (byKind[kind] ??= {});
      k[status] = (k[status] ?? 0) + 1;
      if (status >= 500) status5xx++;
      let ok = status === KINDS[kind];
      // autocannon keeps the header names as the server wrote them
      const challenge = Object.entries(headers).find(([name]) => name.toLowerCase() === 'www-authenticate')?.[1] ?? '';
      if (ok && status === 401 && !/^(Bearer|DPoP)\b/.test(challenge)) ok = false;
      if (ok && status === 403 && !/error="insufficient_scope"/.test(challenge)) ok = false;
      if (ok && expectSub !== undefined) {
        try {
          const echoed = JSON.parse(body) as { headers: Record<string, string> };
          ok = echoed.headers['x-auth-subject'] === expectSub(ctx);
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        wrong++;
        if (wrongSamples.length < 10) wrongSamples.push(`${kind}: ${status} ${body.slice(0, 200)}`);
      }
    };

  let n = 0;
  const pick = <T>(list: readonly T[]): T => list[n++ % list.length]!;
  const bearer = (t: string, kind: Kind): Record<string, string> => ({ authorization: `Bearer ${t}`, 'x-load-kind': kind });
  // A valid GET (two of every 11 requests) and a token whose kid no key has (two more).
  const validGet: AutocannonRequest = {
    method: 'GET',
    setupRequest: (req, ctx) => {
      const i = n++ % POOL;
      ctx.sub = `user-${i}`;
      return { ...req, path: `/orders/${i}`, headers: bearer(valid[i]!, 'valid') };
    },
    onResponse: check('valid', (ctx) => String(ctx.sub)),
  };
  const randomKid = (path: string): AutocannonRequest => ({
    method: 'GET',
    setupRequest: (req) => ({ ...req, path, headers: bearer(randomKidToken(), 'random-kid') }),
    onResponse: check('random-kid'),
  });
  const mixed: AutocannonRequest[] = [
    validGet,
    { method: 'GET', path: '/public/status', headers: { 'x-load-kind': 'public' }, onResponse: check('public') },
    { method: 'GET', path: '/orders/1', headers: bearer(forged, 'bad-signature'), onResponse: check('bad-signature') },
    randomKid('/orders/2'),
    {
      method: 'POST',
      setupRequest: (req, ctx) => {
        const t = pick(admin);
        ctx.sub = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).sub as string;
        return { ...req, path: '/admin/items', headers: bearer(t, 'valid-post') };
      },
      onResponse: check('valid-post', (ctx) => String(ctx.sub)),
    },
    { method: 'GET', path: '/orders/3', headers: bearer(expired, 'expired'), onResponse: check('expired') },
    validGet,
    { method: 'GET', path: '/orders/4', headers: bearer(wrongAud, 'wrong-audience'), onResponse: check('wrong-audience') },
    randomKid('/orders/5'),
    { method: 'GET', path: '/orders/6', headers: { 'x-load-kind': 'no-token' }, onResponse: check('no-token') },
    { method: 'POST', path: '/admin/items', headers: bearer(pick(valid), 'missing-scope'), onResponse: check('missing-scope') },
  ];
  const requests = o.mix === 'valid' ? [mixed[0]!] : mixed;

  const nginxPids = stack.nginx.pids();
  const cpu0 = {
    nginx: nginxPids.reduce((s, p) => s + cpuSeconds(p), 0),
    replicas: stack.replicas.map((r) => cpuSeconds(r.pid)),
    driver: process.cpuUsage(),
  };
  const replicaMetrics: Map<string, number>[] = stack.replicas.map(() => new Map());
  const replicaCpuAtKill: number[] = [];
  let killedAtSec: number | undefined;
  const started = Date.now();
  let killer: Promise<void> = Promise.resolve();
  let killTimer: NodeJS.Timeout | undefined;
  if (o.killReplica !== undefined) {
    const victim: Replica = stack.replicas[o.killReplica]!;
    killer = new Promise<void>((resolve) => {
      killTimer = setTimeout(
        () => {
          void (async () => {
            replicaMetrics[o.killReplica!] = await metrics(victim);
            replicaCpuAtKill[o.killReplica!] = cpuSeconds(victim.pid);
            await victim.kill();
            killedAtSec = (Date.now() - started) / 1000;
            resolve();
          })();
        },
        (o.durationSec * 1000) / 2,
      );
    });
  }
  const result = await autocannon({
    url: stack.nginx.origin,
    connections: o.connections,
    duration: o.durationSec,
    requests,
    timeout: 10,
  });
  if (killTimer !== undefined) await killer;
  const driverCpu = process.cpuUsage(cpu0.driver);
  const cpu = {
    nginx: nginxPids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0.nginx,
    replicas: stack.replicas.map((r, i) => (replicaCpuAtKill[i] ?? cpuSeconds(r.pid)) - cpu0.replicas[i]!),
    driver: (driverCpu.user + driverCpu.system) / 1e6,
  };
  for (const [i, r] of stack.replicas.entries()) if (!r.exited) replicaMetrics[i] = await metrics(r);

  let forgeriesAccepted = 0;
  let upstreamRequests = 0;
  for (const [kind, c] of counts) {
    upstreamRequests += c;
    if (FORGED.has(kind) || !(kind in KINDS)) forgeriesAccepted += c;
  }
  return {
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    byKind,
    wrongAnswers: wrong,
    wrongSamples,
    status5xx,
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    forgeriesAccepted,
    upstreamRequests,
    cpu,
    replicaMetrics,
    jwksRequests: stack.jwksServer.count('/jwks'),
    nginxUpstreamErrors: stack.nginx
      .errorLog()
      .split('\n')
      .filter((l) => l.includes('upstream: "http://') && l.includes('/check')).length,
    ...(killedAtSec === undefined ? {} : { killedAtSec }),
  };
}

/** Heap in use of a replica, from its /metrics (`oidc_verifier_heap_used_bytes`). */
export function heapBytes(m: Map<string, number>): number | undefined {
  return m.get('oidc_verifier_heap_used_bytes');
}

export function renderLoad(r: LoadResult, o: LoadOptions, replicas: number, markdown = false): string {
  const cores = r.cpu.nginx + r.cpu.replicas.reduce((a, b) => a + b, 0);
  const dur = o.durationSec;
  const totalReplicaCpu = r.cpu.replicas.reduce((a, b) => a + b, 0);
  const rows: [string, string][] = [
    [
      'requests',
      `${r.requests} (${o.mix === 'valid' ? 'valid tokens only' : 'mixed'}, ${o.pool ?? 64} distinct valid tokens) in ${dur} s at ${o.connections} connections, ${replicas} replica(s)${r.killedAtSec === undefined ? '' : `, one SIGKILLed at ${r.killedAtSec.toFixed(1)} s`}`,
    ],
    ['req/s (through nginx)', r.reqPerSec.toFixed(0)],
    ['latency p50 / p99 / max', `${r.p50Ms} / ${r.p99Ms} / ${r.maxMs} ms`],
    [
      'CPU cores used',
      `nginx ${(r.cpu.nginx / dur).toFixed(2)}, replicas ${r.cpu.replicas.map((c) => (c / dur).toFixed(2)).join(' + ')}, driver (autocannon + API + JWKS) ${(r.cpu.driver / dur).toFixed(2)}`,
    ],
    ['req/s per replica core', totalReplicaCpu > 0 ? (r.requests / totalReplicaCpu).toFixed(0) : '-'],
    ['req/s per core (nginx + replicas)', cores > 0 ? (r.requests / cores).toFixed(0) : '-'],
    ['wrong answers / 5xx / connection errors', `${r.wrongAnswers} / ${r.status5xx} / ${r.connectionErrors}`],
    ['forgeries reaching the API', `${r.forgeriesAccepted} (API received ${r.upstreamRequests} requests)`],
    ['JWKS fetches (random-kid flood included)', String(r.jwksRequests)],
    ['replica failures nginx saw (each one retried)', String(r.nginxUpstreamErrors)],
    [
      'replica heap',
      r.replicaMetrics
        .map((m, i) => {
          const h = heapBytes(m);
          return `#${i} ${h === undefined ? '?' : `${(h / 2 ** 20).toFixed(1)} MB`}`;
        })
        .join(', '),
    ],
  ];
  if (markdown) return ['| measure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n');
}

/** `npm run bench` section: a run without a kill (throughput), then nothing else. */
export async function runGatewayBench(options: { quick?: boolean; markdown?: boolean } = {}): Promise<{ table: string; failed: number }> {
  const { onRequest, counts } = upstreamCounter();
  const stack = await startStack({ replicas: 2, onUpstream: onRequest });
  try {
    const o: LoadOptions = { durationSec: options.quick ? 3 : 10, connections: 64 };
    const r = await runGatewayLoad(stack, counts, o);
    const failed = r.wrongAnswers + r.forgeriesAccepted + r.status5xx > 0 ? 1 : 0;
    return { table: renderLoad(r, o, stack.replicas.length, options.markdown), failed };
  } finally {
    await stack.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const markdown = process.argv.includes('--markdown');
  const kill = process.argv.includes('--kill');
  const { onRequest, counts } = upstreamCounter();
  const stack = await startStack({ replicas: 2, onUpstream: onRequest });
  try {
    const at = process.argv.indexOf('--pool');
    const o: LoadOptions = {
      durationSec: quick ? 3 : 10,
      connections: 64,
      ...(kill ? { killReplica: 1 } : {}),
      ...(process.argv.includes('--valid-only') ? { mix: 'valid' as const } : {}),
      ...(at > 0 ? { pool: Number(process.argv[at + 1]) } : {}),
    };
    const r = await runGatewayLoad(stack, counts, o);
    console.log(renderLoad(r, o, stack.replicas.length, markdown));
    if (r.wrongAnswers + r.forgeriesAccepted + r.status5xx > 0) {
      console.log(r.wrongSamples.join('\n'));
      process.exitCode = 1;
    }
  } finally {
    await stack.close();
  }
}
