/**
 * One HTTP request over a fresh node:http connection, with exactly the headers given: values
 * given as arrays are sent as repeated header lines and Host can be set (fetch can do neither).
 * `path` replaces the URL's path as written, unnormalised (`/public/../admin` stays as it is).
 */
import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface RawRequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string;
  /** Sent as the request target instead of the URL's path and query. */
  readonly path?: string;
  readonly localAddress?: string;
}

export function rawRequest(url: string, init: RawRequestInit = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        agent: false,
        ...(init.path !== undefined ? { path: init.path } : {}),
        ...(init.localAddress !== undefined ? { localAddress: init.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
