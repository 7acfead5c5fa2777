// What TEQL's steps need when they are undone: a hold on a bond's queue (a plug qdisc as teqlN's
// root, plan/guard.ts) that a killed wanbond left behind is released first, and a teqlN's MTU is
// given back only once its slaves are released. Pure.
import { isHold, type Step } from '../../plan/steps.js';
import type { ObservedState } from '../../state/types.js';
import type { KindUndo } from '../kind.js';

/** Holds a killed wanbond left on a bond: they stop all its traffic, and `down` releases them first. */
export function leftoverReleases(o: ObservedState): Step[] {
  return o.qdiscs
    .filter((q) => /^teql\d+$/.test(q.dev) && isHold(q))
    .map((q) => ({ kind: 'release-bond', teql: q.dev }));
}

/**
 * A teqlN's MTU may not rise above a slave's: giving teqlN its old MTU back waits until its slaves
 * are released (their own MTUs given back first would not do: they may be the operator's).
 */
export function teqlMtuLast(steps: Step[]): Step[] {
  const out = [...steps];
  for (const s of steps) {
    if (s.kind !== 'set-mtu' || !/^teql\d+$/.test(s.dev)) continue;
    const lastDetach = out
      .map((x, i) => (x.kind === 'detach-slave' && x.teql === s.dev ? i : -1))
      .reduce((a, b) => Math.max(a, b), -1);
    const at = out.indexOf(s);
    if (lastDetach > at) {
      out.splice(at, 1);
      out.splice(lastDetach, 0, s);
    }
  }
  return out;
}

export const teqlUndo: KindUndo = { leftovers: leftoverReleases, order: teqlMtuLast };
