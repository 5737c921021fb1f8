import type { Verifier } from '../http/request-verifier.js';
import type { ConnectedRedis } from '../replay/redis-connect.js';
import type { ResolvedGatewayConfig } from './config.js';

/**
 * Readiness (`/readyz`): every issuer has keys loaded and Redis (when configured) answers PING
 * within `redis.timeout`. Keys are loaded at start; a not-ready probe retries loading them (at
 * most once a second).
 */

/** A readiness answer: ready, or the reasons it is not. */
export interface Readiness {
  readonly ok: boolean;
  readonly reasons: string[];
}

/** Loading keys ({@link GatewayReadiness.warm}) and probing readiness ({@link GatewayReadiness.ready}). */
export interface GatewayReadiness {
  /** Starts loading every issuer's keys (failures are left to the readiness probe). */
  readonly warm: () => void;
  /** Whether the gateway is ready to answer checks. */
  readonly ready: () => Readiness | Promise<Readiness>;
}

/** The readiness of a gateway built on `verifier` and `redis`. */
export function createReadiness(cfg: ResolvedGatewayConfig, verifier: Verifier, redis: ConnectedRedis | undefined): GatewayReadiness {
  // Keys are loaded at start; /readyz reports when they are in.
  let lastWarm = 0;
  const warm = (): void => {
    lastWarm = Date.now();
    verifier.warmUp().catch(() => undefined);
  };

  function ready(): { ok: boolean; reasons: string[] } | Promise<{ ok: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    const stats = verifier.stats() as Record<string, { keys?: unknown }>;
    for (const i of cfg.issuers) {
      const keys = stats[i.issuer]?.keys;
      if (typeof keys !== 'number' || keys === 0) reasons.push(`no keys loaded for issuer ${i.issuer}`);
    }
    if (reasons.length > 0 && Date.now() - lastWarm > 1000) warm();
    if (redis === undefined) return { ok: reasons.length === 0, reasons };
    const r = redis;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => resolve({ ok: false, reasons: [...reasons, 'redis did not answer PING in time'] }),
        cfg.redis!.timeout,
      );
      Promise.resolve()
        .then(() => r.ping())
        .then(
          (pong) => {
            clearTimeout(timer);
            const ok = pong === 'PONG';
            resolve({ ok: ok && reasons.length === 0, reasons: ok ? reasons : [...reasons, 'redis did not answer PONG'] });
          },
          () => {
            clearTimeout(timer);
            resolve({ ok: false, reasons: [...reasons, 'redis is unreachable'] });
          },
        );
    });
  }

  return { warm, ready };
}
