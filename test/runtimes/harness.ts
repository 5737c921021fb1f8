/**
 * Node side of the cross-runtime tests: bundles test/runtimes/main-*.ts with esbuild, builds the
 * inputs (Wycheproof files, tokens signed by jose on Node, a JWKS server on 127.0.0.1), runs them on
 * Node, Deno, Bun (the binaries of the `deno` and `bun` devDependencies) and workerd (miniflare),
 * and holds the assertions every runtime must pass.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ASYMMETRIC_KINDS, compose, issuerFor, kindLabel, type TestIssuer } from '../support/sign.js';
import type { Outcome, SuiteInput, SuiteOutput, TokenCase, VectorFile, VectorResult, WycheproofGroup } from './suite.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');

/** Wycheproof file → JOSE alg (and curve); the same mapping as test/jose/wycheproof.test.ts. */
const FILE_ALGS: Record<string, { alg: VectorFile['alg']; crv?: string }> = {
  'ecdsa_secp256r1_sha256_p1363_test.json': { alg: 'ES256' },
  'ecdsa_secp384r1_sha384_p1363_test.json': { alg: 'ES384' },
  'ecdsa_secp521r1_sha512_p1363_test.json': { alg: 'ES512' },
  'ecdsa_secp256k1_sha256_p1363_test.json': { alg: 'ES256K' },
  'ed25519_test.json': { alg: 'EdDSA', crv: 'Ed25519' },
  'ed448_test.json': { alg: 'EdDSA', crv: 'Ed448' },
  'rsa_signature_2048_sha256_test.json': { alg: 'RS256' },
  'rsa_signature_3072_sha256_test.json': { alg: 'RS256' },
  'rsa_signature_2048_sha384_test.json': { alg: 'RS384' },
  'rsa_signature_2048_sha512_test.json': { alg: 'RS512' },
  'rsa_signature_4096_sha512_test.json': { alg: 'RS512' },
  'rsa_pss_2048_sha256_mgf1_32_test.json': { alg: 'PS256' },
  'rsa_pss_2048_sha384_mgf1_48_test.json': { alg: 'PS384' },
  'rsa_pss_4096_sha512_mgf1_64_test.json': { alg: 'PS512' },
};
export const TOTAL_VECTORS = 3072;

export function loadVectors(): Record<string, VectorFile> {
  const dir = join(ROOT, 'test/fixtures/wycheproof');
  const present = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.deepEqual(present, Object.keys(FILE_ALGS).sort(), 'every vector file is mapped');
  const out: Record<string, VectorFile> = {};
  for (const [file, m] of Object.entries(FILE_ALGS)) {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      testGroups: (WycheproofGroup & { keyJwk?: Record<string, unknown> })[];
    };
    out[file] = {
      ...m,
      groups: data.testGroups.map((g) => ({
        publicKeyPem: g.publicKeyPem,
        ...((g.publicKeyJwk ?? g.keyJwk) ? { publicKeyJwk: g.publicKeyJwk ?? g.keyJwk } : {}),
        tests: g.tests.map((t) => ({ tcId: t.tcId, msg: t.msg, sig: t.sig, result: t.result })),
      })),
    };
  }
  return out;
}

/**
 * What every runtime must show for the vectors: for algorithms the backend keeps, no invalid vector
 * verifies, every valid one does and importJwk takes the keys; narrowed ones are still run (through
 * the PEM) and measured, and importJwk must refuse their keys naming the runtime.
 */
export function assertVectors(results: readonly VectorResult[], modes: readonly string[], runtime: string): void {
  for (const mode of modes) {
    const mine = results.filter((r) => r.mode === mode);
    assert.equal(mine.length, Object.keys(FILE_ALGS).length, `${runtime} ${mode}: every file ran`);
    assert.equal(
      mine.reduce((n, r) => n + r.tests, 0),
      TOTAL_VECTORS,
      `${runtime} ${mode}: every vector ran`,
    );
    for (const r of mine) {
      const where = `${runtime} ${mode} ${r.file}`;
      if (r.gap === undefined) {
        assert.equal(r.invalidAccepted, 0, `${where}: invalid vectors verified: ${r.examples.join('; ')}`);
        assert.equal(r.jwkImport, 'ok', `${where}: importJwk refused a group key`);
        assert.equal(r.keyRefused, 0, `${where}: keys refused`);
        assert.equal(r.validRejected, 0, `${where}: valid vectors rejected: ${r.examples.join('; ')}`);
        assert.ok(r.validVerified > 0, `${where}: nothing verified`);
      } else if (r.file.startsWith('ed448') || r.file.includes('secp256k1')) {
        assert.match(r.jwkImport, new RegExp(`cannot be used on ${runtime}`), `${where}: a narrowed curve's key is refused at import`);
      }
    }
  }
}

/** A short table of the vector results, for t.diagnostic. */
export function describeVectors(results: readonly VectorResult[]): string {
  return results
    .filter((r) => r.gap !== undefined || r.validRejected > 0 || r.keyRefused > 0)
    .map(
      (r) =>
        `${r.mode} ${r.file}: valid ${r.validVerified}/${r.validVerified + r.validRejected}, invalid accepted ${r.invalidAccepted}, keys refused ${r.keyRefused}${r.gap ? ` (narrowed: ${r.gap})` : ''}`,
    )
    .join('\n');
}

export const ISSUER = 'https://issuer.runtimes.test';
export const AUDIENCE = 'runtime-client';

export interface VerifyFixture {
  input: SuiteInput;
  issuers: TestIssuer[];
}

/** Tokens for every asymmetric kind plus attacks, signed on Node; the same JWKS static and remote. */
export async function verifyFixture(jwksUrl?: string): Promise<VerifyFixture> {
  const issuers = await Promise.all(ASYMMETRIC_KINDS.map((k) => issuerFor(k)));
  const other = await issuerFor({ alg: 'RS256' }, 'runtimes-other');
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    sub: 'alice',
    aud: AUDIENCE,
    iat: now,
    exp: now + 600,
    nonce: 'n-1',
    ...extra,
  });
  const tokens: TokenCase[] = [];
  for (const [i, iss] of issuers.entries()) {
    tokens.push({ name: `valid-${kindLabel(ASYMMETRIC_KINDS[i]!)}`, token: await iss.sign(claims()), profile: 'id', nonce: 'n-1' });
  }
  const rs = issuers[0]!;
  const good = await rs.sign(claims());
  const [h, p, s] = good.split('.') as [string, string, string];
  const attacks: TokenCase[] = [
    { name: 'expired', token: await rs.sign(claims({ exp: now - 3600, iat: now - 7200 })), profile: 'id', nonce: 'n-1' },
    { name: 'wrong-audience', token: await rs.sign(claims({ aud: 'someone-else' })), profile: 'id', nonce: 'n-1' },
    { name: 'wrong-nonce', token: good, profile: 'id', nonce: 'n-2' },
    { name: 'tampered-payload', token: `${h}.${compose({}, claims({ sub: 'mallory' })).split('.')[1]}.${s}`, profile: 'id', nonce: 'n-1' },
    { name: 'other-key-same-kid', token: await other.sign(claims(), { kid: rs.kid }), profile: 'id', nonce: 'n-1' },
    { name: 'alg-none', token: compose({ alg: 'none', kid: rs.kid }, claims()) + '', profile: 'id', nonce: 'n-1' },
    { name: 'hs256-with-public-key', token: `${compose({ alg: 'HS256', kid: rs.kid }, claims())}${s}`, profile: 'id', nonce: 'n-1' },
    { name: 'unknown-kid', token: await rs.sign(claims(), { kid: 'nobody' }), profile: 'id', nonce: 'n-1' },
    { name: 'truncated-signature', token: `${h}.${p}.${s.slice(0, 40)}`, profile: 'id', nonce: 'n-1' },
  ];
  tokens.push(...attacks);
  // Keys a runtime may narrow out (secp256k1, Ed448) first, so a refusal's message shows their reason.
  const narrowable = (i: TestIssuer) => i.alg === 'ES256K' || i.crv === 'Ed448';
  const jwks = { keys: [...issuers.filter(narrowable), ...issuers.filter((i) => !narrowable(i))].map((i) => i.jwk!) };
  const remoteTokens = tokens.filter(
    (t) => t.name === 'valid-RS256' || t.name === 'valid-ES256' || t.name === 'valid-EdDSA/Ed25519' || t.name === 'other-key-same-kid',
  );
  return {
    issuers,
    input: { part: 'verify', issuer: ISSUER, audience: AUDIENCE, jwks, tokens, ...(jwksUrl ? { jwksUrl, remoteTokens } : {}) },
  };
}

/**
 * The verification path on `runtime` must match Node's outcome code for code, except where the
 * runtime narrowed an algorithm or curve: then ERR_ALG_NOT_ALLOWED (alg) or a failure whose
 * message names the runtime (curve: the key was refused at import).
 */
export function assertSameAsNode(
  node: Record<string, Outcome>,
  other: Record<string, Outcome>,
  runtime: string,
  unavailable: readonly string[],
): void {
  assert.deepEqual(Object.keys(other).sort(), Object.keys(node).sort(), `${runtime}: same cases`);
  for (const [name, want] of Object.entries(node)) {
    const got = other[name]!;
    const narrowedAlg = unavailable.find((a) => name === `valid-${a}`);
    const narrowedCurve = unavailable.find((c) => name === `valid-EdDSA/${c}`);
    if (narrowedAlg !== undefined) {
      assert.equal(got.code, 'ERR_ALG_NOT_ALLOWED', `${runtime} ${name}: ${got.message}`);
      assert.match(got.message ?? '', new RegExp(runtime), `${runtime} ${name}: names the runtime`);
    } else if (narrowedCurve !== undefined) {
      assert.equal(got.code, 'ERR_KEY_NOT_FOUND', `${runtime} ${name}: ${got.message}`);
      assert.match(
        got.message ?? '',
        new RegExp(`${narrowedCurve} keys cannot be used on ${runtime}`),
        `${runtime} ${name}: names the runtime: ${got.message}`,
      );
    } else {
      assert.deepEqual(
        { ok: got.ok, code: got.code, sub: got.sub },
        { ok: want.ok, code: want.code, sub: want.sub },
        `${runtime} ${name}: ${got.message ?? ''}`,
      );
    }
  }
}

/** Node's own outcomes must be right before they serve as the reference. */
export function assertNodeReference(out: Record<string, Outcome>): void {
  for (const [name, o] of Object.entries(out)) {
    if (name.startsWith('valid-')) assert.deepEqual(o, { ok: true, sub: 'alice' }, name);
    else assert.equal(o.ok, false, `${name} must fail`);
  }
  assert.equal(out['expired']!.code, 'ERR_EXPIRED');
  assert.equal(out['wrong-audience']!.code, 'ERR_AUDIENCE');
  assert.equal(out['wrong-nonce']!.code, 'ERR_NONCE');
  assert.equal(out['tampered-payload']!.code, 'ERR_SIGNATURE_INVALID');
  assert.equal(out['other-key-same-kid']!.code, 'ERR_SIGNATURE_INVALID');
  assert.equal(out['alg-none']!.code, 'ERR_ALG_NOT_ALLOWED');
  assert.equal(out['hs256-with-public-key']!.code, 'ERR_ALG_NOT_ALLOWED');
}

let bundleDir: string | undefined;

/** A scratch directory for bundles and inputs, removed at exit. */
export function scratch(): string {
  if (bundleDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'oidc-runtimes-'));
    bundleDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return bundleDir;
}

/** Bundles a test entry into one ESM file. */
export async function bundle(entry: 'main-cli' | 'main-worker' | 'main-browser', conditions: string[]): Promise<string> {
  const outfile = join(scratch(), `${entry}-${conditions.join('-') || 'default'}.mjs`);
  await build({
    entryPoints: [join(ROOT, `test/runtimes/${entry}.ts`)],
    bundle: true,
    format: 'esm',
    platform: entry === 'main-cli' ? 'node' : 'browser',
    conditions,
    // Deno and Bun have node: modules; workerd without nodejs_compat and browsers have none, so
    // their bundles keep nothing external (a node: import fails the build).
    external: entry === 'main-cli' ? ['node:*'] : [],
    outfile,
    logLevel: 'silent',
    target: 'es2022',
  });
  return outfile;
}

/** Runs a CLI bundle under deno or bun with a JSON input; resolves with its JSON output. */
export function runCli(runtime: 'deno' | 'bun', file: string, input: SuiteInput): Promise<SuiteOutput> {
  const dir = scratch();
  const tag = `${runtime}-${input.part}-${process.hrtime.bigint()}`;
  const inPath = join(dir, `${tag}-in.json`);
  const outPath = join(dir, `${tag}-out.json`);
  writeFileSync(inPath, JSON.stringify(input));
  const args =
    runtime === 'deno'
      ? ['run', '--quiet', '--no-prompt', '--allow-read', '--allow-write', '--allow-env', '--allow-net=127.0.0.1', file, inPath, outPath]
      : [file, inPath, outPath];
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, 'deno-dir'), NO_COLOR: '1' };
  return new Promise((resolve, reject) => {
    execFile(join(BIN, runtime), args, { env, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${runtime} failed: ${err.message}\n${stdout}\n${stderr}`));
      try {
        resolve(JSON.parse(readFileSync(outPath, 'utf8')) as SuiteOutput);
      } catch (e) {
        reject(new Error(`${runtime} wrote no output: ${(e as Error).message}\n${stdout}\n${stderr}`));
      }
    });
  });
}

/**
 * A workerd isolate (miniflare) running the worker bundle, without `nodejs_compat` (no compatibility
 * flags at all): the edge entry needs no node: module.
 */
export async function startWorkerd(
  script: string,
  bindings: Record<string, string>,
  cachePersist?: string,
): Promise<{ fetch(path: string, init?: RequestInit): Promise<Response>; dispose(): Promise<void> }> {
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: true,
    // The bundle's text, not its path: workerd refuses a module path outside its working directory.
    script: readFileSync(script, 'utf8'),
    compatibilityDate: '2026-04-01',
    compatibilityFlags: [],
    bindings,
    ...(cachePersist !== undefined ? { cachePersist } : {}),
  });
  await mf.ready;
  return {
    fetch: async (path, init) => await mf.dispatchFetch(`http://worker.test${path}`, init as never),
    dispose: () => mf.dispose(),
  };
}
