/**
 * Load through a real nginx (bench/gateway.ts's driver): autocannon for 10 s at 64 connections on
 * 127.0.0.1, valid tokens mixed with forgeries and a random-kid flood, one of the two replicas
 * SIGKILLed halfway. Asserts correctness only (every answer right, no 5xx, no forgery reaching the
 * API, bounded heap); the numbers are printed, never asserted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { heapBytes, renderLoad, runGatewayLoad, upstreamCounter, type LoadOptions } from '../../bench/gateway.js';
import { startStack, type Stack } from '../support/gateway-stack.js';

let stack: Stack;
const { onRequest, counts } = upstreamCounter();

before(async () => {
  stack = await startStack({ replicas: 2, onUpstream: onRequest });
});

after(async () => {
  await stack?.close();
});

/** A replica's heap after 10 s of load: far above a healthy ~20-60 MB, far below a leak keyed by attacker input. */
const HEAP_LIMIT_BYTES = 256 * 2 ** 20;

test('10 s at 64 connections through nginx, a replica killed halfway: zero wrong answers, zero 5xx, zero forgeries accepted', async () => {
  const o: LoadOptions = { durationSec: 10, connections: 64, killReplica: 1 };
  const r = await runGatewayLoad(stack, counts, o);
  console.log(renderLoad(r, o, stack.replicas.length));
  console.log(JSON.stringify(r.byKind));

  assert.ok(r.killedAtSec !== undefined, 'the replica was killed during the run');
  assert.ok(stack.replicas[1]?.exited);
  // After the kill, round-robin picks the dead replica again: nginx logs the failure and retries.
  assert.ok(r.nginxUpstreamErrors > 0, 'nginx met the dead replica at least once (the retry path ran)');
  assert.ok(r.requests > 100, `enough load to mean something: ${r.requests} requests`);
  for (const kind of [
    'valid',
    'valid-post',
    'public',
    'bad-signature',
    'expired',
    'wrong-audience',
    'random-kid',
    'no-token',
    'missing-scope',
  ])
    assert.ok(Object.values(r.byKind[kind] ?? {}).reduce((a, b) => a + b, 0) > 0, `${kind} requests were made`);
  assert.equal(r.wrongAnswers, 0, r.wrongSamples.join('\n'));
  assert.equal(r.status5xx, 0);
  assert.equal(r.connectionErrors, 0);
  assert.equal(r.timeouts, 0);
  assert.equal(r.forgeriesAccepted, 0, JSON.stringify([...counts]));
  assert.ok(r.upstreamRequests > 0);
  assert.ok(r.jwksRequests < 100, `the random-kid flood did not turn into a JWKS flood: ${r.jwksRequests} fetches`);

  for (const [i, m] of r.replicaMetrics.entries()) {
    const heap = heapBytes(m);
    assert.ok(heap !== undefined && heap > 0, `replica ${i} exposes oidc_verifier_heap_used_bytes in /metrics`);
    assert.ok(heap < HEAP_LIMIT_BYTES, `replica ${i}: heap ${heap} bytes`);
  }
  // the survivor still answers correctly, directly and through nginx
  const res = await fetch(`${stack.nginx.origin}/orders/1`, { headers: { authorization: `Bearer ${await stack.token()}` } });
  assert.equal(res.status, 200);
});
