/**
 * Remote-key benchmark: this project's remote key source side by side with jose's
 * createRemoteJWKSet, aws-jwt-verify's JwtVerifier/SimpleJwksCache and jwks-rsa (+ jsonwebtoken),
 * all against the same local JWKS server on 127.0.0.1 that counts requests. Measures what reaches
 * the IdP (cold-start stampede, unknown-kid storm) and what users feel (rotation, outage).
 * Bounded: well under a minute. Run: `node --import tsx bench/remote.ts`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SignJWT, createRemoteJWKSet, jwtVerify, type JWK } from 'jose';
import { freshKeyPair } from '../test/support/fresh-key-pair.js';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';
import jwksRsa from 'jwks-rsa';
import jsonwebtoken from 'jsonwebtoken';
// Run alone, nothing else installs node:crypto for the key sources (src/index.ts does it for the library).
import '../src/concurrency/node-platform.js';
import { VerifyError } from '../src/errors.js';
import { ALGORITHMS, type Algorithm } from '../src/jose/algorithms.js';
import { parseCompactJws } from '../src/jose/compact.js';
import { verifySignature } from '../src/jose/signature.js';
import { createRemoteKeySource } from '../src/remote/remote-key-source.js';

const ISS = 'https://idp.bench.local';
const AUD = 'bench-client';

interface Key {
  readonly kid: string;
  readonly jwk: JWK;
  sign(kid?: string): Promise<string>;
}

async function makeKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = freshKeyPair('ec', { namedCurve: 'P-256' });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES256', use: 'sig' };
  return {
    kid,
    jwk,
    sign: (k = kid) =>
      new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'ES256', kid: k })
        .setIssuer(ISS)
        .setAudience(AUD)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
  };
}

/** A token with a random kid and a junk signature: every library must look the kid up first. */
function randomKidToken(valid: string): string {
  const [, payload] = valid.split('.');
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: randomUUID() })).toString('base64url');
  return `${header}.${payload}.${Buffer.alloc(64, 7).toString('base64url')}`;
}

// ---- the JWKS server ----------------------------------------------------------------------

interface Endpoint {
  keys: JWK[];
  status: number;
  requests: number;
}

class JwksServer {
  readonly #endpoints = new Map<string, Endpoint>();
  #server: Server | undefined;
  origin = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const ep = this.#endpoints.get(req.url ?? '');
      if (!ep) {
        res.writeHead(404).end();
        return;
      }
      ep.requests++;
      if (ep.status !== 200) {
        res.writeHead(ep.status, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: ep.keys }));
    });
    // Keep-alive sockets would outlive the bench otherwise.
    this.#server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  endpoint(path: string, keys: JWK[]): { url: string; ep: Endpoint } {
    const ep: Endpoint = { keys, status: 200, requests: 0 };
    this.#endpoints.set(path, ep);
    return { url: this.origin + path, ep };
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

// ---- the four libraries behind one shape ---------------------------------------------------

interface Subject {
  verify(token: string): Promise<unknown>;
  close(): void;
}

interface Lib {
  readonly name: string;
  /** `cacheMaxAge` shortens the peers' cache for the outage scenario; `now` is our clock. */
  create(url: string, o?: { cacheMaxAge?: number; now?: () => number }): Subject;
}

/** What the verifier does with a key source: key lookup, then the signature. */
async function verifyWithSource(source: ReturnType<typeof createRemoteKeySource>, token: string): Promise<string> {
  const { header, signingInput, signature } = parseCompactJws(token);
  const alg = header.alg as Algorithm;
  const got = source.getKeys(header, alg);
  const keys = Array.isArray(got) ? got : await got;
  for (const k of keys) if (verifySignature(ALGORITHMS[alg], k.keyObject, signingInput, signature)) return k.kid ?? '';
  throw new VerifyError('ERR_SIGNATURE_INVALID', 'signature invalid');
}

const ours: Lib = {
  name: 'oidc-verifier',
  create(url, o = {}) {
    const source = createRemoteKeySource({ jwksUri: url, ...(o.now ? { monotonicClock: o.now } : {}) });
    return { verify: (t) => verifyWithSource(source, t), close: () => source.close() };
  },
};

const jose: Lib = {
  name: 'jose createRemoteJWKSet',
  create(url, o = {}) {
    const jwks = createRemoteJWKSet(new URL(url), o.cacheMaxAge ? { cacheMaxAge: o.cacheMaxAge } : {});
    return { verify: (t) => jwtVerify(t, jwks, { issuer: ISS, audience: AUD }), close: () => undefined };
  },
};

/** aws-jwt-verify's default fetcher is https-only; this one reads plain http, nothing else changes. */
const httpFetcher: Fetcher = {
  fetch: async (uri) => {
    const res = await fetch(uri);
    if (res.status !== 200) throw new Error(`Status code is ${res.status}, expected 200`);
    return res.arrayBuffer();
  },
};

const aws: Lib = {
  name: 'aws-jwt-verify',
  create(url) {
    const verifier = JwtVerifier.create(
      { issuer: ISS, audience: AUD, jwksUri: url },
      { jwksCache: new SimpleJwksCache({ fetcher: httpFetcher }) },
    );
    return { verify: (t) => verifier.verify(t), close: () => undefined };
  },
};

const jwksRsaLib: Lib = {
  name: 'jwks-rsa + jsonwebtoken',
  create(url, o = {}) {
    const client = jwksRsa({ jwksUri: url, ...(o.cacheMaxAge ? { cacheMaxAge: o.cacheMaxAge } : {}) });
    const getKey: jsonwebtoken.GetPublicKeyOrSecret = (header, cb) => {
      client.getSigningKey(header.kid).then(
        (k) => cb(null, k.getPublicKey()),
        (err: Error) => cb(err),
      );
    };
    return {
      verify: (t) =>
        new Promise((resolve, reject) =>
          jsonwebtoken.verify(t, getKey, { algorithms: ['ES256'], issuer: ISS, audience: AUD }, (err, payload) =>
            err ? reject(err) : resolve(payload),
          ),
        ),
      close: () => undefined,
    };
  },
};

const LIBS: readonly Lib[] = [ours, jose, aws, jwksRsaLib];

// ---- scenarios ------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settled = async (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => true,
    () => false,
  );

interface Row {
  stampede: string;
  storm: string;
  rotation: string;
  outage: string;
  withdrawn: string;
}

const FULL = { stampede: 200, stormTokens: 10_000, stormMs: 2000, stormCapMs: 8000, rotationCapMs: 5000, outageTokens: 200 };
const QUICK = { stampede: 200, stormTokens: 2000, stormMs: 1000, stormCapMs: 3000, rotationCapMs: 2000, outageTokens: 100 };
let STAMPEDE = FULL.stampede;
let STORM_TOKENS = FULL.stormTokens;
let STORM_MS = FULL.stormMs;
let STORM_CAP_MS = FULL.stormCapMs;
let ROTATION_CAP_MS = FULL.rotationCapMs;
let OUTAGE_TOKENS = FULL.outageTokens;
const STORM_BATCHES = 50;
const ROTATION_EVERY_MS = 20;

async function stampede(lib: Lib, srv: JwksServer, key: Key, tag: string): Promise<string> {
  const { url, ep } = srv.endpoint(`/${tag}/stampede`, [key.jwk]);
  const s = lib.create(url);
  const token = await key.sign();
  const ok = await Promise.all(Array.from({ length: STAMPEDE }, () => settled(s.verify(token))));
  s.close();
  return `${requests(ep.requests)} (${ok.filter(Boolean).length}/${STAMPEDE} valid)`;
}

/** Verifications still running when a scenario stopped waiting; drained after the server closes. */
const leftovers: Promise<unknown>[] = [];

function requests(n: number): string {
  return `${n.toLocaleString('en')} request${n === 1 ? '' : 's'}`;
}

async function storm(lib: Lib, srv: JwksServer, key: Key, tag: string): Promise<string> {
  const { url, ep } = srv.endpoint(`/${tag}/storm`, [key.jwk]);
  const s = lib.create(url);
  const valid = await key.sign();
  await s.verify(valid);
  const before = ep.requests;
  const per = STORM_TOKENS / STORM_BATCHES;
  const pending: Promise<boolean>[] = [];
  let done = 0;
  let accepted = 0;
  const start = performance.now();
  for (let b = 0; b < STORM_BATCHES; b++) {
    for (let i = 0; i < per; i++) {
      pending.push(
        settled(s.verify(randomKidToken(valid))).then((ok) => {
          done++;
          if (ok) accepted++;
          return ok;
        }),
      );
    }
    await sleep(STORM_MS / STORM_BATCHES);
  }
  // A library that fetches per unknown kid would keep the bench busy for long: stop waiting.
  const all = Promise.all(pending);
  const finished = await Promise.race([all.then(() => true), sleep(STORM_CAP_MS - (performance.now() - start)).then(() => false)]);
  const elapsed = ((performance.now() - start) / 1000).toFixed(1);
  const made = ep.requests - before;
  if (!finished) {
    leftovers.push(all);
    s.close();
    return `≥ ${requests(made)} (still fetching after ${elapsed} s, ${(STORM_TOKENS - done).toLocaleString('en')} tokens waiting)`;
  }
  const validStill = await settled(s.verify(valid));
  s.close();
  return `${requests(made)} in ${elapsed} s${accepted ? ` (${accepted} accepted!)` : ''}${validStill ? '' : ', then a valid token fails'}`;
}

async function rotation(lib: Lib, srv: JwksServer, a: Key, b: Key, tag: string): Promise<string> {
  const { url, ep } = srv.endpoint(`/${tag}/rotation`, [a.jwk]);
  const s = lib.create(url);
  await s.verify(await a.sign());
  await sleep(1000);
  ep.keys = [b.jwk];
  const token = await b.sign();
  const start = performance.now();
  let failures = 0;
  for (;;) {
    if (await settled(s.verify(token))) break;
    failures++;
    if (performance.now() - start > ROTATION_CAP_MS) {
      s.close();
      return `not within ${ROTATION_CAP_MS / 1000} s (${failures} failures)`;
    }
    await sleep(ROTATION_EVERY_MS);
  }
  s.close();
  return `${(performance.now() - start).toFixed(1)} ms, ${failures} failures`;
}

async function outage(lib: Lib, srv: JwksServer, key: Key, tag: string): Promise<string> {
  const { url, ep } = srv.endpoint(`/${tag}/outage`, [key.jwk]);
  // Every cache is made to expire during the outage: the peers with a 1 s cacheMaxAge and a
  // real wait, ours by moving its clock 11 minutes on (its lifetime cannot go below 1 min).
  let offset = 0;
  const s = lib.create(url, { cacheMaxAge: 1000, now: () => Date.now() + offset });
  const token = await key.sign();
  await s.verify(token);
  ep.status = 503;
  const before = ep.requests;
  if (lib === ours) offset = 11 * 60_000;
  else await sleep(1100);
  let ok = 0;
  for (let i = 0; i < OUTAGE_TOKENS; i++) {
    if (await settled(s.verify(token))) ok++;
    if (i % 20 === 19) await sleep(50);
  }
  s.close();
  return `${ok}/${OUTAGE_TOKENS} valid (${requests(ep.requests - before)})`;
}

async function withdrawn(lib: Lib, srv: JwksServer, a: Key, b: Key, tag: string): Promise<string> {
  const { url, ep } = srv.endpoint(`/${tag}/withdrawn`, [a.jwk, b.jwk]);
  let offset = 0;
  const s = lib.create(url, { cacheMaxAge: 1000, now: () => Date.now() + offset });
  const token = await a.sign();
  await s.verify(token);
  ep.keys = [b.jwk];
  if (lib === ours) offset = 11 * 60_000;
  else await sleep(1100);
  // One token with the remaining key lets every cache refresh, then the withdrawn key is tried.
  await settled(s.verify(await b.sign()));
  const accepted = await settled(s.verify(token));
  s.close();
  return accepted ? 'still accepted' : 'rejected';
}

/**
 * Runs every scenario for every library; returns the Markdown table (progress goes to stderr).
 * `quick`: a smaller storm and shorter caps, for CI.
 */
export async function runRemoteBench(options: { quick?: boolean } = {}): Promise<string> {
  const c = options.quick ? QUICK : FULL;
  STAMPEDE = c.stampede;
  STORM_TOKENS = c.stormTokens;
  STORM_MS = c.stormMs;
  STORM_CAP_MS = c.stormCapMs;
  ROTATION_CAP_MS = c.rotationCapMs;
  OUTAGE_TOKENS = c.outageTokens;
  const srv = new JwksServer();
  await srv.start();
  const [a, b] = await Promise.all([makeKey('key-a'), makeKey('key-b')]);
  const rows = new Map<string, Row>();
  try {
    for (const [i, lib] of LIBS.entries()) {
      const tag = `lib${i}`;
      process.stderr.write(`remote bench: ${lib.name}\n`);
      const stampedeRow = await stampede(lib, srv, a, tag);
      const rotationRow = await rotation(lib, srv, a, b, tag);
      const outageRow = await outage(lib, srv, a, tag);
      const withdrawnRow = await withdrawn(lib, srv, a, b, tag);
      // Last, as it may leave work behind.
      const stormRow = await storm(lib, srv, a, tag);
      rows.set(lib.name, { stampede: stampedeRow, storm: stormRow, rotation: rotationRow, outage: outageRow, withdrawn: withdrawnRow });
    }
  } finally {
    await srv.close();
    // Closed server: whatever is still fetching fails fast now.
    await Promise.race([Promise.allSettled(leftovers), sleep(5000)]);
  }
  const names = [...rows.keys()];
  const line = (label: string, pick: (r: Row) => string) => `| ${label} | ${names.map((n) => pick(rows.get(n)!)).join(' | ')} |`;
  return [
    `| scenario | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    line(`cold-start stampede: JWKS requests for ${STAMPEDE} concurrent verifications`, (r) => r.stampede),
    line(`unknown-kid storm: JWKS requests for ${STORM_TOKENS.toLocaleString('en')} random kids over ${STORM_MS / 1000} s`, (r) => r.storm),
    line('rotation 1 s after the last fetch: time until the new key validates', (r) => r.rotation),
    line('outage (503) after the cache expired: valid tokens verified', (r) => r.outage),
    line('key withdrawn from the JWKS, cache expired: token signed with it', (r) => r.withdrawn),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  console.log(await runRemoteBench({ quick: process.argv.includes('--quick') }));
  console.log(
    `\n(${((performance.now() - started) / 1000).toFixed(1)} s, node ${process.version}, ${new Date().toISOString().slice(0, 10)})`,
  );
}
