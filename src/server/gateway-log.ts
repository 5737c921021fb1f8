/**
 * The gateway's log: one JSON object per line, to stdout unless a sink is given. A failing sink
 * never fails a check.
 */

/** A JSON log line. */
export type GatewayLogLine = Readonly<Record<string, unknown>>;

function defaultLog(line: GatewayLogLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** A logger that writes to `log` (default: one JSON line to stdout) and swallows its errors. */
export function safeLogger(log: ((line: GatewayLogLine) => void) | undefined): (line: GatewayLogLine) => void {
  const sink = log ?? defaultLog;
  return (line) => {
    try {
      sink(line);
    } catch {
      // a failing log sink never fails a check
    }
  };
}
