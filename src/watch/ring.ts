// Which lines the watch daemon keeps in each bond's ring, and the engine plan that makes it so. Pure.
// The plan is the engine's own (plan/diff.ts), narrowed to what a daemon may touch after start:
// bonds that are up (a bond someone took down with `wanbond down` is left alone; a weighted or
// per-connection bond is up when wanbond's record holds it, so one whose nftables table a firewall
// reload removed is built again, not abandoned), lines that exist
// (a missing one has nothing to attach), lines no other qdisc holds, no card starts, no config
// edits, no admin state changes. One line that cannot be planned never blocks the others.
import { kindOf } from '../bonds/registry.js';
import { plan } from '../plan/diff.js';
import { recordedDrawnBonds } from '../plan/teardown.js';
import type { HeldLine } from '../bonds/kind.js';
import { nftBlocker } from '../bonds/weighted/plan.js';
import type { Plan, Step } from '../plan/steps.js';
import type { DesiredState, ObservedState } from '../state/types.js';
import { inRing, type LineHealth } from './health.js';

export interface RingDecision {
  /** Lines to keep out of their ring. */
  out: Set<string>;
  /** Bonds whose every line is down: all are kept in the ring (TEQL skips the dead ones itself). */
  allDown: string[];
  /** Bonds the daemon leaves alone, with why (and the fix, when `wanbond up` is not it). */
  skipped: { teql: string; why: string; fix?: string }[];
  /** Lines the daemon leaves alone: a root qdisc it did not set (another bond's, or shaping). */
  foreign: { line: string; teql: string; why: string }[];
  /** Lines held out of their bond for a problem of their own (an uplink without its address). */
  held: HeldLine[];
}

/** A line taken out of a bond's `slaves` by a configuration reload: it leaves that bond's ring. */
export interface RemovedLine {
  teql: string;
  name: string;
}

const exists = (o: ObservedState, name: string) => o.links.some((l) => l.name === name);

/** The configuration's bonds, plus the lines a reload removed from them (`leaving`: only taken out). */
export function withRemoved(d: DesiredState, removed: readonly RemovedLine[]): DesiredState {
  return {
    ...d,
    bonds: d.bonds.map((b) => {
      const extra = removed.filter((r) => r.teql === b.name && !b.slaves.some((s) => s.name === r.name));
      return extra.length === 0
        ? b
        : {
            ...b,
            slaves: [
              ...b.slaves,
              ...extra.map((r) => ({
                name: r.name,
                device: undefined,
                where: 'removed from the configuration',
                leaving: true,
              })),
            ],
          };
    }),
  };
}

/** `recorded`: the steps of wanbond's record of this boot (what `up` and the daemon did, less what `down` undid). */
export function ringDecision(
  d: DesiredState,
  health: ReadonlyMap<string, LineHealth>,
  o: ObservedState,
  removed: readonly RemovedLine[] = [],
  recorded: readonly Step[] = [],
): RingDecision {
  const out = new Set<string>();
  const allDown: string[] = [];
  const skipped: RingDecision['skipped'] = [];
  const foreign: RingDecision['foreign'] = [];
  const drawnUp = recordedDrawnBonds(recorded);
  const held: HeldLine[] = [];
  for (const b of withRemoved(d, removed).bonds) {
    const kind = kindOf(b);
    // A bond nftables draws cannot be read or changed without a working nft; the others go on.
    const blocked = kind.drawnByNft && o.policy ? nftBlocker(o) : undefined;
    if (blocked) {
      skipped.push({ teql: b.name, why: blocked.why, fix: blocked.hint });
      continue;
    }
    const why = kind.notUp(b, o, drawnUp);
    if (why !== undefined) {
      skipped.push({ teql: b.name, why });
      continue;
    }
    // Only TEQL's lines carry a qdisc of wanbond's: on other kinds' lines another qdisc is no one's claim to them.
    for (const s of kind.needsTeql ? b.slaves : []) {
      const root = o.qdiscs.find((q) => q.dev === s.name && q.root);
      if (!root || root.kind === b.name || root.handle === '0:' || root.handle === '') continue;
      // A line moving to this bond is still the other bond's slave until that bond lets it go (the next pass).
      const moving = removed.some((r) => r.name === s.name && r.teql === root.kind);
      if (!s.leaving)
        foreign.push({
          line: s.name,
          teql: b.name,
          why: moving
            ? `still a slave of ${root.kind}`
            : /^teql\d+$/.test(root.kind)
              ? `a slave of ${root.kind}`
              : `its root qdisc is ${root.kind} ${root.handle}, not wanbond's`,
        });
    }
    held.push(...kind.heldOut(b, o, d.settingsFile));
    const present = b.slaves
      .filter((s) => !s.leaving && exists(o, s.name) && !foreign.some((f) => f.line === s.name && f.teql === b.name))
      .map((s) => s.name);
    const bad = present.filter((n) => {
      const h = health.get(n);
      return h !== undefined && !inRing(h);
    });
    if (present.length > 0 && bad.length === present.length) {
      allDown.push(b.name);
      continue;
    }
    for (const n of bad) out.add(n);
  }
  return { out, allDown, skipped, foreign, held };
}

/**
 * The desired state a running daemon converges to: the bonds that are up, with the lines that exist and are
 * its to change.
 */
export function watchDesired(
  d: DesiredState,
  o: ObservedState,
  decision: RingDecision,
  removed: readonly RemovedLine[] = [],
): DesiredState {
  const skip = new Set(decision.skipped.map((s) => s.teql));
  return {
    ...d,
    configFix: [],
    wanpipeDevices: [],
    bonds: withRemoved(d, removed)
      .bonds.filter((b) => !skip.has(b.name))
      .map((b) => ({
        ...b,
        slaves: b.slaves.filter(
          (s) => exists(o, s.name) && !decision.foreign.some((f) => f.line === s.name && f.teql === b.name),
        ),
      })),
  };
}

/**
 * The plan for a decision already taken (the verify after an apply uses the same decision).
 * ringOnly: slaves only, from a lean read of the kernel; otherwise the bonds whole (routes too).
 */
export function planFor(
  d: DesiredState,
  decision: RingDecision,
  o: ObservedState,
  removed: readonly RemovedLine[] = [],
  ringOnly = false,
): Plan {
  const w = watchDesired(d, o, decision, removed);
  // No bond up: nothing of the daemon's to keep (not even the module or ip_forward).
  if (w.bonds.length === 0) return { version: 1, steps: [] };
  return plan(w, o, { afterWait: true, out: decision.out, keepAdminState: true, ringOnly });
}

export function ringPlan(
  d: DesiredState,
  health: ReadonlyMap<string, LineHealth>,
  o: ObservedState,
  removed: readonly RemovedLine[] = [],
  ringOnly = false,
  recorded: readonly Step[] = [],
): { plan: Plan; decision: RingDecision } {
  const decision = ringDecision(d, health, o, removed, recorded);
  return { plan: planFor(d, decision, o, removed, ringOnly), decision };
}
