import { VerifyError, describe } from './errors.js';

/**
 * Validation helpers for options, shared by every layer that takes them (verifier, remote key
 * sources, introspection). Bad options fail at once with `ERR_CONFIG`.
 */

export function configError(message: string): VerifyError {
  return new VerifyError('ERR_CONFIG', message);
}

/** An optional number option: absent, or a finite number >= `min` (an integer when asked). */
export function checkNumber(name: string, v: unknown, min: number, integer = false): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw configError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${describe(v)}`);
  }
}
