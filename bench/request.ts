/**
 * Request-level benchmark: the same route with and without bearer authentication, through each
 * adapter (and verifyRequest on bare node:http), over real HTTP on 127.0.0.1. Prints requests per
 * second and p99 latency of both, and their ratio: the per-request cost of authentication.
 *
 * Closed loop: `connections` keep-alive connections each send the next request when the previous
 * answer arrived; time-bounded slices, open and authenticated slices alternate (interleaved so
 * machine noise hits both alike). The client runs in the same process, so absolute numbers are
 * low; the ratio is the point. Keys are static (no JWKS traffic), ES256, a pool of distinct tokens.
 *
 * Standalone: `node --import tsx bench/request.ts [--quick] [--markdown]`; `npm run bench` runs it
 * after the main tables (`--no-requests` skips it).
 */
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createVerifier, type Verifier } from '../src/index.js';
import { STACKS } from '../test/adapters/apps.js';
import { makeKey } from '../test/support/jwks-server.js';

export interface RequestBenchOptions {
  readonly quick?: boolean;
  readonly markdown?: boolean;
  /** Concurrent keep-alive connections. Default 16. */
  readonly connections?: number;
}

interface Slice {
  readonly count: number;
  readonly ms: number;
  readonly latencies: number[];
}

function get(agent: Agent, url: string, token: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One time-bounded slice: `connections` loops until `ms` have passed; every answer must be 200. */
async function slice(agent: Agent, url: string, tokens: readonly string[] | undefined, connections: number, ms: number): Promise<Slice> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const status = await get(agent, url, tokens === undefined ? undefined : tokens[next++ % tokens.length]);
      if (status !== 200) throw new Error(`${url} answered ${status}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return { count: latencies.length, ms: performance.now() - start, latencies };
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN;
}

export interface RequestBenchRow {
  readonly stack: string;
  readonly openRps: number;
  readonly openP99: number;
  readonly authRps: number;
  readonly authP99: number;
}

/** Runs the scenario for every stack; returns the rows and the rendered table. */
export async function runRequestBench(o: RequestBenchOptions = {}): Promise<{ rows: RequestBenchRow[]; table: string }> {
  const connections = o.connections ?? 16;
  const rounds = o.quick ? 2 : 5;
  const sliceMs = o.quick ? 300 : 1000;
  const issuer = 'https://as.bench.example';
  const audience = 'https://api.bench.example';
  const key = await makeKey('bench', 'ES256');
  const now = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(
    Array.from({ length: 200 }, () =>
      key.sign(
        { iss: issuer, aud: audience, sub: 'alice', client_id: 'c', jti: randomUUID(), exp: now + 3600, scope: 'read' },
        { typ: 'at+jwt' },
      ),
    ),
  );
  const verifier: Verifier = createVerifier({ issuer, audience, jwks: { keys: [key.jwk as never] } });
  const rows: RequestBenchRow[] = [];
  try {
    for (const [stack, start] of STACKS) {
      const app = await start(verifier, { realm: 'api', requiredScopes: ['read'] });
      const agent = new Agent({ keepAlive: true, maxSockets: connections });
      try {
        // Warm-up: JIT, connections, the key import.
        await slice(agent, `${app.origin}/open`, undefined, connections, 100);
        await slice(agent, `${app.origin}/items`, tokens, connections, 100);
        const open: Slice[] = [];
        const auth: Slice[] = [];
        for (let r = 0; r < rounds; r++) {
          open.push(await slice(agent, `${app.origin}/open`, undefined, connections, sliceMs));
          auth.push(await slice(agent, `${app.origin}/items`, tokens, connections, sliceMs));
        }
        const rps = (s: Slice[]): number => s.reduce((a, x) => a + x.count, 0) / (s.reduce((a, x) => a + x.ms, 0) / 1000);
        rows.push({
          stack,
          openRps: rps(open),
          openP99: p99(open.flatMap((s) => s.latencies)),
          authRps: rps(auth),
          authP99: p99(auth.flatMap((s) => s.latencies)),
        });
      } finally {
        agent.destroy();
        await app.close();
      }
    }
  } finally {
    verifier.close();
  }
  return { rows, table: render(rows, o, { connections, rounds, sliceMs }) };
}

function render(rows: RequestBenchRow[], o: RequestBenchOptions, p: { connections: number; rounds: number; sliceMs: number }): string {
  const head = ['stack', 'no auth req/s', 'no auth p99 ms', 'bearer req/s', 'bearer p99 ms', 'req/s ratio', 'p99 ratio'];
  const body = rows.map((r) => [
    r.stack,
    Math.round(r.openRps).toLocaleString('en-US'),
    r.openP99.toFixed(2),
    Math.round(r.authRps).toLocaleString('en-US'),
    r.authP99.toFixed(2),
    (r.authRps / r.openRps).toFixed(2),
    (r.authP99 / r.openP99).toFixed(2),
  ]);
  const note =
    `${p.connections} keep-alive connections, closed loop, ${p.rounds} interleaved rounds of ${p.sliceMs} ms per route; ES256 access tokens (pool of 200), ` +
    `static keys; client in the same process on 127.0.0.1${o.quick ? ' (--quick: rough numbers)' : ''}. req/s ratio = bearer / no auth (1.00 = free).`;
  if (o.markdown) {
    return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`), '', note].join(
      '\n',
    );
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line), '', note].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const { table } = await runRequestBench({ quick: argv.includes('--quick'), markdown: argv.includes('--markdown') });
  console.log(table);
}
