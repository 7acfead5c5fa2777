// What `down` runs: the inverse of each step `up` recorded, newest first, where the kernel still
// shows what wanbond made. Anything the operator changed since is left alone. Pure.
import { KINDS } from '../bonds/registry.js';
import { enslaved } from '../bonds/teql/enslaved.js';
import { sameRule } from '../net/rules.js';
import { drawnMarks } from '../bonds/weighted/ruleset.js';
import type { ObservedState } from '../state/types.js';
import { resourceOf } from '../state/merge.js';
import { guardSlaveChanges } from './guard.js';
import { stepType } from './step-types.js';
import { inverse, isHold, type RouteSpec, type Step } from './steps.js';

/**
 * The kernel shows this route as wanbond made it: to the device, or via its gateway (a DSL site's, a probe's), at
 * its metric (a probe table's guard is at the last one).
 */
function showsRoute(route: RouteSpec, o: ObservedState): boolean {
  // A weighted bond's per-line table, or main.
  const routes = route.table !== undefined ? (o.policy?.tables[route.table] ?? []) : o.routes;
  return routes.some(
    (r) =>
      r.dst === route.to &&
      (r.dev === route.dev || (route.nexthops !== undefined && r.dev === undefined)) &&
      r.gateway === route.gateway &&
      (r.metric ?? 0) === (route.metric ?? 0) &&
      (r.type ?? 'unicast') === (route.type ?? 'unicast'),
  );
}

function stillOurs(inv: Step, o: ObservedState): boolean {
  const link = (n: string) => o.links.find((l) => l.name === n);
  switch (inv.kind) {
    case 'wanrouter-stop':
      return inv.device === 'all'
        ? (o.wanrouterDevices ?? []).length > 0
        : (o.wanrouterDevices ?? []).some((d) => d.name === inv.device);
    // A built-in TEQL cannot be unloaded; a module is unloaded only when wanbond loaded it.
    case 'unload-module':
      return o.teql.loaded && !o.teql.builtin;
    case 'set-mtu':
      return link(inv.dev)?.mtu === inv.was;
    case 'release-bond':
      return o.qdiscs.some((q) => q.dev === inv.teql && isHold(q));
    case 'detach-slave':
      return enslaved(o, inv.dev, inv.teql);
    case 'attach-slave':
      return (
        link(inv.dev) !== undefined && !o.qdiscs.some((q) => q.dev === inv.dev && q.root && /^teql\d+$/.test(q.kind))
      );
    case 'set-link-down':
      return link(inv.dev)?.flags.includes('UP') === true;
    case 'del-address': {
      const [local, len] = inv.cidr.split('/');
      return o.addrs.some((a) => a.dev === inv.dev && a.local === local && String(a.prefixlen) === len);
    }
    case 'del-route':
      return showsRoute(inv.route, o);
    case 'delete-link':
      return link(inv.dev) !== undefined;
    case 'nft-delete-table':
      return o.policy?.nft !== undefined;
    case 'del-rule':
      return (o.policy?.rules ?? []).some((r) => sameRule(inv.rule, r));
    // A draw to put back: not when the bond already draws so (a rollback did it), nor without the table.
    case 'nft-stripe': {
      const draw = o.policy?.nft?.draws[inv.bond.bond];
      return draw !== undefined && JSON.stringify(draw) !== JSON.stringify(drawnMarks(inv.bond));
    }
    // Give the replaced route back while ours holds its place, and also when the kernel removed ours
    // with its link (teqlN down) and nobody has taken the place since.
    case 'restore-route': {
      const holders = o.routes.filter(
        (r) => r.dst === inv.replaced.to && (r.metric ?? 0) === (inv.replaced.metric ?? 0),
      );
      return (
        holders.length === 0 || holders.some((r) => r.dev === inv.replaced.dev && r.gateway === inv.replaced.gateway)
      );
    }
    case 'set-sysctl':
      return o.sysctls[inv.key] === inv.was;
    // Only as the rollback of a bond's removal (orphans.ts): put back what the removal took, not twice.
    case 'replace-route':
      return !showsRoute(inv.route, o);
    case 'set-link-up':
      return link(inv.dev)?.flags.includes('UP') !== true;
    case 'load-module':
      return !o.teql.loaded;
    case 'nft-table':
      return o.policy?.nft === undefined;
    case 'add-rule':
      return !(o.policy?.rules ?? []).some((r) => sameRule(inv.rule, r));
    case 'create-dummy':
      return link(inv.dev) === undefined;
    case 'add-address': {
      const [local, len] = inv.cidr.split('/');
      return !o.addrs.some((a) => a.dev === inv.dev && a.local === local && String(a.prefixlen) === len);
    }
    case 'kind-step':
      return stepType(inv).stillOurs(inv, o);
    default:
      return true;
  }
}

export interface Undo {
  step: Step;
  undo: Step;
}

/** A step's undo: inverse(), or what a bond's removal rolls back to (orphans.ts rollbackOf). */
export type Inverse = (s: Step) => Step | undefined;

/** Each recorded step with its undo, newest first, where there is something of wanbond's to undo (never twice). */
export function undoPairs(recorded: readonly Step[], o: ObservedState, inv: Inverse = inverse): Undo[] {
  const out: Undo[] = [];
  const seen = new Set<string>();
  for (const s of [...recorded].reverse()) {
    const key = resourceOf(s);
    if (key !== undefined) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const undo = inv(s);
    if (undo && stillOurs(undo, o)) out.push({ step: s, undo });
  }
  return out;
}

/** The recorded steps that still have something to undo, oldest first (what a record keeps). */
export function stillToUndo(recorded: readonly Step[], o: ObservedState, inv: Inverse = inverse): Step[] {
  return undoPairs(recorded, o, inv)
    .map((p) => p.step)
    .reverse();
}

/** The undo steps, newest first, with the bond's queue held around slave changes on an up bond. */
export function teardown(recorded: readonly Step[], o: ObservedState): Step[] {
  return teardownOf(undoPairs(recorded, o), o);
}

/** teardown() from undo pairs already made; `leftovers`: with the releases of holds a killed wanbond left. */
export function teardownOf(pairs: readonly Undo[], o: ObservedState, leftovers = true): Step[] {
  const first = leftovers ? KINDS.flatMap((k) => k.undo?.leftovers(o) ?? []) : [];
  const undo = KINDS.reduce(
    (steps, k) => k.undo?.order(steps) ?? steps,
    pairs.map((p) => p.undo),
  );
  return guardSlaveChanges([...first, ...undo], o);
}

/** Sysctl keys `down` must read to decide. */
export function recordedSysctlKeys(recorded: readonly Step[]): string[] {
  return [...new Set(recorded.flatMap((s) => (s.kind === 'set-sysctl' ? [s.key] : [])))];
}

/** wanbond's per-line tables a record wrote routes into: what `down` must read to decide. */
export function recordedTables(recorded: readonly Step[]): number[] {
  return [
    ...new Set(
      recorded.flatMap((s) => (s.kind === 'replace-route' && s.route.table !== undefined ? [s.route.table] : [])),
    ),
  ];
}

/**
 * The weighted and per-connection bonds the record holds in wanbond's nftables table: made by `up`
 * (or the daemon) in this boot and not undone by `down`, whatever the kernel shows now (a firewall
 * reload removes the table, and the bond is still up).
 */
export const recordedDrawnBonds = (recorded: readonly Step[]): Set<string> =>
  new Set(recorded.flatMap((s) => (s.kind === 'nft-table' ? s.bonds.map((b) => b.bond) : [])));

/** Whether a record holds weighted-bond steps, so `down` must read nftables and the rules. */
export const recordsWeighted = (recorded: readonly Step[]): boolean =>
  recorded.some((s) => s.kind === 'nft-table' || s.kind === 'add-rule' || s.kind === 'create-dummy');
