// Entry bundled for Deno and Bun: `<runtime> bundle.mjs input.json output.json`. The package's
// default entry (node:crypto backend with this runtime's gaps), as `import 'oidc-verifier'` loads
// it there.
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { createVerifier } from '../../src/index.js';
import { runSuite, type SuiteInput } from './suite.js';
import { nodeHooks } from './suite-node.js';

const [inputPath, outputPath] = process.argv.slice(-2) as [string, string];
const input = JSON.parse(readFileSync(inputPath, 'utf8')) as SuiteInput;
const out = await runSuite(input, createVerifier, nodeHooks);
writeFileSync(outputPath, JSON.stringify(out));
process.exit(0);
