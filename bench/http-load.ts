/**
 * Request-level benchmark against the peers, through real servers under real HTTP load (issue 15).
 * Each server runs in its own child process (bench/lib/http-server.ts); the load generator
 * (autocannon, programmatic, 64 keep-alive connections) runs here, so the CPU of both is measured
 * apart: the server's from `process.cpuUsage()` reported by the child (all its threads, and its
 * main thread from /proc), the generator's from this process, the machine's idle share from
 * /proc/stat. Same trivial route everywhere: verify the bearer token (signature, iss, aud, exp)
 * and answer `{ sub }`; `GET /open` without authentication is the baseline.
 *
 * - Fastify 5: our adapter vs @fastify/jwt (fast-jwt) with get-jwks (JWKS from 127.0.0.1)
 * - Express 5: our adapter vs express-oauth2-jwt-bearer (issuerBaseURL discovery on http://127.0.0.1)
 * - Hono 4 on @hono/node-server: our adapter vs hono/jwk (keys fetched once from the JWKS endpoint)
 *
 * ES256 and RS256; `repeated`: a pool of 100 tokens cycled (our cache on, its default);
 * `distinct`: a pool of 2,000 distinct tokens cycled, our cache off (no peer caches by default, so
 * every request of every contender pays a signature check). Rounds interleave the contenders, so
 * each ratio compares runs next to each other; the ratio printed is the median over rounds.
 * Also: the p50 of a lone request (one connection, one request at a time, timed here in µs).
 *
 * `node --import tsx bench/http-load.ts [--quick] [--markdown] [--before <src dir>] [--frameworks a,b]
 * [--rounds N] [--seconds N] [--lone-only]`: `--before`
 * adds "ours (before)", our adapters from another checkout's src/ (e.g. `git archive` of an earlier
 * commit), to compare a change under the same load. `npm run bench` runs it (`--no-http-load` skips).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { freshKeyPair } from '../test/support/fresh-key-pair.js';
import type { Contender, Framework, ServerConfig } from './lib/http-server.js';

export interface HttpLoadOptions {
  readonly quick?: boolean;
  readonly markdown?: boolean;
  /** Another src/ directory: adds "ours (before)" served from it. */
  readonly before?: string;
  readonly progress?: (msg: string) => void;
  /** Only these frameworks (default: all three). */
  readonly frameworks?: readonly Framework[];
  /** Interleaved rounds and seconds per cell (defaults: 3 and 3; `quick`: 1 and 1). */
  readonly rounds?: number;
  readonly seconds?: number;
  /** Only the lone-request p50s, no load. */
  readonly loneOnly?: boolean;
}

type Alg = 'ES256' | 'RS256';
type Mode = 'repeated' | 'distinct';
type Who = Contender | 'before';
const ALL_FRAMEWORKS: readonly Framework[] = ['fastify', 'express', 'hono'];
const ALGS: readonly Alg[] = ['ES256', 'RS256'];
const MODES: readonly Mode[] = ['repeated', 'distinct'];
const CONNECTIONS = 64;
const AUDIENCE = 'https://api.bench.example';
const PEER_NAME: Record<Framework, string> = {
  fastify: '@fastify/jwt + get-jwks',
  express: 'express-oauth2-jwt-bearer',
  hono: 'hono/jwk',
};

interface Cpu {
  readonly user: number;
  readonly system: number;
  readonly main: number;
  /** Ours only: signature checks so far by where they ran. */
  readonly checks?: Readonly<Record<string, number>>;
}

/** Share of the checks between two counts that left the main thread (worker or threadpool). */
function offMainShare(a: Cpu['checks'], b: Cpu['checks']): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  const d = (k: string): number => (b[k] ?? 0) - (a[k] ?? 0);
  const total = d('inline') + d('main') + d('worker') + d('pool');
  return total > 0 ? (d('worker') + d('pool')) / total : undefined;
}

class ServerChild {
  readonly #child: ChildProcess;
  readonly #waiting: ((m: unknown) => void)[] = [];
  port = 0;

  constructor(config: ServerConfig) {
    const script = fileURLToPath(new URL('./lib/http-server.ts', import.meta.url));
    this.#child = fork(script, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (m) => this.#waiting.shift()?.(m));
  }

  #next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the server child did not answer within 30 s')), 30_000);
      this.#waiting.push((m) => {
        clearTimeout(t);
        resolve(m as T);
      });
    });
  }

  async started(): Promise<void> {
    this.port = (await this.#next<{ port: number }>()).port;
  }

  async cpu(): Promise<Cpu> {
    const p = this.#next<{ cpu: Cpu }>();
    this.#child.send('cpu');
    return (await p).cpu;
  }

  stop(): void {
    this.#child.kill();
  }
}

/** Jiffies of the whole machine (all CPUs), for its idle share. */
function machineTicks(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (f[3] ?? 0) + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
}

interface Run {
  readonly rps: number;
  readonly p99: number;
  /** Cores used by the server process (all threads) and by its main thread. */
  readonly serverCores: number;
  readonly serverMainCores: number;
  readonly generatorCores: number;
  readonly idleShare: number;
  /** Ours: share of signature checks run off the main thread (undefined: none, or a peer). */
  readonly offMain: number | undefined;
}

async function load(server: ServerChild, path: string, tokens: readonly string[] | undefined, seconds: number): Promise<Run> {
  let i = 0;
  const setupRequest =
    tokens === undefined
      ? undefined
      : (req: { headers?: Record<string, string> }) => ({ ...req, headers: { authorization: `Bearer ${tokens[i++ % tokens.length]}` } });
  const s0 = await server.cpu();
  const g0 = process.cpuUsage();
  const m0 = machineTicks();
  const t0 = performance.now();
  const r = await autocannon({
    url: `http://127.0.0.1:${server.port}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
    ...(setupRequest === undefined ? {} : { requests: [{ setupRequest }] }),
  });
  const wall = (performance.now() - t0) / 1000;
  const m1 = machineTicks();
  const g1 = process.cpuUsage(g0);
  const s1 = await server.cpu();
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${path}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    serverCores: (s1.user + s1.system - s0.user - s0.system) / wall,
    serverMainCores: (s1.main - s0.main) / wall,
    generatorCores: (g1.user + g1.system) / 1e6 / wall,
    idleShare: (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total),
    offMain: offMainShare(s0.checks, s1.checks),
  };
}

/**
 * p50 of a lone request in µs for each target: one keep-alive connection each, one request at a
 * time, the targets interleaved in blocks of 10 (so machine noise hits them alike), a pause before
 * each block (the server's event loop goes idle, as between a lone client's requests).
 */
async function loneP50s(targets: readonly { port: number; path: string }[], tokens: readonly string[], n: number): Promise<number[]> {
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const get = (t: number, token: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const { port, path } = targets[t]!;
      const req = request({ host: '127.0.0.1', port, path, agent: agents[t], headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path} answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  const times: number[][] = targets.map(() => []);
  try {
    for (let t = 0; t < targets.length; t++) for (let k = 0; k < 100; k++) await get(t, tokens[k % tokens.length]!);
    for (let k = 0; k < n; k += 10) {
      for (let t = 0; t < targets.length; t++) {
        await new Promise((r) => setTimeout(r, 15));
        for (let j = k; j < k + 10; j++) {
          const t0 = performance.now();
          await get(t, tokens[j % tokens.length]!);
          times[t]!.push((performance.now() - t0) * 1000);
        }
      }
    }
  } finally {
    for (const a of agents) a.destroy();
  }
  return times.map((x) => median(x));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function keysAndTokens(
  issuer: string,
  distinct: number,
): Promise<{ jwks: { keys: Record<string, unknown>[] }; tokens: Record<Alg, Record<Mode, string[]>> }> {
  const keys: Record<string, unknown>[] = [];
  const tokens = {} as Record<Alg, Record<Mode, string[]>>;
  for (const alg of ALGS) {
    const { publicKey, privateKey } =
      alg === 'ES256' ? freshKeyPair('ec', { namedCurve: 'P-256' }) : freshKeyPair('rsa', { modulusLength: 2048 });
    const kid = `http-${alg.toLowerCase()}`;
    keys.push({ ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
    const now = Math.floor(Date.now() / 1000);
    const signMany = async (n: number, tag: string): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i += 64) {
        const batch: Promise<string>[] = [];
        for (let j = i; j < Math.min(n, i + 64); j++)
          batch.push(
            new SignJWT({ client_id: 'bench-client', scope: 'read', jti: randomUUID() })
              .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
              .setIssuer(issuer)
              .setAudience(AUDIENCE)
              .setSubject(`${tag}-${j}`)
              .setIssuedAt(now - 5)
              .setExpirationTime(now + 3600)
              .sign(privateKey),
          );
        out.push(...(await Promise.all(batch)));
      }
      return out;
    };
    tokens[alg] = { repeated: await signMany(100, 'rep'), distinct: await signMany(distinct, 'dis') };
  }
  return { jwks: { keys }, tokens };
}

/** The JWKS and discovery endpoints the peers fetch from (once each, then cached by them). */
async function keyServer(): Promise<{ server: Server; origin: string; serve(jwks: unknown): void }> {
  let origin = '';
  let body = '{"keys":[]}';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/jwks.json') res.end(body);
    else if (req.url === '/.well-known/openid-configuration' || req.url === '/.well-known/oauth-authorization-server')
      res.end(JSON.stringify({ issuer: origin, jwks_uri: `${origin}/.well-known/jwks.json` }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin, serve: (jwks) => void (body = JSON.stringify(jwks)) };
}

interface Cell {
  readonly runs: Run[];
  /** Ratio to the peer / to the no-auth baseline, per round (adjacent runs). */
  readonly vsPeer: number[];
  readonly vsOpen: number[];
}

export async function runHttpLoadBench(o: HttpLoadOptions = {}): Promise<{ table: string; lowestVsPeer: number }> {
  const say = o.progress ?? ((m: string) => process.stderr.write(`${m}\n`));
  const rounds = o.loneOnly === true ? 0 : (o.rounds ?? (o.quick ? 1 : 3));
  const seconds = o.seconds ?? (o.quick ? 1 : 3);
  const FRAMEWORKS = o.frameworks ?? ALL_FRAMEWORKS;
  const distinct = o.quick ? 500 : 2000;
  const loneN = o.quick ? 200 : 1000;
  const t0 = Date.now();
  say('http-load: signing tokens');
  // The issuer is the key server's origin: get-jwks and express-oauth2-jwt-bearer find the keys from it.
  const ks = await keyServer();
  const issuer = ks.origin;
  const { jwks, tokens } = await keysAndTokens(issuer, distinct);
  ks.serve(jwks);
  const who: Who[] = o.before === undefined ? ['ours', 'peer'] : ['ours', 'before', 'peer'];
  const srcDir = fileURLToPath(new URL('../src', import.meta.url));
  const children = new Map<string, ServerChild>();
  const cells = new Map<string, Cell>();
  const openRuns = new Map<Framework, Run[]>();
  const lone = new Map<string, number>();
  try {
    for (const fw of FRAMEWORKS) {
      for (const w of [...who, 'none'] as Who[]) {
        const c = new ServerChild({
          framework: fw,
          contender: w === 'before' ? 'ours' : w,
          algs: ALGS,
          issuer,
          audience: AUDIENCE,
          jwks,
          srcDir: w === 'before' ? o.before! : srcDir,
        });
        children.set(`${fw}/${w}`, c);
      }
    }
    await Promise.all([...children.values()].map((c) => c.started()));
    const path = (w: Who, alg: Alg, mode: Mode): string => (w !== 'peer' && mode === 'distinct' ? `/${alg}/nocache` : `/${alg}`);
    // Warm-up: JIT, connections, key fetches and imports.
    say('http-load: warming up');
    for (const fw of rounds > 0 ? FRAMEWORKS : []) {
      for (const w of who)
        for (const alg of ALGS)
          for (const mode of MODES) await load(children.get(`${fw}/${w}`)!, path(w, alg, mode), tokens[alg][mode], 0.3);
      await load(children.get(`${fw}/none`)!, '/open', undefined, 0.3);
    }
    for (let r = 0; r < rounds; r++) {
      for (const fw of FRAMEWORKS) {
        say(`http-load: round ${r + 1}/${rounds}, ${fw}`);
        const open = await load(children.get(`${fw}/none`)!, '/open', undefined, seconds);
        openRuns.set(fw, [...(openRuns.get(fw) ?? []), open]);
        for (const alg of ALGS) {
          for (const mode of MODES) {
            const order = r % 2 === 0 ? who : [...who].reverse();
            const got = new Map<Who, Run>();
            for (const w of order) got.set(w, await load(children.get(`${fw}/${w}`)!, path(w, alg, mode), tokens[alg][mode], seconds));
            for (const w of who) {
              const key = `${fw}/${alg}/${mode}/${w}`;
              const cell = cells.get(key) ?? { runs: [], vsPeer: [], vsOpen: [] };
              const run = got.get(w)!;
              cell.runs.push(run);
              cell.vsPeer.push(run.rps / got.get('peer')!.rps);
              cell.vsOpen.push(run.rps / open.rps);
              cells.set(key, cell);
            }
          }
        }
      }
    }
    say('http-load: lone requests');
    for (const fw of FRAMEWORKS)
      for (const alg of ALGS) {
        const targets = who.map((w) => ({ port: children.get(`${fw}/${w}`)!.port, path: path(w, alg, 'distinct') }));
        const p50 = await loneP50s(targets, tokens[alg].distinct, loneN);
        who.forEach((w, k) => lone.set(`${fw}/${alg}/${w}`, p50[k]!));
      }
  } finally {
    for (const c of children.values()) c.stop();
    ks.server.close();
  }
  const name = (fw: Framework, w: Who): string =>
    w === 'ours' ? 'oidc-verifier' : w === 'before' ? 'oidc-verifier (before)' : PEER_NAME[fw];
  const head = [
    'framework',
    'alg',
    'tokens',
    'contender',
    'req/s',
    'vs peer',
    'vs no auth',
    'p99 ms',
    'server cores (main)',
    'req per server CPU-s',
    'generator cores',
    'idle',
    'checks off main',
  ];
  const rows: string[][] = [];
  let lowestVsPeer = Infinity;
  for (const fw of rounds > 0 ? FRAMEWORKS : []) {
    const open = openRuns.get(fw)!;
    rows.push([
      fw,
      '-',
      '-',
      'no auth (/open)',
      fmtInt(median(open.map((x) => x.rps))),
      '',
      '1.00',
      median(open.map((x) => x.p99)).toFixed(1),
      cores(open),
      perCpu(open),
      median(open.map((x) => x.generatorCores)).toFixed(2),
      pct(open),
      '',
    ]);
    for (const alg of ALGS)
      for (const mode of MODES)
        for (const w of who) {
          const c = cells.get(`${fw}/${alg}/${mode}/${w}`)!;
          if (w === 'ours' && mode === 'distinct') lowestVsPeer = Math.min(lowestVsPeer, median(c.vsPeer));
          rows.push([
            fw,
            alg,
            mode === 'repeated' ? 'repeated (100)' : `distinct (${distinct.toLocaleString('en-US')})`,
            `${name(fw, w)}${w !== 'peer' ? (mode === 'repeated' ? ', cache on' : ', cache off') : ''}`,
            fmtInt(median(c.runs.map((x) => x.rps))),
            w === 'peer' ? '1.00' : median(c.vsPeer).toFixed(2),
            median(c.vsOpen).toFixed(2),
            median(c.runs.map((x) => x.p99)).toFixed(1),
            cores(c.runs),
            perCpu(c.runs),
            median(c.runs.map((x) => x.generatorCores)).toFixed(2),
            pct(c.runs),
            offMain(c.runs),
          ]);
        }
  }
  const loneHead = ['framework', 'alg', ...who.map((w) => (w === 'peer' ? 'peer' : name('fastify', w)))];
  const loneRows = FRAMEWORKS.flatMap((fw) =>
    ALGS.map((alg) => [fw, alg, ...who.map((w) => `${lone.get(`${fw}/${alg}/${w}`)!.toFixed(0)} µs`)]),
  );
  const note =
    `node ${process.version}, ${cpus().length} CPU(s), load average before ${loadavg()[0]!.toFixed(2)}; ${new Date().toISOString()}; took ${((Date.now() - t0) / 1000).toFixed(0)} s. ` +
    `autocannon, ${CONNECTIONS} keep-alive connections, ${rounds} interleaved round(s) of ${seconds} s per cell; each server in its own process; the load generator shares the machine. ` +
    `Ratios are medians over rounds of adjacent runs. server cores = CPU seconds of the server process (all threads) per second, main thread in brackets; req per server CPU-s = req/s / server cores (what a request costs the server, whatever share of a busy machine it got); idle = the machine's idle share during the run; checks off main = the share of our signature checks run by the worker thread (or the libuv threadpool). ` +
    `Other processes on the machine (other work) show as less idle and move absolute numbers; compare the ratios${o.quick ? ' (--quick: rough numbers)' : ''}.`;
  const loneNote = `Lone request p50 (one connection per server, one request at a time, servers interleaved in blocks of 10 after a 15 ms pause; distinct tokens, our cache off; ${loneN} requests each, timed by the client).`;
  return {
    table: [
      ...(rounds > 0 ? [render(head, rows, o.markdown), '', note, ''] : []),
      render(loneHead, loneRows, o.markdown),
      '',
      loneNote,
    ].join('\n'),
    lowestVsPeer,
  };
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function cores(runs: readonly Run[]): string {
  return `${median(runs.map((x) => x.serverCores)).toFixed(2)} (${median(runs.map((x) => x.serverMainCores)).toFixed(2)})`;
}

/** Requests per CPU-second of the server process: its efficiency, whatever share of the machine it got. */
function perCpu(runs: readonly Run[]): string {
  return fmtInt(median(runs.map((x) => x.rps / Math.max(1e-9, x.serverCores))));
}

function offMain(runs: readonly Run[]): string {
  const shares = runs.map((x) => x.offMain).filter((x): x is number => x !== undefined);
  return shares.length === 0 ? '' : `${(median(shares) * 100).toFixed(0)}%`;
}

function pct(runs: readonly Run[]): string {
  return `${(median(runs.map((x) => x.idleShare)) * 100).toFixed(0)}%`;
}

function render(head: string[], rows: string[][], markdown = false): string {
  if (markdown)
    return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const before = arg('--before');
  const frameworks = arg('--frameworks')?.split(',') as Framework[] | undefined;
  const rounds = arg('--rounds');
  const seconds = arg('--seconds');
  const loneOnly = argv.includes('--lone-only');
  const { table } = await runHttpLoadBench({
    quick: argv.includes('--quick'),
    markdown: argv.includes('--markdown'),
    ...(before !== undefined ? { before } : {}),
    ...(frameworks !== undefined ? { frameworks } : {}),
    ...(rounds !== undefined ? { rounds: Number(rounds) } : {}),
    ...(seconds !== undefined ? { seconds: Number(seconds) } : {}),
    loneOnly,
  });
  console.log(table);
}
