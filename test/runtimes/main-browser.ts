// Entry bundled for the browser test (test/runtimes/browser.test.ts) the way a user's bundler
// builds an app: esbuild with the `browser` condition, nothing external. It loads the edge entry
// (WebCrypto backend, no node: module) and offers the runtime suite to page.evaluate.
import { createVerifier } from '../../src/edge.js';
import { runSuite, type SuiteInput, type SuiteOutput } from './suite.js';

(globalThis as unknown as { runSuite: (input: SuiteInput) => Promise<SuiteOutput> }).runSuite = (input) => runSuite(input, createVerifier);
(globalThis as unknown as { suiteReady: boolean }).suiteReady = true;
