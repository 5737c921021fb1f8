/** The browser tests' Chromium lookup: $CHROMIUM_PATH, then the PATH; missing is a clear failure. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium } from '../support/chromium.js';

function fakeBrowser(dir: string, name: string, mode = 0o755): string {
  const p = join(dir, name);
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, mode);
  return p;
}

describe('findChromium', () => {
  it('uses $CHROMIUM_PATH first, and refuses one that is not executable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chromium-lookup-'));
    const env = fakeBrowser(dir, 'my-chrome');
    const onPath = fakeBrowser(dir, 'chromium');
    assert.equal(findChromium({ CHROMIUM_PATH: env, PATH: dir }), env);
    assert.notEqual(onPath, env);
    assert.throws(() => findChromium({ CHROMIUM_PATH: join(dir, 'missing'), PATH: dir }), /CHROMIUM_PATH .*not an executable file/);
  });

  it('finds chromium, chromium-browser or google-chrome on the PATH, skipping non-executables', () => {
    const a = mkdtempSync(join(tmpdir(), 'chromium-lookup-'));
    const b = mkdtempSync(join(tmpdir(), 'chromium-lookup-'));
    fakeBrowser(a, 'chromium', 0o644);
    const chrome = fakeBrowser(b, 'google-chrome');
    assert.equal(findChromium({ PATH: [a, b].join(':') }), chrome);
    const cb = fakeBrowser(a, 'chromium-browser');
    assert.equal(findChromium({ PATH: [a, b].join(':') }), cb);
  });

  it('fails with how to install it when there is none', () => {
    const empty = mkdtempSync(join(tmpdir(), 'chromium-lookup-'));
    assert.throws(
      () => findChromium({ PATH: empty }),
      (e: Error) => /no Chromium found/.test(e.message) && /apt-get install chromium/.test(e.message) && /CHROMIUM_PATH/.test(e.message),
    );
  });
});
