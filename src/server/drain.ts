import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Graceful shutdown of the gateway's HTTP server: it counts the checks in flight and, on drain,
 * stops accepting connections, lets in-flight checks finish (at most `drainTimeout`), then cuts
 * what is left and releases what the checks used.
 */

/** The in-flight count and drain of one server. */
export interface Drainable {
  /** Checks being answered now. */
  readonly inFlight: number;
  /** Whether a drain has started (responses then carry `Connection: close`). */
  readonly draining: boolean;
  /** A request arrived. */
  start(): void;
  /** A request was answered (or failed). */
  end(): void;
  /**
   * Drains once (later calls get the same promise): resolves `true` when every in-flight check
   * finished in time, after `release` ran.
   */
  readonly drain: () => Promise<boolean>;
}

/**
 * Tracks `server`'s connections and requests. `release` runs after the server closed, with
 * whether every in-flight check finished in time.
 */
export function drainable(server: Server, drainTimeout: number, release: (finished: boolean) => Promise<void>): Drainable {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;

  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  let drained: Promise<boolean> | undefined;
  function drain(): Promise<boolean> {
    drained ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished =
        inFlight === 0
          ? true
          : await new Promise<boolean>((resolve) => {
              idle = () => resolve(true);
              timer = setTimeout(() => resolve(false), drainTimeout);
            });
      clearTimeout(timer);
      if (finished) {
        // Answered connections close after their last response (Connection: close) or are idle now;
        // give them a moment to flush before anything left is cut.
        server.closeIdleConnections();
        await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      for (const s of sockets) s.destroy();
      await closed;
      await release(finished);
      return finished;
    })();
    return drained;
  }

  return {
    get inFlight() {
      return inFlight;
    },
    get draining() {
      return draining;
    },
    start() {
      inFlight++;
    },
    end() {
      inFlight--;
      if (inFlight === 0) idle?.();
    },
    drain,
  };
}
