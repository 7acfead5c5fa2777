// Which lines the watch daemon keeps in each bond's ring, and the engine plan that makes it so. Pure.
// The plan is the engine's own (plan/diff.ts), narrowed to what a daemon may touch after start:
// bonds that are up (a bond someone took down with `wanbond down` is left alone), lines that exist
// (a missing one has nothing to attach), no card starts, no config edits, no admin state changes.
import { plan } from '../plan/diff.js';
import type { Plan } from '../plan/steps.js';
import type { DesiredState, ObservedState } from '../state/types.js';
import { inRing, type LineHealth } from './health.js';

export interface RingDecision {
  /** Lines to keep out of their ring. */
  out: Set<string>;
  /** Bonds whose every line is down: all are kept in the ring (TEQL skips the dead ones itself). */
  allDown: string[];
  /** Bonds the daemon leaves alone, with why. */
  skipped: { teql: string; why: string }[];
}

const isUp = (o: ObservedState, name: string) => o.links.find((l) => l.name === name)?.flags.includes('UP') === true;

export function ringDecision(d: DesiredState, health: ReadonlyMap<string, LineHealth>, o: ObservedState): RingDecision {
  const out = new Set<string>();
  const allDown: string[] = [];
  const skipped: { teql: string; why: string }[] = [];
  for (const b of d.bonds) {
    if (!isUp(o, b.teql)) { skipped.push({ teql: b.teql, why: o.links.some((l) => l.name === b.teql) ? `${b.teql} is down` : `${b.teql} does not exist` }); continue; }
    const present = b.slaves.map((s) => s.name).filter((n) => o.links.some((l) => l.name === n));
    const bad = present.filter((n) => { const h = health.get(n); return h !== undefined && !inRing(h); });
    if (present.length > 0 && bad.length === present.length) { allDown.push(b.teql); continue; }
    for (const n of bad) out.add(n);
  }
  return { out, allDown, skipped };
}

/** A line taken out of a bond's `slaves` by a configuration reload: it leaves the ring. */
export interface RemovedLine { teql: string; name: string }

/** The configuration's bonds, plus lines a reload removed from them, which are planned out of their ring. */
export function withRemoved(d: DesiredState, removed: readonly RemovedLine[]): { desired: DesiredState; out: Set<string> } {
  const out = new Set<string>();
  const bonds = d.bonds.map((b) => {
    const extra = removed.filter((r) => r.teql === b.teql && !b.slaves.some((s) => s.name === r.name));
    for (const r of extra) out.add(r.name);
    return extra.length === 0 ? b : { ...b, slaves: [...b.slaves, ...extra.map((r) => ({ name: r.name, device: undefined, where: 'removed from the configuration', leaving: true }))] };
  });
  return { desired: { ...d, bonds }, out };
}

/** The desired state a running daemon converges to: the bonds that are up, with the lines that exist. */
export function watchDesired(d: DesiredState, o: ObservedState, skipped: readonly { teql: string }[]): DesiredState {
  const skip = new Set(skipped.map((s) => s.teql));
  return {
    ...d, configFix: [], wanpipeDevices: [],
    bonds: d.bonds.filter((b) => !skip.has(b.teql)).map((b) => ({ ...b, slaves: b.slaves.filter((s) => o.links.some((l) => l.name === s.name)) })),
  };
}

/** The ring plan for a decision already taken (the verify after an apply uses the same decision). */
export function planFor(d: DesiredState, decision: RingDecision, o: ObservedState, removed: readonly RemovedLine[] = [], ringOnly = false): Plan {
  const r = withRemoved(d, removed);
  const w = watchDesired(r.desired, o, decision.skipped);
  // No bond up: nothing of the daemon's to keep (not even the module or ip_forward).
  if (w.bonds.length === 0) return { version: 1, steps: [] };
  return plan(w, o, { afterWait: true, out: new Set([...decision.out, ...r.out]), keepAdminState: true, ringOnly });
}

export function ringPlan(d: DesiredState, health: ReadonlyMap<string, LineHealth>, o: ObservedState, removed: readonly RemovedLine[] = [], ringOnly = false): { plan: Plan; decision: RingDecision } {
  const decision = ringDecision(d, health, o);
  return { plan: planFor(d, decision, o, removed, ringOnly), decision };
}
