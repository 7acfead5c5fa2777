// Kernels before mid-2026 let TEQL's transmit path walk the slave ring without a lock while a slave
// is added or removed (../shared/domain/wanpipe.md 5.2; a use-after-free). So every slave change on
// a bond that is up runs with the bond's queue held: a plug qdisc is added as teqlN's root (the
// graft waits for transmits in flight, and a fresh plug dequeues nothing), the slaves change, and
// deleting the plug gives teqlN its default qdisc back. docs/ENGINE.md has the whole argument. Pure.
import type { ObservedState } from '../state/types.js';
import { isHold, type Step } from './steps.js';

const isSlaveChange = (s: Step) => s.kind === 'attach-slave' || s.kind === 'detach-slave';

/**
 * teqlN's root qdisc is the kernel's default (handle 0:) or wanbond's plug: holding is possible.
 * A qdisc someone set on purpose (shaping on the bond) would be lost by the release, so such a bond
 * is changed unguarded (doctor warns about it).
 */
export function canHold(teql: string, o: ObservedState): boolean {
  if (!o.plug) return false; // a kernel without sch_plug: the change is made unguarded (doctor says so)
  const root = o.qdiscs.find((q) => q.dev === teql && q.root);
  return !root || root.handle === '0:' || root.handle === '' || isHold(root);
}

export function guardSlaveChanges(steps: readonly Step[], o: ObservedState): Step[] {
  const up = new Map<string, boolean>(
    o.links.filter((l) => /^teql\d+$/.test(l.name)).map((l) => [l.name, l.flags.includes('UP')]),
  );
  const held = new Set<string>(o.qdiscs.filter(isHold).map((q) => q.dev));
  const ours = new Set<string>(); // holds this function opened and must close
  const out: Step[] = [];
  const closeRun = () => {
    for (const t of [...ours].sort()) {
      out.push({ kind: 'release-bond', teql: t });
      held.delete(t);
    }
    ours.clear();
  };
  for (const s of steps) {
    if (isSlaveChange(s)) {
      const t = (s as Extract<Step, { kind: 'attach-slave' | 'detach-slave' }>).teql;
      if (up.get(t) === true && !held.has(t) && canHold(t, o)) {
        out.push({ kind: 'hold-bond', teql: t });
        held.add(t);
        ours.add(t);
      }
      out.push(s);
      continue;
    }
    closeRun();
    if (s.kind === 'hold-bond') held.add(s.teql);
    if (s.kind === 'release-bond') held.delete(s.teql);
    if (s.kind === 'set-link-up' && /^teql\d+$/.test(s.dev)) up.set(s.dev, true);
    if (s.kind === 'set-link-down' && /^teql\d+$/.test(s.dev)) up.set(s.dev, false);
    out.push(s);
  }
  closeRun();
  return out;
}
