import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCheckHandler } from './check-handler.js';
import { resolveGatewayConfig, GATEWAY_DEFAULTS, type ConfigSources } from './config.js';
import { drainable } from './drain.js';
import { safeLogger, type GatewayLogLine } from './gateway-log.js';
import { createMetrics, renderMetrics } from './gateway-metrics.js';
import { createServices } from './gateway-services.js';
import { createReadiness } from './readiness.js';

export type { GatewayLogLine } from './gateway-log.js';
export { MAX_CLAIMS_HEADER } from './identity-headers.js';

/**
 * The gateway's HTTP server: routes `/check` and `<envoy.pathPrefix>/...` to the check handler,
 * answers `/healthz`, `/readyz` and `/metrics`, and drains on shutdown.
 */

/** Options of {@link startGateway}. */
export interface GatewayOptions extends ConfigSources {
  /** Interface to bind. Default: the config's `listen.host`, else `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default: the config's `listen.port`, else 8080. */
  readonly port?: number;
  /** Receives every log line (one JSON object). Default: written to stdout as one line each. */
  readonly log?: (line: GatewayLogLine) => void;
}

/** A running gateway. */
export interface GatewayHandle {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /**
   * Drains and stops: no new connections, in-flight checks finish (at most `drainTimeout`, then
   * their connections are cut), then Redis and the verifier are closed. Resolves `true` when every
   * in-flight check finished in time.
   */
  drain(): Promise<boolean>;
  /** {@link GatewayHandle.drain}, ignoring whether it finished in time. */
  close(): Promise<void>;
}

/**
 * Starts the gateway service: `/check` (and `<envoy.pathPrefix>/...`) for nginx `auth_request`,
 * Traefik `forwardAuth` and Envoy `ext_authz`; `/healthz`, `/readyz`, `/metrics`. `config` is the
 * parsed configuration file (validated here: ERR_CONFIG names the bad field). Logs the line
 * `{"level":"info","msg":"listening","url":...}` once listening.
 */
export async function startGateway(config: unknown, options: GatewayOptions = {}): Promise<GatewayHandle> {
  const cfg = resolveGatewayConfig(config, options);
  const safeLog = safeLogger(options.log);
  const metrics = createMetrics();
  const { verifier, introspector, redis, redisErrors } = await createServices(cfg, metrics, safeLog);
  const { warm, ready } = createReadiness(cfg, verifier, redis);

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    flight.start();
    // Only headers matter: a body is drained and dropped.
    req.resume();
    handle(req, res)
      .catch((err: unknown) => {
        safeLog({ level: 'error', msg: 'internal error', error: err instanceof Error ? err.name : typeof err });
        if (!res.headersSent) send(res, cfg.failClosedStatus, {}, '{"error":"temporarily_unavailable"}');
        else res.destroy();
      })
      .finally(() => flight.end());
  });
  const flight = drainable(server, cfg.drainTimeout, async (finished) => {
    verifier.close();
    if (redis !== undefined) {
      await Promise.race([redis.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    safeLog({ level: 'info', msg: 'stopped', drained: finished });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string, type = 'application/json'): void {
    if (flight.draining) headers.Connection = 'close';
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
    res.end(body);
  }

  const check = createCheckHandler({ cfg, verifier, metrics, safeLog, send });
  const sources = { cfg, verifier, introspector, redis, inFlight: () => flight.inFlight, redisErrors };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const cut = url.indexOf('?');
    const path = cut < 0 ? url : url.slice(0, cut);
    if (path === cfg.envoyPrefix || path.startsWith(`${cfg.envoyPrefix}/`)) return check(req, res, true);
    if (path === '/check') return check(req, res, false);
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/healthz' && read) return send(res, 200, {}, '{"status":"ok"}');
    if (path === '/readyz' && read) {
      const r = await ready();
      return send(res, r.ok ? 200 : 503, {}, JSON.stringify(r.ok ? { status: 'ready' } : { status: 'not ready', reasons: r.reasons }));
    }
    if (path === '/metrics' && read) return send(res, 200, {}, renderMetrics(metrics, sources), 'text/plain; version=0.0.4; charset=utf-8');
    send(res, 404, {}, '{"error":"not_found"}');
  }

  const host = options.host ?? cfg.listen.host ?? GATEWAY_DEFAULTS.host;
  const port = options.port ?? cfg.listen.port ?? GATEWAY_DEFAULTS.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    verifier.close();
    await redis?.close();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  safeLog({ level: 'info', msg: 'listening', url });
  warm();

  return {
    url,
    port: bound,
    drain: flight.drain,
    close: async () => {
      await flight.drain();
    },
  };
}
