// The payload rate of a wanpipe line, from what the site's configuration already states: the
// T1/E1 timeslots it is bound to (ACTIVE_CH, 64 kbit/s each), else the serial clock (BaudRate).
// TEQL hands every slave the same number of packets, so a bundle runs at N x its slowest line:
// doctor warns with that ceiling, and the lab and the benchmarks shape lines from it. Pure.
import type { Section } from './lex.js';
import type { Site } from './site.js';

export interface LineRate {
  /** Payload bit/s (framing bits excluded: a full T1 is 24 x 64 = 1.536 Mbit/s of its 1.544). */
  bps: number;
  /** How it was found, for an operator: "T1, ACTIVE_CH = 1-12: 12 x 64 kbit/s". */
  how: string;
  /** file:line of the key it came from. */
  where: string;
}

const CHANNELS: Record<string, number> = { T1: 24, E1: 31 };
const TIMESLOT_BPS = 64_000;

/**
 * Timeslots named by an ACTIVE_CH value: ALL, or channels and ranges joined by '.' (Sangoma's
 * syntax, "1-12" or "1.3.5-8"). undefined when it is not that syntax or names a channel the medium lacks.
 */
export function countTimeslots(value: string, media: string): number | undefined {
  const max = CHANNELS[media];
  if (max === undefined) return undefined;
  const v = value.trim().toUpperCase();
  if (v === 'ALL') return max;
  const seen = new Set<number>();
  for (const part of v.split('.')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = Number(m[1]),
      b = Number(m[2] ?? m[1]);
    if (a < 1 || b > max || b < a) return undefined;
    for (let c = a; c <= b; c++) seen.add(c);
  }
  return seen.size > 0 ? seen.size : undefined;
}

function entry(s: Section | undefined, key: string) {
  return s?.entries.find((e) => e.keyUpper === key);
}

/** The rate of IP interface `name`, or why it cannot be known from the configuration. */
export function lineRate(site: Site, name: string): LineRate | { unknown: string } {
  const i = site.interfaces.find((x) => x.name === name);
  if (!i) return { unknown: `${name} is not in any wanpipe configuration` };
  const fm = site.files.find((f) => f.interfaces.some((x) => x.name === name));
  const sections = fm?.lexed.sections ?? [];
  const sec = (n: string | undefined) => (n === undefined ? undefined : sections.find((s) => s.name === n));
  const own = sec(i.name),
    parent = sec(i.parent),
    dev = sec(i.device);
  const file = fm?.file ?? i.file;
  const mediaEntry = entry(dev, 'FE_MEDIA') ?? entry(dev, 'MEDIA');
  const media = mediaEntry?.value.toUpperCase();
  if (media && CHANNELS[media] !== undefined) {
    // The interface's own binding wins over its hardware channel's, which wins over the card's.
    const ch = entry(own, 'ACTIVE_CH') ?? entry(parent, 'ACTIVE_CH') ?? entry(dev, 'ACTIVE_CH');
    if (!ch)
      return {
        bps: (CHANNELS[media] as number) * TIMESLOT_BPS,
        how: `${media}, no ACTIVE_CH (all ${CHANNELS[media]} timeslots) x 64 kbit/s`,
        where: `${file}:${mediaEntry?.line}`,
      };
    const n = countTimeslots(ch.value, media);
    if (n === undefined)
      return {
        unknown:
          `${file}:${ch.line}: ACTIVE_CH = ${ch.value} is not a timeslot list wanbond understands ` +
          `(ALL, or channels such as 1-12 or 1.3.5-8)`,
      };
    return {
      bps: n * TIMESLOT_BPS,
      how: `${media}, ACTIVE_CH = ${ch.value}: ${n} x 64 kbit/s`,
      where: `${file}:${ch.line}`,
    };
  }
  const baud = entry(dev, 'BAUDRATE');
  if (baud && /^\d+$/.test(baud.value) && Number(baud.value) > 0)
    return { bps: Number(baud.value), how: `serial clock BaudRate = ${baud.value}`, where: `${file}:${baud.line}` };
  return { unknown: `${name}: neither FE_MEDIA/MEDIA (T1, E1) nor BaudRate is set for ${i.device}` };
}

/** What TEQL can carry over lines of these rates: N x the slowest, against their sum. */
export function teqlCeiling(rates: readonly number[]): { ceilingBps: number; sumBps: number; ratio: number } {
  if (rates.length === 0) return { ceilingBps: 0, sumBps: 0, ratio: 1 };
  const ceilingBps = rates.length * Math.min(...rates);
  const sumBps = rates.reduce((a, b) => a + b, 0);
  return { ceilingBps, sumBps, ratio: sumBps > 0 ? ceilingBps / sumBps : 1 };
}

/** `768k`, `1.536M`, `1536000` (bit/s) -> bit/s; undefined when it is none of those or out of 8 kbit/s..100 Gbit/s. */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmg])?(?:bit)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bps = Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1));
  return bps >= 8000 && bps <= 100e9 ? bps : undefined;
}
