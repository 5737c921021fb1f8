/**
 * An RFC 9068 access token signed with jose by a test key: `iss`, `aud`, `sub` alice, `client_id`,
 * a fresh `jti`, `exp` in five minutes and `scope` "read write", `typ` at+jwt. `claims` override
 * payload members (undefined removes one); `header` overrides header members.
 */
import { randomUUID } from 'node:crypto';
import type { TestKey } from './jwks-server.js';

export function signAccessToken(
  key: TestKey,
  issuer: string,
  audience: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: issuer,
    aud: audience,
    sub: 'alice',
    client_id: 'client-1',
    jti: randomUUID(),
    exp: now + 300,
    scope: 'read write',
    ...claims,
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return key.sign(payload, { typ: 'at+jwt', ...header });
}
