import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time of this process's threads, from /proc (Linux): the main thread apart from the others
 * (libuv threadpool, V8 helpers). CPU per verification moves less than ops/s with the host's share
 * of the second core (within about ±5% here), so it shows what a contender costs when ratios drift.
 */

/** Clock ticks per second of /proc/<pid>/task/<tid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export interface ThreadCpu {
  /** Seconds of CPU on the main thread. */
  readonly main: number;
  /** Seconds of CPU on every other thread. */
  readonly others: number;
}

/** Reads the CPU time of every thread, or undefined where /proc is not available. */
export function threadCpu(): ThreadCpu | undefined {
  let main = 0;
  let others = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread ended between the listing and the read
      }
      // Fields after the parenthesised name: state is field 3; utime and stime are 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (Number(tid) === process.pid) main += ticks;
      else others += ticks;
    }
  } catch {
    return undefined;
  }
  return { main: main / USER_HZ, others: others / USER_HZ };
}
