// Hash claims need node:crypto installed, as the Node entry does (the claims are imported directly here).
import '../../src/concurrency/node-platform.js';
// Exact assertions on ClaimError, for the direct tests of the claim rules.
import assert from 'node:assert/strict';
import { ClaimError, type ErrorCode } from '../../src/errors.js';

/** What a ClaimError must carry; every field is compared exactly. */
export interface Expected {
  code: ErrorCode;
  claim: string;
  reason: string;
  message: string;
  expected?: unknown;
  actual?: unknown;
}

/** Runs `fn`, which must throw a ClaimError equal to `want` in every field. */
export function throwsClaim(fn: () => unknown, want: Expected): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof ClaimError, `expected a ClaimError ${want.code}, got ${String(thrown)}`);
  assert.deepEqual(
    {
      code: thrown.code,
      claim: thrown.claim,
      reason: thrown.reason,
      message: thrown.message,
      expected: thrown.expected,
      actual: thrown.actual,
    },
    { expected: undefined, actual: undefined, ...want },
  );
}
