import type { CommandSpec, Parsed } from './args.js';
import type { Context } from './context.js';

/** One CLI command: its option table (parsing and help) and what it does. Returns the exit code. */
export interface Command {
  readonly spec: CommandSpec;
  run(ctx: Context, args: Parsed): Promise<number>;
}
