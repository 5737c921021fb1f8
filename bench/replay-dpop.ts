/**
 * The cost of replay protection and DPoP (issue 14): a claim in the memory store vs a claim in a
 * real redis-server (node-redis, one at a time and 64 in flight), and a DPoP proof check
 * (verifyDpopProof) vs the access-token verification it comes with. Run by `npm run bench`, or
 * alone: `node --import tsx bench/replay-dpop.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import { generateKeyPair, generateProof, calculateThumbprint } from 'dpop';
import { createMemoryReplayStore, createRedisReplayStore, createVerifier, verifyDpopProof, type ReplayStore } from '../src/index.js';
import { makeIssuer } from '../test/support/sign.js';
import { startRedis } from '../test/support/redis.js';

interface Row {
  readonly what: string;
  readonly ops: number;
  readonly seconds: number;
}

async function sequential(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function concurrent(n: number, inFlight: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function claims(store: ReplayStore, n: number, tag: string, inFlight = 1): Promise<number> {
  const exp = Date.now() + 600_000;
  const fn = (i: number): Promise<boolean> => store.claim(`${tag}:${i}`, exp);
  await sequential(Math.min(200, n), (i) => store.claim(`${tag}:warm:${i}`, exp));
  return inFlight === 1 ? sequential(n, fn) : concurrent(n, inFlight, fn);
}

function render(rows: readonly Row[], markdown: boolean): string {
  const lines = rows.map((r) => {
    const perOp = (r.seconds / r.ops) * 1e6;
    const opsS = Math.round(r.ops / r.seconds).toLocaleString('en-US');
    return markdown
      ? `| ${r.what} | ${opsS} | ${perOp.toFixed(1)} |`
      : `${r.what.padEnd(58)} ${opsS.padStart(10)} ops/s ${perOp.toFixed(1).padStart(9)} µs/op`;
  });
  return markdown ? ['| operation | ops/s | µs/op |', '|---|---:|---:|', ...lines].join('\n') : lines.join('\n');
}

/** Runs the measurements and returns the table. */
export async function runReplayDpopBench(options: { quick?: boolean; markdown?: boolean } = {}): Promise<string> {
  const n = options.quick ? 2000 : 20_000;
  const proofs = options.quick ? 500 : 3000;
  const rows: Row[] = [];

  rows.push({ what: 'memory store claim', ops: n, seconds: await claims(createMemoryReplayStore({ maxEntries: 10 * n }), n, 'm') });

  const redis = await startRedis();
  const client = createClient({ url: redis.url });
  client.on('error', () => {});
  await client.connect();
  try {
    const store = createRedisReplayStore({ client, timeout: 5000 });
    rows.push({ what: 'Redis store claim (node-redis, 127.0.0.1), one at a time', ops: n, seconds: await claims(store, n, 's') });
    rows.push({ what: 'Redis store claim (node-redis, 127.0.0.1), 64 in flight', ops: n, seconds: await claims(store, n, 'c', 64) });
  } finally {
    client.destroy();
    await redis.close();
  }

  // DPoP: proofs made ahead by the dpop package, each with its own jti (and the token's ath).
  const issuer = await makeIssuer('ES256');
  const url = 'https://api.example.com/orders';
  for (const alg of ['ES256', 'Ed25519'] as const) {
    const holder = await generateKeyPair(alg);
    const jkt = await calculateThumbprint(holder.publicKey);
    const now = Math.floor(Date.now() / 1000);
    const at = await issuer.sign(
      {
        iss: 'https://issuer.example',
        sub: 'u',
        aud: 'https://api.example.com',
        exp: now + 3600,
        iat: now,
        jti: 'a',
        client_id: 'c',
        cnf: { jkt },
      },
      { typ: 'at+jwt' },
    );
    const list = await Promise.all(Array.from({ length: proofs }, () => generateProof(holder, url, 'GET', undefined, at)));
    const more = await Promise.all(Array.from({ length: proofs }, () => generateProof(holder, url, 'GET', undefined, at)));
    const store = createMemoryReplayStore();
    await sequential(50, () =>
      generateProof(holder, url, 'GET', undefined, at).then((p) =>
        verifyDpopProof({ proof: p, method: 'GET', url, accessToken: at, expectedJkt: jkt, replayStore: store }),
      ),
    );
    const seconds = await sequential(proofs, (i) =>
      verifyDpopProof({ proof: list[i]!, method: 'GET', url, accessToken: at, expectedJkt: jkt, replayStore: store }),
    );
    rows.push({ what: `verifyDpopProof, ${alg} proof, memory store`, ops: proofs, seconds });
    if (alg === 'ES256') {
      const verifier = createVerifier({
        issuer: 'https://issuer.example',
        audience: 'https://api.example.com',
        jwks: issuer.jwks,
        worker: false,
      });
      await sequential(200, () => verifier.verifyAccessToken(at));
      const tokenOnly = await sequential(proofs, () => verifier.verifyAccessToken(at));
      rows.push({ what: 'verifyAccessToken, ES256 token alone (for reference)', ops: proofs, seconds: tokenOnly });
      const withProof = await sequential(proofs, (i) => verifier.verifyAccessToken(at, { dpop: { proof: more[i]!, method: 'GET', url } }));
      rows.push({ what: 'verifyAccessToken with dpop (token + ES256 proof)', ops: proofs, seconds: withProof });
    }
  }
  return render(rows, options.markdown ?? false);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await runReplayDpopBench({ quick: process.argv.includes('--quick'), markdown: process.argv.includes('--markdown') }));
}
