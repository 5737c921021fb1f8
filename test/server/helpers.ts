/**
 * Fixtures of the gateway tests: an issuer whose JWKS a real 127.0.0.1 server publishes (and can
 * stop publishing), RFC 9068 access tokens signed with jose, a raw HTTP client that sets any
 * header (Host included), and a Prometheus text parser.
 */
import { json, makeKey, startServer, type TestKey, type TestServer } from '../support/jwks-server.js';
import { signAccessToken } from '../support/access-token.js';
import { rawRequest, type RawAnswer } from '../support/raw-request.js';
import { startGateway, type GatewayHandle, type GatewayLogLine } from '../../src/server/index.js';

export const ISSUER = 'https://as.gateway.example';
export const RESOURCE = 'https://api.gateway.example';

export interface IssuerFixture {
  readonly server: TestServer;
  readonly key: TestKey;
  readonly jwksUri: string;
  token(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<IssuerFixture> {
  const server = await startServer();
  const key = await makeKey('gw1', 'ES256');
  let down = false;
  const serve = json({ keys: [key.jwk] }, { 'cache-control': 'max-age=600' });
  server.route('/jwks', (req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    serve(req, res);
  });
  return {
    server,
    key,
    jwksUri: `${server.origin}/jwks`,
    token: (claims, header) => signAccessToken(key, ISSUER, RESOURCE, claims, header),
    setDown: (d) => void (down = d),
    close: () => server.close(),
  };
}

/** A minimal valid config for `issuer`; `extra` replaces top-level members. */
export function baseConfig(issuer: IssuerFixture, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuers: [{ issuer: ISSUER, audience: RESOURCE, algorithms: ['ES256'], jwksUri: issuer.jwksUri }],
    ...extra,
  };
}

export interface Logged {
  readonly lines: GatewayLogLine[];
  readonly log: (line: GatewayLogLine) => void;
}

export function logSink(): Logged {
  const lines: GatewayLogLine[] = [];
  return { lines, log: (l) => void lines.push(l) };
}

/** Starts a gateway on a free port with logs collected. */
export async function gateway(config: unknown, logged: Logged = logSink()): Promise<GatewayHandle & { logs: GatewayLogLine[] }> {
  const h = await startGateway(config, { port: 0, log: logged.log });
  return Object.assign(h, { logs: logged.lines });
}

export type Answer = RawAnswer;

/** One request with exactly these headers (repeatable as arrays) and this raw path, over a fresh connection. */
export function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; localAddress?: string } = {},
): Promise<Answer> {
  return rawRequest(base, { ...options, path, headers: { connection: 'close', ...options.headers } });
}

/** Prometheus text format 0.0.4: samples by `name{labels}`, and the TYPE of every family. */
export function parseMetrics(text: string): {
  types: Map<string, string>;
  helps: Set<string>;
  value(name: string, labels?: Record<string, string>): number | undefined;
  samples: { name: string; labels: Record<string, string>; value: number }[];
} {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (m) {
      helps.add(m[1]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
      let l: RegExpExecArray | null;
      let consumed = 0;
      while ((l = re.exec(m[2])) !== null) {
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    }
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return {
    types,
    helps,
    samples,
    value(name, labels = {}) {
      const s = samples.find(
        (x) =>
          x.name === name &&
          Object.entries(labels).every(([k, v]) => x.labels[k] === v) &&
          Object.keys(x.labels).length === Object.keys(labels).length,
      );
      return s?.value;
    },
  };
}
