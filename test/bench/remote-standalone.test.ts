// bench/remote.ts run alone, as docs/performance.md tells users to: it once stopped `npm run bench`
// (an option the key source no longer takes) and, alone, verified nothing (node:crypto was never
// installed). The benchmark's numbers are not asserted here; that it runs, and what it must find
// for us (one JWKS request for a stampede, a withdrawn key's token rejected), are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('bench/remote.ts --quick runs alone and finds our key source correct in every scenario', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/remote.ts', '--quick'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(-2000)}`);
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !l.startsWith('|---'));
  assert.equal(rows.length, 5, r.stdout);
  const ours = (label: string): string => {
    const row = rows.find((l) => l.startsWith(`| ${label}`));
    assert.ok(row !== undefined, `no row "${label}" in:\n${r.stdout}`);
    return row.split('|')[2]!.trim(); // the first contender column is oidc-verifier
  };
  assert.match(ours('cold-start stampede'), /^1 request \(200\/200 valid\)$/);
  assert.match(ours('outage'), /^100\/100 valid/);
  assert.match(ours('rotation'), /0 failures$/);
  assert.equal(ours('key withdrawn'), 'rejected');
});
