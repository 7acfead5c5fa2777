// Durations given on the command line (`--window 2s`, `--interval 500ms`), each bounded so a read-only
// command always ends. Pure.
import { UsageError } from '../errors.js';

/** `text` as ms (a number with ms or s), from 0 to maxMs; a usage error naming the option otherwise. */
export function parseDuration(option: string, text: string, maxMs: number, hint: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000)) : NaN;
  if (!(ms >= 0 && ms <= maxMs))
    throw new UsageError(`${option}: expected a duration from 0s to ${maxMs / 1000}s, found '${text}'`, hint);
  return ms;
}
