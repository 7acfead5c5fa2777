// What `down` runs: the inverse of each step `up` recorded, newest first, where the kernel still
// shows what wanbond made. Anything the operator changed since is left alone. Pure.
import { sameRule } from '../weighted/policy.js';
import { drawnMarks } from '../weighted/ruleset.js';
import type { ObservedState } from '../state/types.js';
import { resourceOf } from '../state/merge.js';
import { guardSlaveChanges } from './guard.js';
import { inverse, isHold, type Step } from './steps.js';

function stillOurs(inv: Step, o: ObservedState): boolean {
  const link = (n: string) => o.links.find((l) => l.name === n);
  switch (inv.kind) {
    case 'wanrouter-stop': return inv.device === 'all' ? (o.wanrouterDevices ?? []).length > 0 : (o.wanrouterDevices ?? []).some((d) => d.name === inv.device);
    // A built-in TEQL cannot be unloaded; a module is unloaded only when wanbond loaded it.
    case 'unload-module': return o.teql.loaded && !o.teql.builtin;
    case 'set-mtu': return link(inv.dev)?.mtu === inv.was;
    case 'release-bond': return o.qdiscs.some((q) => q.dev === inv.teql && isHold(q));
    case 'detach-slave': return o.qdiscs.some((q) => q.dev === inv.dev && q.root && q.kind === inv.teql);
    case 'attach-slave': return link(inv.dev) !== undefined && !o.qdiscs.some((q) => q.dev === inv.dev && q.root && /^teql\d+$/.test(q.kind));
    case 'set-link-down': return link(inv.dev)?.flags.includes('UP') === true;
    case 'del-address': {
      const [local, len] = inv.cidr.split('/');
      return o.addrs.some((a) => a.dev === inv.dev && a.local === local && String(a.prefixlen) === len);
    }
    case 'del-route': {
      // A weighted bond's per-line table, or main.
      const routes = inv.route.table !== undefined ? (o.weighted?.tables[inv.route.table] ?? []) : o.routes;
      // Ours as we made it: straight to the device, or via the gateway we gave (a DSL site's, a probe's).
      return routes.some((r) => r.dst === inv.route.to && (r.dev === inv.route.dev || (inv.route.nexthops !== undefined && r.dev === undefined)) && r.gateway === inv.route.gateway && (r.metric ?? 0) === 0);
    }
    case 'delete-link': return link(inv.dev) !== undefined;
    case 'nft-delete-table': return o.weighted?.nft !== undefined;
    case 'del-rule': return (o.weighted?.rules ?? []).some((r) => sameRule(inv.rule, r));
    // A draw to put back: not when the bond already draws so (a rollback did it), nor without the table.
    case 'nft-stripe': {
      const draw = o.weighted?.nft?.draws[inv.bond.bond];
      return draw !== undefined && JSON.stringify(draw) !== JSON.stringify(drawnMarks(inv.bond));
    }
    // Give the replaced route back while ours holds its place, and also when the kernel removed ours
    // with its link (teqlN down) and nobody has taken the place since.
    case 'restore-route': {
      const holders = o.routes.filter((r) => r.dst === inv.replaced.to && (r.metric ?? 0) === (inv.replaced.metric ?? 0));
      return holders.length === 0 || holders.some((r) => r.dev === inv.replaced.dev && r.gateway === inv.replaced.gateway);
    }
    case 'set-sysctl': return o.sysctls[inv.key] === inv.was;
    default: return true;
  }
}

export interface Undo { step: Step; undo: Step }

/** Each recorded step with its undo, newest first, where there is something of wanbond's to undo (never twice). */
export function undoPairs(recorded: readonly Step[], o: ObservedState): Undo[] {
  const out: Undo[] = [];
  const seen = new Set<string>();
  for (const s of [...recorded].reverse()) {
    const key = resourceOf(s);
    if (key !== undefined) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const inv = inverse(s);
    if (inv && stillOurs(inv, o)) out.push({ step: s, undo: inv });
  }
  return out;
}

/** The recorded steps that still have something to undo, oldest first (what a record keeps). */
export function stillToUndo(recorded: readonly Step[], o: ObservedState): Step[] {
  return undoPairs(recorded, o).map((p) => p.step).reverse();
}

/** Holds a killed wanbond left on a bond: they stop all its traffic, and `down` releases them first. */
export function leftoverReleases(o: ObservedState): Step[] {
  return o.qdiscs.filter((q) => /^teql\d+$/.test(q.dev) && isHold(q))
    .map((q) => ({ kind: 'release-bond', teql: q.dev }));
}

/**
 * A teqlN's MTU may not rise above a slave's: giving teqlN its old MTU back waits until its slaves
 * are released (their own MTUs given back first would not do: they may be the operator's).
 */
function teqlMtuLast(steps: Step[]): Step[] {
  const out = [...steps];
  for (const s of steps) {
    if (s.kind !== 'set-mtu' || !/^teql\d+$/.test(s.dev)) continue;
    const lastDetach = out.map((x, i) => (x.kind === 'detach-slave' && x.teql === s.dev ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    const at = out.indexOf(s);
    if (lastDetach > at) { out.splice(at, 1); out.splice(lastDetach, 0, s); }
  }
  return out;
}

/** The undo steps, newest first, with the bond's queue held around slave changes on an up bond. */
export function teardown(recorded: readonly Step[], o: ObservedState): Step[] {
  return teardownOf(undoPairs(recorded, o), o);
}

/** teardown() from undo pairs already made. */
export function teardownOf(pairs: readonly Undo[], o: ObservedState): Step[] {
  return guardSlaveChanges([...leftoverReleases(o), ...teqlMtuLast(pairs.map((p) => p.undo))], o);
}

/** Sysctl keys `down` must read to decide. */
export function recordedSysctlKeys(recorded: readonly Step[]): string[] {
  return [...new Set(recorded.flatMap((s) => (s.kind === 'set-sysctl' ? [s.key] : [])))];
}

/** wanbond's per-line tables a record wrote routes into: what `down` must read to decide. */
export function recordedTables(recorded: readonly Step[]): number[] {
  return [...new Set(recorded.flatMap((s) => (s.kind === 'replace-route' && s.route.table !== undefined ? [s.route.table] : [])))];
}

/** Whether a record holds weighted-bond steps, so `down` must read nftables and the rules. */
export const recordsWeighted = (recorded: readonly Step[]): boolean =>
  recorded.some((s) => s.kind === 'nft-table' || s.kind === 'add-rule' || s.kind === 'create-dummy');
