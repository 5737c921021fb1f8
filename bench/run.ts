import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createContenders } from './lib/contenders.js';
import { memoryCheck, FLAT_LIMIT_MB } from './lib/memory.js';
import { parseOptions, USAGE, type BenchOptions } from './lib/options.js';
import { parallelismNotes, renderAlg, renderTargets, targets } from './lib/report.js';
import { runAlg, type AlgResult } from './lib/rounds.js';
import { createFixture } from './lib/tokens.js';
import { gate } from './verify.js';
import { runRequestBench } from './request.js';
import { runReplayDpopBench } from './replay-dpop.js';
import { runCacheBench } from './cache.js';
import { runRuntimeBench } from './runtimes.js';
import { runGatewayBench } from './gateway.js';
import { runHttpLoadBench } from './http-load.js';

/**
 * `npm run bench`: oidc-verifier against raw node:crypto and the Node.js peers, in one process,
 * interleaved round-robin, for RS256, PS256, ES256 and EdDSA; then the memory check and, when
 * bench/remote.ts exists, the remote JWKS benchmark. Progress goes to stderr, results to stdout.
 */

function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${msg}`);
  else process.stderr.write(`${msg}\n`);
}

function done(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

function environment(o: BenchOptions): string {
  const cpu = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `node ${process.version}, ${cpu.length} CPU(s) ${cpu[0]?.model.trim() ?? '?'}, load average ${load}, ${new Date().toISOString()}`,
    `${o.rounds} rounds x ${o.pairs} paired slices per contender, slices of ${o.sliceMs} ms (sequential) / ${o.sliceMs * 2} ms (concurrent), ${o.poolSize} distinct tokens per alg, ` +
      `concurrent = ${o.inFlight} in flight; ops/s = median over slices, vs raw = median over pairs of the ratio to the raw crypto.verify slice run next to it, ` +
      `p50/p99 over every call${o.quick ? ' (--quick: rough numbers)' : ''}`,
    'oidc-verifier runs with cache: false in the tables per alg and the memory check (distinct tokens: the crypto path); ' +
      'the verified-signature cache (on by default) is measured in its own section, with repeated tokens.',
  ].join('\n');
}

interface RemoteModule {
  runRemoteBench?: (options?: { quick?: boolean; markdown?: boolean }) => unknown;
}

async function runRemote(o: BenchOptions): Promise<string | undefined> {
  const path = fileURLToPath(new URL('./remote.ts', import.meta.url));
  if (!existsSync(path)) return undefined;
  const mod = (await import(pathToFileURL(path).href)) as RemoteModule;
  if (typeof mod.runRemoteBench !== 'function') return 'bench/remote.ts has no runRemoteBench() export: skipped';
  const out = await mod.runRemoteBench({ quick: o.quick, markdown: o.markdown });
  if (typeof out === 'string') return out;
  if (typeof out === 'object' && out !== null && typeof (out as { table?: unknown }).table === 'string')
    return (out as { table: string }).table;
  return ''; // it printed its own table
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const o = parsed;
  const started = Date.now();
  const h = (level: number, text: string): string => (o.markdown ? `${'#'.repeat(level)} ${text}` : `== ${text} ==`);
  console.log(h(2, 'oidc-verifier benchmark'));
  console.log(environment(o));
  if ((globalThis as { gc?: unknown }).gc === undefined)
    console.log('note: run with --expose-gc (npm run bench does) for a GC before the timed rounds and the memory check');

  const results: AlgResult[] = [];
  for (const alg of o.algs) {
    progress(`${alg}: signing ${o.poolSize} tokens with jose`);
    const fixture = await createFixture(alg, o.poolSize);
    const contenders = createContenders(fixture);
    await gate(contenders, fixture);
    const res = await runAlg(fixture, contenders, o, progress);
    done();
    results.push(res);
    console.log(`\n${h(3, alg)}\n`);
    console.log(renderAlg(res, o.inFlight, o.markdown));
  }

  const verdicts = targets(results, o.inFlight);
  console.log(`\n${h(3, 'Targets (issue 2)')}\n`);
  console.log(renderTargets(verdicts, o.markdown));
  console.log('');
  for (const note of parallelismNotes(results, o.inFlight)) console.log(o.markdown ? `- ${note}` : note);

  if (o.memoryTokens > 0) {
    progress(`memory: signing and verifying ${o.memoryTokens} tokens`);
    const m = await memoryCheck(o.memoryTokens, o.inFlight);
    done();
    console.log(`\n${h(3, 'Memory')}\n`);
    const mb = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)} MB`;
    console.log(
      `${m.tokens.toLocaleString('en-US')} distinct EdDSA tokens through verifyIdToken (${o.inFlight} in flight, ` +
        `${Math.round(m.tokens / m.verifySeconds).toLocaleString('en-US')} ops/s; signed with node:crypto in ${m.signSeconds.toFixed(1)} s).\n` +
        `heapUsed after full GCs: ${m.heapBeforeMB.toFixed(1)} MB before, ${m.heapMidMB.toFixed(1)} MB halfway, ${m.heapAfterMB.toFixed(1)} MB after: ` +
        `delta ${mb(m.deltaMB)} overall, ${mb(m.secondHalfMB)} over the second half -> ${m.pass ? 'PASS' : 'FAIL'} ` +
        `(flat = under ${FLAT_LIMIT_MB} MB overall and ${FLAT_LIMIT_MB / 2} MB over the second half)`,
    );
  }

  if (o.remote) {
    const remote = await runRemote(o);
    if (remote !== undefined) {
      console.log(`\n${h(3, 'Remote JWKS (bench/remote.ts)')}\n`);
      if (remote !== '') console.log(remote);
    }
  }

  if (o.requests) {
    progress('requests: each adapter with and without bearer authentication');
    const { table } = await runRequestBench({ quick: o.quick, markdown: o.markdown });
    done();
    console.log(`\n${h(3, 'Requests through the adapters (bench/request.ts)')}\n`);
    console.log(table);
  }
  progress('replay stores and DPoP proofs (bench/replay-dpop.ts)');
  const replayDpop = await runReplayDpopBench({ quick: o.quick, markdown: o.markdown });
  done();
  console.log(`\n${h(3, 'Replay stores and DPoP proofs (bench/replay-dpop.ts)')}\n`);
  console.log(replayDpop);

  let cacheFailed = 0;
  if (o.cache) {
    const r = await runCacheBench({ quick: o.quick, markdown: o.markdown, progress });
    done();
    cacheFailed = r.failed;
    console.log(`\n${h(3, 'Verified-signature cache (bench/cache.ts)')}\n`);
    console.log(r.table);
  }

  if (o.runtimes) {
    progress('runtimes: oidc-verifier vs jose on Node, Deno, Bun and workerd');
    const { table } = await runRuntimeBench({ quick: o.quick, markdown: o.markdown });
    done();
    console.log(`\n${h(3, 'Each runtime, as a ratio to jose there (bench/runtimes.ts)')}\n`);
    console.log(table);
  }

  if (o.httpLoad) {
    const { table } = await runHttpLoadBench({ quick: o.quick, markdown: o.markdown, progress });
    done();
    console.log(`\n${h(3, 'Real servers under HTTP load, against the peers (bench/http-load.ts)')}\n`);
    console.log(table);
  }

  progress('gateway: autocannon through nginx to two serve replicas (bench/gateway.ts)');
  const gateway = await runGatewayBench({ quick: o.quick, markdown: o.markdown });
  done();
  console.log(`\n${h(3, 'Gateway mode through nginx (bench/gateway.ts)')}\n`);
  console.log(gateway.table);

  const failed = verdicts.filter((t) => !t.pass).length + cacheFailed + gateway.failed;
  console.log(
    `\n${failed === 0 ? 'all targets met' : `${failed} target(s) not met`}; took ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

try {
  await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
