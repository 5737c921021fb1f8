import { ClaimError, DpopError, VerifyError, describeValue } from '../errors.js';
import type { JwtPayload } from '../jose/types.js';
import type { CommonConfig, ReplayConfig } from '../options.js';
import { verifyDpopProof } from '../dpop/verify-proof.js';
import { claimOnce, replayKey, type ReplayStore } from '../replay/replay-store.js';
import type { CallOptions } from './call-options.js';

/**
 * The checks that run after signature and claims passed, so unauthenticated tokens never reach a
 * store: the DPoP binding of access tokens (RFC 9449 §7.1, §7.2) and the replay claim of `iss`+`jti`.
 */

/** The scheme rules without a proof (synchronous): RFC 9449 §7.2. */
export function checkScheme(payload: JwtPayload, options: CallOptions): void {
  if (options.dpop !== undefined) return;
  if (options.scheme === 'DPoP') throw new DpopError('invalid_dpop_proof', 'DPoP proof: the DPoP scheme was used without a proof');
  const cnf = payload.cnf;
  if (options.scheme === 'Bearer' && typeof cnf === 'object' && cnf !== null && (cnf as Record<string, unknown>).jkt !== undefined) {
    throw new ClaimError(
      'ERR_CLAIM_INVALID',
      'cnf',
      'dpop-bound',
      'a DPoP-bound token (cnf.jkt) was sent with the Bearer scheme: expected DPoP (RFC 9449 §7.2)',
    );
  }
}

/** The scheme rules, then the DPoP proof against the token's `cnf.jkt` (RFC 9449 §4.3, §7.1). `store` holds proof `jti`s. */
export async function checkDpop(
  payload: JwtPayload,
  token: string,
  options: CallOptions,
  common: CommonConfig,
  replay: ReplayConfig,
  store: () => ReplayStore,
): Promise<void> {
  checkScheme(payload, options);
  if (options.dpop === undefined) return;
  const cnf = payload.cnf;
  const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined;
  if (jkt === undefined)
    throw new ClaimError('ERR_CLAIM_MISSING', 'cnf', 'missing', 'a DPoP proof was sent but the access token has no "cnf.jkt" binding');
  if (typeof jkt !== 'string' || jkt.length === 0) {
    throw new ClaimError('ERR_CLAIM_INVALID', 'cnf', 'type', `"cnf.jkt" must be a non-empty string, got ${describeValue(jkt)}`);
  }
  const d = replay.dpop;
  await verifyDpopProof({
    proof: options.dpop.proof,
    method: options.dpop.method,
    url: options.dpop.url,
    accessToken: token,
    expectedJkt: jkt,
    now: common.now,
    clockTolerance: common.clockTolerance,
    replayStore: store(),
    ...(d.iatWindow !== undefined ? { iatWindow: d.iatWindow } : {}),
    ...(d.algorithms !== undefined ? { algorithms: d.algorithms } : {}),
    ...(d.nonce !== undefined ? { nonce: d.nonce } : {}),
  });
}

/**
 * Claims the token's `iss`+`jti` in the replay store until its `exp` (plus the tolerance, at most
 * `maxReplayWindow`); a second claim fails with ERR_REPLAY.
 */
export async function claimJti(payload: JwtPayload, common: CommonConfig, replay: ReplayConfig, store: ReplayStore): Promise<void> {
  const jti = payload.jti;
  if (jti === undefined) throw new ClaimError('ERR_CLAIM_MISSING', 'jti', 'missing', '"jti" is required for the replay check');
  if (typeof jti !== 'string' || jti.length === 0) {
    throw new ClaimError('ERR_CLAIM_INVALID', 'jti', 'type', `"jti" must be a non-empty string, got ${describeValue(jti)}`);
  }
  const iss = payload.iss as string;
  const nowMs = common.now();
  const exp = typeof payload.exp === 'number' ? payload.exp : Infinity;
  const expiresAtMs = Math.min(Math.ceil((exp + common.clockTolerance) * 1000), nowMs + replay.maxReplayWindow * 1000);
  if (!(await claimOnce(store, await replayKey('jti', iss, jti), expiresAtMs))) {
    throw new ClaimError(
      'ERR_REPLAY',
      'jti',
      'replayed',
      `a token from ${describeValue(iss)} with this "jti" was already accepted (replay)`,
    );
  }
}

/** Whether this verification claims the token's `jti` (logout: always with a store). */
export function wantsReplay(profile: 'id' | 'access' | 'logout', options: CallOptions, replay: ReplayConfig): boolean {
  if (profile === 'logout') return replay.replayStore !== undefined;
  const wanted = options.preventReplay ?? replay.preventReplay;
  if (wanted && replay.replayStore === undefined) {
    throw new VerifyError('ERR_CONFIG', 'preventReplay needs a replayStore on the verifier');
  }
  return wanted;
}
