/**
 * DPoP-bound JWT access tokens issued by the real oidc-provider (its dPoP feature, RFC 9449 §5),
 * through the client credentials grant, verified with proofs made by the dpop package.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { exportJWK, generateKeyPair as joseKeyPair } from 'jose';
import { createMemoryReplayStore, createVerifier, DpopError, RequestError, VerifyError, type Verifier } from '../../src/index.js';
import { decode } from './helpers.js';

const RESOURCE = 'https://api.example.com/';
const API_URL = 'https://api.example.com/orders';
const CLIENT = { id: 'dpop-client', secret: 'dpop-client-secret-0123456789abcdef' };

let server: Server;
let issuer: string;
let verifier: Verifier;
let holder: KeyPair;

async function token(proofKey: KeyPair): Promise<{ status: number; body: Record<string, unknown> }> {
  const proof = await generateProof(proofKey, `${issuer}/token`, 'POST');
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT.id)}:${encodeURIComponent(CLIENT.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: proof,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read', resource: RESOURCE }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  const { default: Provider } = await import('oidc-provider');
  const pair = await joseKeyPair('ES256', { extractable: true });
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'dpop-e2e', alg: 'ES256', use: 'sig' };
  const { d: _d, ...publicJwk } = privateJwk;
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [privateJwk] },
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    scopes: ['api:read'],
    ttl: { AccessToken: 600, ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api:read', audience: RESOURCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
  });
  server.on('request', provider.callback());
  verifier = createVerifier({ issuer, audience: RESOURCE, jwks: { keys: [publicJwk] } as never, replayStore: createMemoryReplayStore() });
  holder = await generateKeyPair('ES256');
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('DPoP-bound access tokens from oidc-provider', () => {
  it('the token carries cnf.jkt of the proof key and verifies with a proof for the resource request', async () => {
    const { status, body } = await token(holder);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'DPoP');
    const at = body.access_token as string;
    const jkt = await calculateThumbprint(holder.publicKey);
    assert.deepEqual(decode(at).payload.cnf, { jkt });
    const r = await verifier.verifyAccessToken(at, {
      dpop: { proof: await generateProof(holder, API_URL, 'GET', undefined, at), method: 'GET', url: API_URL },
      scheme: 'DPoP',
    });
    assert.equal(r.issuer, issuer);
  });

  it('refuses the bound token as Bearer, with another key, for another request, or replayed', async () => {
    const at = (await token(holder)).body.access_token as string;
    await assert.rejects(
      verifier.verifyAccessToken(at, { scheme: 'Bearer' }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CLAIM_INVALID',
    );
    const thief = await generateKeyPair('ES256');
    await assert.rejects(
      verifier.verifyAccessToken(at, {
        dpop: { proof: await generateProof(thief, API_URL, 'GET', undefined, at), method: 'GET', url: API_URL },
      }),
      (e: unknown) => e instanceof DpopError && /cnf\.jkt/.test(e.message),
    );
    await assert.rejects(
      verifier.verifyAccessToken(at, {
        dpop: { proof: await generateProof(holder, API_URL, 'DELETE', undefined, at), method: 'GET', url: API_URL },
      }),
      (e: unknown) => e instanceof DpopError && /htm/.test(e.message),
    );
    const proof = await generateProof(holder, API_URL, 'GET', undefined, at);
    await verifier.verifyAccessToken(at, { dpop: { proof, method: 'GET', url: API_URL } });
    await assert.rejects(
      verifier.verifyAccessToken(at, { dpop: { proof, method: 'GET', url: API_URL } }),
      (e: unknown) => e instanceof DpopError && /jti/.test(e.message),
    );
  });

  it('through verifyRequest: Authorization: DPoP with its proof is accepted, the token as Bearer is 401', async () => {
    const at = (await token(holder)).body.access_token as string;
    const proof = await generateProof(holder, API_URL, 'GET', undefined, at);
    const r = await verifier.verifyRequest(new Request(`${API_URL}?page=1`, { headers: { authorization: `DPoP ${at}`, dpop: proof } }), {
      requiredScopes: ['api:read'],
    });
    assert.equal(r.scheme, 'DPoP');
    assert.equal(r.via, 'jwt');
    const e = await verifier.verifyRequest(new Request(API_URL, { headers: { authorization: `Bearer ${at}` } }), { realm: 'api' }).then(
      () => assert.fail('a bound token was accepted as Bearer'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof RequestError);
    assert.equal(e.status, 401);
    assert.match(e.headers['WWW-Authenticate']!, /^Bearer realm="api", error="invalid_token", .*, DPoP realm="api", algs="/);
  });
});
