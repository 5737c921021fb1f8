import type { Painter } from './style.js';

/** What a command may touch: streams, environment, colour. Passed in so commands stay testable. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface Context {
  readonly io: CliIO;
  readonly command: string;
  /** Colour for stdout. */
  readonly paint: Painter;
  /** Colour for stderr. */
  readonly paintErr: Painter;
  readonly json: boolean;
  readonly quiet: boolean;
  out(text: string): void;
  warn(text: string): void;
}

/** Exit codes, the CLI's contract. */
export const EXIT = { valid: 0, invalid: 1, usage: 2 } as const;
