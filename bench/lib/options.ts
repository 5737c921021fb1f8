/** Command-line options of `npm run bench`, with the defaults that keep a full run near 2-3 minutes on 2 cores. */

export const BENCH_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type BenchAlg = (typeof BENCH_ALGS)[number];

export interface BenchOptions {
  readonly algs: readonly BenchAlg[];
  /** Measured rounds per alg and mode. */
  readonly rounds: number;
  /** Paired slices (contender, raw) per contender per round; ratios are medians over all pairs. */
  readonly pairs: number;
  /** Sequential time slice, ms (concurrent slices are twice as long). */
  readonly sliceMs: number;
  /** Distinct tokens per alg. */
  readonly poolSize: number;
  /** Verifications kept outstanding in concurrent mode. */
  readonly inFlight: number;
  /** Distinct tokens in the memory check (0 = skip). */
  readonly memoryTokens: number;
  readonly markdown: boolean;
  readonly remote: boolean;
  readonly quick: boolean;
  /** Run bench/request.ts (adapters with and without bearer authentication). */
  readonly requests: boolean;
  /** Run bench/cache.ts: the verified-signature cache (repeated tokens, cache-busting, memory). */
  readonly cache: boolean;
  /** Run bench/runtimes.ts: throughput vs jose on Node, Deno, Bun and workerd. */
  readonly runtimes: boolean;
  /** Run bench/http-load.ts: real servers in child processes under autocannon, against the peers. */
  readonly httpLoad: boolean;
}

const USAGE = `usage: npm run bench -- [options]
  --alg RS256,ES256   algorithms (default ${BENCH_ALGS.join(',')})
  --rounds N          measured rounds per alg and mode (default 9, --quick 3)
  --pairs N           paired slices (contender next to raw) per contender per round (default 8, --quick 4)
  --slice MS          sequential time slice; concurrent slices are twice as long (default 10)
  --pool N            distinct tokens per alg (default 1000, --quick 200)
  --in-flight N       outstanding verifications in concurrent mode (default 64)
  --memory N          distinct tokens for the memory check, 0 skips it (default 100000, --quick 20000)
  --quick             few short rounds: a smoke run, numbers are rough
  --markdown          print Markdown tables (for the README)
  --remote            run bench/remote.ts after the tables (default when the file exists, except --quick)
  --no-remote         skip bench/remote.ts
  --requests          run bench/request.ts: each adapter's route with and without auth (default; shorter with --quick)
  --no-requests       skip bench/request.ts
  --cache             run bench/cache.ts: the verified-signature cache (default; shorter with --quick)
  --no-cache          skip bench/cache.ts
  --runtimes          run bench/runtimes.ts: ratio to jose on Node, Deno, Bun and workerd (default; shorter with --quick)
  --no-runtimes       skip bench/runtimes.ts
  --http-load         run bench/http-load.ts: servers in child processes under autocannon, vs the peers (default; shorter with --quick)
  --no-http-load      skip bench/http-load.ts
  --help`;

function intArg(name: string, raw: string | undefined, min: number): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer >= ${min}, got ${raw}\n${USAGE}`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const quick = argv.includes('--quick');
  let algs: readonly BenchAlg[] = BENCH_ALGS;
  let rounds = quick ? 3 : 9;
  let pairs = quick ? 4 : 8;
  let sliceMs = 10;
  let poolSize = quick ? 200 : 1000;
  let inFlight = 64;
  let memoryTokens = quick ? 20_000 : 100_000;
  let markdown = false;
  // The remote scenarios take ~40 s of mostly waiting: on by default, off in --quick unless asked.
  let remote = !quick;
  let requests = true;
  let cache = true;
  let runtimes = true;
  let httpLoad = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--alg':
      case '--algs': {
        const list = (value() ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const a of list) {
          if (!(BENCH_ALGS as readonly string[]).includes(a)) throw new Error(`unknown alg ${a}; choose from ${BENCH_ALGS.join(', ')}`);
        }
        if (list.length === 0) throw new Error(`--alg needs a list\n${USAGE}`);
        algs = list as BenchAlg[];
        break;
      }
      case '--rounds':
        rounds = intArg('--rounds', value(), 1);
        break;
      case '--pairs':
        pairs = intArg('--pairs', value(), 1);
        break;
      case '--slice':
        sliceMs = intArg('--slice', value(), 2);
        break;
      case '--pool':
        poolSize = intArg('--pool', value(), 1);
        break;
      case '--in-flight':
        inFlight = intArg('--in-flight', value(), 1);
        break;
      case '--memory':
        memoryTokens = intArg('--memory', value(), 0);
        break;
      case '--quick':
        break;
      case '--markdown':
        markdown = true;
        break;
      case '--remote':
        remote = true;
        break;
      case '--no-remote':
        remote = false;
        break;
      case '--requests':
        requests = true;
        break;
      case '--no-requests':
        requests = false;
        break;
      case '--cache':
        cache = true;
        break;
      case '--no-cache':
        cache = false;
        break;
      case '--runtimes':
        runtimes = true;
        break;
      case '--no-runtimes':
        runtimes = false;
        break;
      case '--http-load':
        httpLoad = true;
        break;
      case '--no-http-load':
        httpLoad = false;
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return { algs, rounds, pairs, sliceMs, poolSize, inFlight, memoryTokens, markdown, remote, quick, requests, cache, runtimes, httpLoad };
}

export { USAGE };
