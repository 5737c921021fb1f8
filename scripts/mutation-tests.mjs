#!/usr/bin/env node
// Test command of `npm run test:mutation` (StrykerJS command runner). Stryker runs it once per
// mutant with __STRYKER_ACTIVE_MUTANT__ set; the mutant's id is found in the instrumented source
// (`stryMutAct_<ns>("<id>")`) and only the unit tests of that source file run, in this process
// (started as `node --test-reporter=./scripts/mutation-bail-reporter.mjs`, on the .js files that
// scripts/mutation-build.mjs wrote next to the .ts ones), stopping
// at the first failure. Without a mutant (the dry run) the tests of every mutated file run.
// Exit code 0: every test passed (the mutant survived).
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CLAIMS = ['test/claims/rules.test.ts', 'test/claims/profiles.test.ts'];
const PARSE = ['test/jose/base64url.test.ts', 'test/jose/compact.test.ts'];
const SIGNATURE = ['test/jose/signature.test.ts', 'test/jose/wycheproof.test.ts'];

/** Source file (mutated) -> the test files that pin its rules (fast ones: a mutant's run must stay well under the timeout). */
const TESTS_BY_SOURCE = {
  'src/claims/access-token.ts': CLAIMS,
  'src/claims/hash-claim.ts': ['test/claims/hash-claim-edge.test.ts', ...CLAIMS],
  'src/claims/id-token.ts': CLAIMS,
  'src/claims/logout-token.ts': CLAIMS,
  'src/claims/rules.ts': CLAIMS,
  'src/claims/scopes.ts': ['test/claims/scopes.test.ts', ...CLAIMS],
  'src/claims/token-profiles.ts': CLAIMS,
  'src/jose/algorithms.ts': ['test/jose/signature.test.ts', 'test/claims/profiles.test.ts', 'test/keys/jwk.test.ts'],
  'src/jose/base64url.ts': PARSE,
  'src/jose/compact.ts': PARSE,
  'src/jose/json.ts': PARSE,
  'src/jose/signature.ts': SIGNATURE,
  'src/keys/fitting-key-source.ts': ['test/keys/fitting-key-source.test.ts', 'test/keys/custom-key-source.test.ts'],
  'src/keys/import-verification-key.ts': ['test/keys/custom-key-source.test.ts'],
  'src/keys/jwk.ts': ['test/keys/jwk-edge.test.ts', 'test/keys/jwk.test.ts', 'test/security-core.test.ts'],
  'src/keys/key-set.ts': ['test/keys/key-set.test.ts', 'test/keys/key-set-limits.test.ts', 'test/keys/fitting-key-source.test.ts'],
};

function sourceOf(id) {
  const needle = new RegExp(`stryMutAct_[0-9a-z]+\\("${id}"\\)`);
  for (const src of Object.keys(TESTS_BY_SOURCE)) if (needle.test(readFileSync(src, 'utf8'))) return src;
  return undefined;
}

const id = process.env.__STRYKER_ACTIVE_MUTANT__;
const src = id === undefined ? undefined : sourceOf(id);
if (id !== undefined && src === undefined) {
  console.error(`mutation-tests: mutant ${id} is in no listed source file`);
  process.exit(2);
}
// node:test runs the imported files' tests in this process (started with tsx and the bail reporter).
// The dry run: the tests of every instrumented (mutated) file; run by hand outside Stryker: all of them.
const instrumented = Object.keys(TESTS_BY_SOURCE).filter((f) => readFileSync(f, 'utf8').includes('stryMutAct_'));
const dry = instrumented.length > 0 ? instrumented : Object.keys(TESTS_BY_SOURCE);
for (const f of new Set(src === undefined ? dry.flatMap((s) => TESTS_BY_SOURCE[s]) : TESTS_BY_SOURCE[src])) {
  const js = f.replace(/\.ts$/, '.js');
  await import(pathToFileURL(existsSync(js) ? js : f).href);
}
