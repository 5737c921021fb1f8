// node:test reporter for mutation runs (scripts/mutation-tests.mjs): silent while tests pass; at
// the first failing test it prints the test's name and error and exits with 1 (a killed mutant
// needs no further tests).
export default async function* bail(source) {
  for await (const event of source) {
    if (event.type === 'test:fail') {
      const { name, details } = event.data;
      process.stderr.write(`not ok: ${name}\n${String(details?.error?.stack ?? details?.error)}\n`);
      process.exit(1);
    }
  }
  yield '';
}
