#!/usr/bin/env node
import { safeText } from './render-json.js';
import { run } from './run.js';

// A closed pipe (`oidc-verifier jwks ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

process.on('uncaughtException', (err) => {
  process.stderr.write(`oidc-verifier: internal error: ${safeText(String(err?.message ?? err).split('\n')[0] ?? '')}\n`);
  process.exit(2);
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
// Exit once the output is flushed: a remote key source's refresh timer must not keep the CLI alive.
process.stdout.write('', () => process.exit(code));
