// The lines a watch daemon judged unfit, kept out by `up` too: `up` run by hand (or the daemon's own
// start after a restart) must not put back a line the daemon took out, only for the daemon to take it
// out again on its next pass, or never, if nothing about that line changes. As the daemon's ring does,
// a bond whose every line is judged out keeps them all (TEQL skips the dead ones itself). Pure.
import type { DesiredState } from '../state/types.js';
import type { HealthFile } from './health-file.js';

/** line -> why the daemon holds it out. */
export type JudgedOut = ReadonlyMap<string, string>;

/** What a daemon's health file holds out of the rings. */
export function judgedOutOf(file: HealthFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of file.bonds) for (const l of b.lines) if (!l.inRing) out.set(l.line, `${l.state}: ${l.reason}`);
  return out;
}

/** The lines `up` keeps out of their bonds for the daemon's judgement. */
export function keptOut(d: DesiredState, judged: JudgedOut): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of d.bonds) {
    const names = b.slaves.map((s) => s.name);
    const held = names.filter((n) => judged.has(n));
    if (held.length === 0 || held.length === names.length) continue;
    for (const n of held) out.set(n, judged.get(n) as string);
  }
  return out;
}
