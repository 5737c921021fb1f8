/** Defaults of the gateway configuration's fields that have one (`resolveGatewayConfig` applies them). */
export const GATEWAY_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  trustedProxies: ['127.0.0.1', '::1'],
  dpop: 'allowed',
  defaultRoute: 'authenticate',
  failClosedStatus: 503,
  drainTimeout: 10_000,
  envoyPathPrefix: '/ext_authz',
  redisPrefix: 'oidc-verifier:',
  redisTimeout: 1000,
  identityHeaders: { subject: 'X-Auth-Subject', clientId: 'X-Auth-Client-Id', scope: 'X-Auth-Scope', issuer: 'X-Auth-Issuer' },
} as const;
