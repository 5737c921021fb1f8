// node:test reporter for mutation runs: silent, and exits with 1 at the first failing test (a
// killed mutant needs no further tests).
export default async function* bail(source) {
  for await (const event of source) {
    if (event.type === 'test:fail') process.exit(1);
  }
  yield '';
}
