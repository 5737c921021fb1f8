/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0) with a real oidc-provider: a user
 * logs in, then logs out at the provider (RP-initiated logout with the session cookie); the
 * provider POSTs a logout token to the client, and `verifyLogoutToken` validates it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, runAuthorizationFlow, type FlowResult } from '../../src/demo/flow.js';
import { startDemoProvider, type DemoProvider, type PrivateJwk } from '../../src/demo/provider.js';
import { BACKCHANNEL_LOGOUT_EVENT, createVerifier, type Verifier } from '../../src/index.js';
import { assertCode, decode, resign, startLogoutReceiver, type LogoutReceiver } from './helpers.js';

/** A browser request with the flow's cookie jar. */
async function browse(jar: CookieJar, url: URL, form?: Record<string, string>): Promise<Response> {
  const headers = new Headers();
  const cookie = jar.header(url);
  if (cookie !== undefined) headers.set('cookie', cookie);
  const res = await fetch(url, {
    method: form ? 'POST' : 'GET',
    headers,
    ...(form ? { body: new URLSearchParams(form) } : {}),
    redirect: 'manual',
  });
  jar.store(url, res);
  return res;
}

describe('back-channel logout token from a real provider (EdDSA)', () => {
  let receiver: LogoutReceiver;
  let op: DemoProvider;
  let verifier: Verifier;
  let jar: CookieJar;
  let login: FlowResult;
  let logoutToken: string;
  let key: PrivateJwk;

  before(async () => {
    receiver = await startLogoutReceiver();
    op = await startDemoProvider({ alg: 'EdDSA', backchannelLogoutUri: receiver.url, quiet: true });
    verifier = createVerifier({ issuer: op.issuer, audience: op.clientId });
    key = op.privateJwks()[0]!;
    jar = new CookieJar();
    login = await runAuthorizationFlow({ ...op.client, jar });

    // RP-initiated logout: the provider's confirmation form, then "yes".
    const end = new URL(`${op.issuer}/session/end`);
    end.search = new URLSearchParams({
      id_token_hint: login.tokens.id_token,
      post_logout_redirect_uri: `${op.issuer}/demo/logged-out`,
      state: 'bye',
    }).toString();
    const page = await browse(jar, end);
    assert.equal(page.status, 200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(xsrf, 'the logout page has an xsrf field');
    const confirm = await browse(jar, new URL(`${op.issuer}/session/end/confirm`), { xsrf, logout: 'yes' });
    assert.equal(confirm.status, 303);
    assert.ok(confirm.headers.get('location')?.startsWith(`${op.issuer}/demo/logged-out`));
    logoutToken = await receiver.next();
  });
  after(async () => {
    verifier.close();
    await op.close();
    await receiver.close();
  });

  test('the logout token validates and names the session of the ID token', async () => {
    const id = await verifier.verifyIdToken(login.tokens.id_token, { nonce: login.nonce });
    assert.equal(typeof id.payload.sid, 'string');
    const v = await verifier.verifyLogoutToken(logoutToken);
    assert.equal(v.header.typ, 'logout+jwt');
    assert.equal(v.header.alg, 'EdDSA');
    assert.equal(v.payload.sub, 'alice');
    assert.equal(v.payload.sid, id.payload.sid);
    assert.deepEqual(v.payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    assert.equal(v.payload.nonce, undefined);
  });

  test('a logout token sent without a browser session validates too', async () => {
    await op.backchannelLogout('bob', 'session-of-bob');
    const v = await verifier.verifyLogoutToken(await receiver.next());
    assert.equal(v.payload.sub, 'bob');
    assert.equal(v.payload.sid, 'session-of-bob');
  });

  test('a logout token is not an ID token, and an ID token is not a logout token', async () => {
    await assertCode(verifier.verifyIdToken(logoutToken), 'ERR_TYP');
    await assertCode(verifier.verifyLogoutToken(login.tokens.id_token), 'ERR_CLAIM_MISSING');
  });

  test("mutated logout tokens, re-signed by the provider's key, fail on the mutated claim", async () => {
    const mutate = (f: (p: Record<string, unknown>) => void) => resign(logoutToken, key, (_h, p) => f(p));
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          p.nonce = 'n';
        }),
      ),
      'ERR_CLAIM_INVALID',
    );
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          delete p.events;
        }),
      ),
      'ERR_CLAIM_MISSING',
    );
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          p.events = { 'urn:other': {} };
        }),
      ),
      'ERR_CLAIM_INVALID',
    );
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          delete p.sub;
          delete p.sid;
        }),
      ),
      'ERR_CLAIM_MISSING',
    );
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          delete p.jti;
        }),
      ),
      'ERR_CLAIM_MISSING',
    );
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          p.aud = 'another-client';
        }),
      ),
      'ERR_AUDIENCE',
    );
    const iat = decode(logoutToken).payload.iat as number;
    await assertCode(
      verifier.verifyLogoutToken(
        await mutate((p) => {
          p.iat = iat - 7200;
          p.exp = iat - 3600;
        }),
      ),
      'ERR_EXPIRED',
    );
  });
});
