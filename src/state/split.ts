// How a bond's lines split what it sends now: from two readings of the kernel's counters a short
// interval apart. The counters alone count since each interface was created, so a line that came back
// an hour ago would show its few percent of the week for hours. Pure.
import type { LinkState } from './types.js';

/** One reading of the links' counters, and when it was taken (ms, on a clock that does not jump). */
export interface CounterReading {
  atMs: number;
  links: readonly LinkState[];
}

export interface LineSplit {
  name: string;
  /** Bytes the line sent between the readings; null when a reading lacks it (gone, or read without counters). */
  txBytes: number | null;
  /** Those bytes in bits per second; null with them, or without an interval to divide by. */
  txBitsPerSecond: number | null;
  /** Its part of what the bond's members sent; null out of the bond, unknown, or when the bond sent nothing. */
  share: number | null;
}

export interface Split {
  intervalMs: number;
  lines: LineSplit[];
}

/** What a line sent between two readings of it. */
export function sentBetween(before: LinkState | undefined, after: LinkState | undefined): number | null {
  if (!after?.stats) return null;
  // Created or recreated in between (restarting a wanpipe device recreates its interfaces), or its
  // counters reset: they started from zero within the interval, so all they show was sent in it.
  if (!before?.stats || before.ifindex !== after.ifindex || after.stats.txBytes < before.stats.txBytes)
    return after.stats.txBytes;
  return after.stats.txBytes - before.stats.txBytes;
}

/**
 * Each line's bytes, rate and share between the readings; shares are of the members only (enslaved, or
 * drawn), and all null when the members sent nothing: an idle bond has no split to show, not 0 %.
 */
export function split(
  before: CounterReading,
  after: CounterReading,
  lines: readonly { name: string; member: boolean }[],
): Split {
  const intervalMs = after.atMs - before.atMs;
  const find = (r: CounterReading, name: string) => r.links.find((l) => l.name === name);
  const sent = lines.map((l) => sentBetween(find(before, l.name), find(after, l.name)));
  const total = lines.reduce((a, l, i) => a + (l.member ? (sent[i] ?? 0) : 0), 0);
  return {
    intervalMs,
    lines: lines.map((l, i) => {
      const s = sent[i] ?? null;
      return {
        name: l.name,
        txBytes: s,
        txBitsPerSecond: s !== null && intervalMs > 0 ? (s * 8000) / intervalMs : null,
        share: l.member && s !== null && total > 0 ? s / total : null,
      };
    }),
  };
}
