import { styleText } from 'node:util';

/**
 * Colour for terminal output through `util.styleText`, decided once per stream: never when
 * `NO_COLOR` is set (https://no-color.org), never when the stream is not a TTY unless
 * `FORCE_COLOR` asks for it, never for `TERM=dumb`.
 */

export type Style = 'bold' | 'dim' | 'italic' | 'underline' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray';

export interface Painter {
  readonly enabled: boolean;
  (format: Style | readonly Style[], text: string): string;
}

export interface ColourEnv {
  readonly NO_COLOR?: string | undefined;
  readonly FORCE_COLOR?: string | undefined;
  readonly TERM?: string | undefined;
}

/** Whether output to a stream with this TTY-ness should be coloured. */
export function colourWanted(isTTY: boolean | undefined, env: ColourEnv, flagNoColour = false): boolean {
  if (flagNoColour) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

export function painter(enabled: boolean): Painter {
  const paint = ((format: Style | readonly Style[], text: string): string => {
    if (!enabled || text === '') return text;
    // validateStream is off: the decision above already took the stream into account.
    return styleText(format as Style | Style[], text, { validateStream: false });
  }) as Painter;
  Object.defineProperty(paint, 'enabled', { value: enabled });
  return paint;
}
