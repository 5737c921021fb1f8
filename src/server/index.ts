/**
 * The gateway service behind `oidc-verifier serve`: an auth endpoint for nginx `auth_request`,
 * Traefik `forwardAuth` and Envoy `ext_authz`. Not part of the package root; import it from here.
 */
export { startGateway, MAX_CLAIMS_HEADER } from './gateway.js';
export type { GatewayOptions, GatewayHandle, GatewayLogLine } from './gateway.js';
export { resolveGatewayConfig, GATEWAY_DEFAULTS } from './config.js';
export type {
  GatewayConfig,
  GatewayIssuerConfig,
  GatewayRouteConfig,
  SecretRef,
  ResolvedGatewayConfig,
  ResolvedRoute,
  ConfigSources,
} from './config.js';
export { normalizePath, matchRoute, underPrefix } from './request.js';
