/**
 * A small OpenID issuer on 127.0.0.1 for CLI and inspector tests: discovery document and JWKS over
 * node:http, tokens signed by the shared jose-based test helpers (never by src/).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeIssuer, type TestIssuer } from '../support/sign.js';

export interface LocalIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly signer: TestIssuer;
  /** Extra JWKs published after the signer's key (e.g. one with x5c). */
  readonly extraKeys: Record<string, unknown>[];
  /** Paths requested, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startLocalIssuer(extraKeys: Record<string, unknown>[] = []): Promise<LocalIssuer> {
  const signer = await makeIssuer('RS256', { name: 'cli-local-issuer' });
  const requests: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      send(200, {
        issuer: base,
        jwks_uri: `${base}/jwks`,
        authorization_endpoint: `${base}/auth`,
        token_endpoint: `${base}/token`,
        userinfo_endpoint: `${base}/me`,
        id_token_signing_alg_values_supported: ['RS256', 'none'],
        response_types_supported: ['code', 'code id_token'],
        subject_types_supported: ['public'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'profile', 'email'],
      });
    } else if (req.url === '/jwks') {
      send(200, { keys: [...signer.jwks.keys, ...extraKeys] });
    } else send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: base,
    jwksUri: `${base}/jwks`,
    signer,
    extraKeys,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
