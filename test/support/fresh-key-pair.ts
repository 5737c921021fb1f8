// Tests and benchmarks take key pairs from here; the generator itself stays with the demo, which
// needs it at run time (src/ never imports test/).
export { freshKeyPair } from '../../src/demo/fresh-key-pair.js';
