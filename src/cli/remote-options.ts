import type { OptionSpec, Parsed } from './args.js';
import { flag, intOption } from './args.js';
import type { HttpOptions } from '../remote/http.js';

/** Options of every command that fetches from an issuer. */
export const HTTP_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'allow-http': { type: 'boolean', description: 'allow plain http URLs beyond loopback (never in production)' },
  timeout: { type: 'string', value: 'MS', description: 'timeout of each HTTP request', defaultText: '5000' },
};

export function httpOptions(p: Parsed, command: string): HttpOptions {
  const timeout = intOption(p, 'timeout', command, 600_000);
  return { ...(timeout !== undefined ? { timeout } : {}), ...(flag(p, 'allow-http') ? { allowHttp: true } : {}) };
}
