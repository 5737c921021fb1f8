import { UsageError } from './args.js';
import type { Context } from './context.js';
import { normalizeToken } from '../report/input-text.js';

export { normalizeToken };

/** Environment variable read when no TOKEN argument is given. */
export const TOKEN_ENV = 'OIDC_TOKEN';

/** Tokens are capped well above the library's 64 KiB limit so its own message explains the size. */
const MAX_INPUT = 1024 * 1024;

export type TokenOrigin = 'argument' | 'stdin' | 'env';

export async function readStdin(stream: NodeJS.ReadableStream, max = MAX_INPUT): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > max) throw new UsageError(`stdin is larger than ${max} bytes; a token is a few KiB`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * TOKEN from, in order: the argument (`-` means stdin), `$OIDC_TOKEN`, or stdin when it is piped.
 * A token in argv is warned about: it lands in shell history and in `ps` output.
 */
export async function readToken(
  ctx: Context,
  positional: string | undefined,
  envName = TOKEN_ENV,
): Promise<{ token: string; origin: TokenOrigin }> {
  let raw: string;
  let origin: TokenOrigin;
  if (positional === '-') {
    raw = await readStdin(ctx.io.stdin);
    origin = 'stdin';
  } else if (positional !== undefined) {
    raw = positional;
    origin = 'argument';
    ctx.warn(
      `warning: a token passed as an argument is kept in shell history and visible in ps; pipe it (… | oidc-verifier ${ctx.command} -) or set ${envName}`,
    );
  } else if (ctx.io.env[envName] !== undefined && ctx.io.env[envName] !== '') {
    raw = ctx.io.env[envName]!;
    origin = 'env';
  } else if (ctx.io.stdin.isTTY !== true) {
    raw = await readStdin(ctx.io.stdin);
    origin = 'stdin';
  } else {
    throw new UsageError(`no token: pass TOKEN, "-" to read stdin, or set ${envName}`, ctx.command);
  }
  const token = normalizeToken(raw);
  if (token === '') throw new UsageError(`the token from ${origin === 'env' ? `$${envName}` : origin} is empty`, ctx.command);
  return { token, origin };
}
