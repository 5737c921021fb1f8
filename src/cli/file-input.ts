import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './args.js';

/** Largest file any option reads: a JWKS or a client secret is a few KiB. */
export const MAX_FILE = 1024 * 1024;

/**
 * Reads the file named by a command-line option, for every file argument (`--jwks`,
 * `--client-secret-file`): symlinks are followed, then only a regular file is read (a FIFO, a
 * device such as /dev/zero, a directory or a socket is refused without reading), and at most `max`
 * bytes. The type is checked on the opened descriptor (no race between check and read), opened
 * non-blocking so a FIFO cannot hang the open. Errors are {@link UsageError}s that name the option
 * and the path, never the content.
 */
export async function readOptionFile(option: string, value: string, cwd: string, command: string, max = MAX_FILE): Promise<string> {
  const what = `--${option} ${value.length > 200 ? `${value.slice(0, 200)}…` : value}`;
  let handle;
  try {
    handle = await open(resolve(cwd, value), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'cannot open');
    throw new UsageError(`cannot read ${what}: ${reason}`, command);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new UsageError(`${what} is a directory, not a file`, command);
    if (!st.isFile()) throw new UsageError(`${what} is not a regular file (a device, FIFO or socket is not read)`, command);
    if (st.size > max) throw new UsageError(`${what} is ${st.size} bytes, above the ${max}-byte limit`, command);
    // The file can grow after the check: read until end of file, but never more than one byte over the cap.
    const buf = Buffer.alloc(max + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max) throw new UsageError(`${what} is larger than the ${max}-byte limit`, command);
    }
    return buf.subarray(0, total).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what}: ${code ?? 'read failed'}`, command);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
