/**
 * The Chromium every browser test drives (through playwright-core). Found, in order, through
 * $CHROMIUM_PATH, then `chromium`, `chromium-browser`, `google-chrome` on the PATH. A missing
 * browser is a failure that says how to install one, never a skipped test.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Names looked up on the PATH, in order. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const;

/** Flags for a headless run that talks to nobody but the page's server. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path of the browser, or throws an Error that says how to get one. */
export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (executable(fromEnv)) return fromEnv;
    throw new Error(`$CHROMIUM_PATH is ${JSON.stringify(fromEnv)}, which is not an executable file`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of CHROMIUM_NAMES) {
      const candidate = join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  throw new Error(
    `no Chromium found: the browser tests need ${CHROMIUM_NAMES.join(', ')} on the PATH, or $CHROMIUM_PATH set to its executable. ` +
      'Install one, e.g. `sudo apt-get install chromium` (Debian/Ubuntu), `brew install --cask chromium` (macOS), ' +
      'or `npx playwright-core install chromium` and set CHROMIUM_PATH to the printed path.',
  );
}
