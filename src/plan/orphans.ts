// Bonds that this boot's record shows `up` set up, but that the settings no longer have (a [pcbond1]
// or [wbond1] or [teql1] section deleted). `up` takes each one down as `down` would: only the record's
// own steps of that bond, newest first, only where the kernel still shows wanbond's change. Pure.
//
// Design. The record (state/record.ts) is a flat list of steps with no bond named on them, so each
// step is given an owner from what it says: a bond's device (teqlN, wbondN), a routing table in a
// bond's range (its number holds the bond's index), a rule by its table or its uplink's address,
// a line by the bond the record enslaved or drew it in. What several bonds share goes with the last
// configured bond of its kind: wanbond's nftables table (weighted and per-connection bonds; while
// one such bond is configured the planner rewrites the table without the removed one's chains),
// the catch-all rule of the weighted marks (7763) or of the per-connection marks (7767), sch_teql,
// all.rp_filter = 0 (set for the bonds with rp_filter 0) and ip_forward (set for any bond). A wanpipe
// device `up` started stays running (its interfaces may carry other things): `down` stops it.
//
// The removal is its own transaction, before the plan (engine.ts): its steps are undo steps, so the
// rollback of one of them is the recorded step it undid (rollbackOf). Once it is done and verified
// the record forgets the bond; a bond whose changes are all gone already is forgotten at once.
// Without the record nothing can be attributed: unrecordedBonds names what looks like a bond in the
// kernel that neither the settings nor the record know, and nothing of it is changed.
import type { DesiredState, ObservedState } from '../state/types.js';
import { KINDS, kindOfSection } from '../bonds/registry.js';
import { routeDevs } from './route.js';
import { inverse, type Step } from './steps.js';
import { teardownOf, undoPairs, type Undo } from './teardown.js';

/**
 * What a group of bonds shares (a kind's: BondKind.traces.groups; 'any': every bond's, 'rp-filter-0':
 * the bonds' with rp_filter 0): it goes with the last configured bond of the group.
 */
type Group = string;
type Owner = { bond: string } | { group: Group } | undefined;

/** The groups a bond is in, by its kind. */
const groupsOf = (bond: string): Group[] => [...(kindOfSection(bond)?.kind.traces.groups ?? [])];

/** A bond's own device (teqlN, wbondN), by its name. */
const isBondDevice = (dev: string): boolean => kindOfSection(dev)?.kind.ownDevice === true;

/** The bond whose table this is (a weighted line's, a per-connection uplink's, a DSL slave's probe table). */
function tableOwner(t: number): string | undefined {
  for (const k of KINDS) {
    const i = k.traces.tableIndex(t);
    if (i !== undefined) return `${k.prefix}${i}`;
  }
  return undefined;
}

/** What several bonds share that this step changed (a kind's module, wanbond's nftables table, a catch-all rule). */
function sharedBy(s: Step): Owner {
  for (const k of KINDS) {
    const group = k.traces.sharedBy(s);
    if (group !== undefined) return { group };
  }
  return undefined;
}

/** Lines and uplink addresses by their bond, as the record shows them. */
function membership(steps: readonly Step[]): { lines: Map<string, string>; addresses: Map<string, string> } {
  const lines = new Map<string, string>();
  const addresses = new Map<string, string>();
  for (const s of steps) {
    if (s.kind === 'attach-slave') lines.set(s.dev, s.teql);
    if (s.kind === 'nft-table') for (const b of s.bonds) for (const l of b.lines) lines.set(l.name, b.bond);
    if (s.kind === 'replace-route' && s.route.table !== undefined && s.route.dev !== undefined) {
      const bond = tableOwner(s.route.table);
      if (bond) lines.set(s.route.dev, bond);
    }
    if (s.kind === 'add-rule' && s.rule.from !== undefined && typeof s.rule.table === 'number') {
      const bond = tableOwner(s.rule.table);
      if (bond) addresses.set(s.rule.from, bond);
    }
  }
  return { lines, addresses };
}

function ownerOf(s: Step, m: ReturnType<typeof membership>): Owner {
  const byDev = (dev: string | undefined): Owner => {
    if (dev === undefined) return undefined;
    if (isBondDevice(dev)) return { bond: dev };
    const bond = m.lines.get(dev);
    return bond ? { bond } : undefined;
  };
  switch (s.kind) {
    case 'kind-step':
      return { bond: s.bond };
    case 'attach-slave':
      return { bond: s.teql };
    case 'create-dummy':
    case 'add-address':
    case 'set-link-up':
    case 'set-mtu':
      return byDev(s.dev);
    case 'set-sysctl': {
      // ip_forward is every bond's; all.rp_filter = 0 that of the bonds with rp_filter 0 (the kernel takes the larger).
      if (s.key === 'net.ipv4.ip_forward') return { group: 'any' };
      const dev = /^net\.ipv4\.conf\.(.+)\.rp_filter$/.exec(s.key)?.[1];
      return dev === 'all' ? { group: 'rp-filter-0' } : dev === 'default' ? undefined : byDev(dev);
    }
    case 'replace-route': {
      if (s.route.table !== undefined) {
        const bond = tableOwner(s.route.table);
        return bond ? { bond } : undefined;
      }
      return byDev(routeDevs(s.route)[0]);
    }
    case 'add-rule': {
      const r = s.rule;
      if (typeof r.table === 'number') {
        const bond = tableOwner(r.table);
        return bond ? { bond } : undefined;
      }
      if (r.from !== undefined) {
        const bond = m.addresses.get(r.from);
        return bond ? { bond } : undefined;
      }
      return sharedBy(s);
    }
    default:
      return sharedBy(s);
  }
}

export interface Orphans {
  /** The bonds recorded as set up in this boot that the settings no longer have. */
  bonds: string[];
  /** Their recorded steps (with what they shared with no configured bond), oldest first. */
  steps: Step[];
}

/** The bonds the record holds steps of. */
export function recordedBondNames(recorded: readonly Step[]): string[] {
  const m = membership(recorded);
  const names = new Set<string>();
  for (const s of recorded) {
    const o = ownerOf(s, m);
    if (o && 'bond' in o) names.add(o.bond);
  }
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export function orphansOf(recorded: readonly Step[], d: DesiredState): Orphans {
  const configured = new Set(d.bonds.map((b) => b.name));
  const bonds = recordedBondNames(recorded).filter((n) => !configured.has(n));
  if (bonds.length === 0) return { bonds: [], steps: [] };
  const gone = new Set(bonds);
  const needed = new Set<Group>([
    ...d.bonds.flatMap((b) => groupsOf(b.name)),
    ...(d.bonds.length > 0 ? ['any'] : []),
    ...(d.bonds.some((b) => b.rpFilter === 0) ? ['rp-filter-0'] : []),
  ]);
  // Which removed bond had rp_filter 0 the record does not say: one did, if no configured bond has it.
  const freed = new Set([...bonds.flatMap(groupsOf), 'any', 'rp-filter-0'].filter((g) => !needed.has(g)));
  const m = membership(recorded);
  const steps = recorded.filter((s) => {
    const o = ownerOf(s, m);
    return o !== undefined && ('bond' in o ? gone.has(o.bond) : freed.has(o.group));
  });
  return { bonds, steps };
}

/** The orphans' undo pairs and their teardown, as `down` would run them for these steps alone. */
export function orphanTeardown(orphans: Orphans, o: ObservedState): { pairs: Undo[]; steps: Step[] } {
  if (orphans.steps.length === 0) return { pairs: [], steps: [] };
  const pairs = undoPairs(orphans.steps, o);
  // Holds a killed wanbond left on configured bonds are the plan's to release, not this removal's.
  return { pairs, steps: teardownOf(pairs, o, false) };
}

/** The rollback of an undo step of this removal: the recorded step it undid (a hold's is its release). */
export const rollbackOf =
  (pairs: readonly Undo[]) =>
  (s: Step): Step | undefined =>
    pairs.find((p) => p.undo === s)?.step ?? inverse(s);

/**
 * What looks like a bond wanbond set up but that neither the settings nor the record name: a dummy
 * wbondN, a teqlN with slaves, a chain of wanbond's nftables table or a rule to one of its tables
 * (when they were read). Without a
 * record of it, what wanbond changed for it cannot be known, so nothing of it is changed.
 */
export function unrecordedBonds(recorded: readonly Step[], d: DesiredState, o: ObservedState): string[] {
  const known = new Set([...d.bonds.map((b) => b.name), ...recordedBondNames(recorded)]);
  const seen = new Set<string>([
    ...KINDS.flatMap((k) => k.traces.seen(o)),
    ...(o.policy?.rules ?? []).flatMap((r) => {
      const bond = r.other || !/^\d+$/.test(r.table) ? undefined : tableOwner(Number(r.table));
      return bond ? [bond] : [];
    }),
  ]);
  return [...seen].filter((n) => !known.has(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
