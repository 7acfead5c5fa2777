// How TEQL bonds are planned: sch_teql loaded with enough equalizers, each slave's MTU and its
// root qdisc (the attach), the bond's own MTU, its routes in main, and at a DSL-router site each
// slave's probe route. The bond's address and link-up are the engine's, as for every kind with a
// device of its own. Pure.
import { StateError } from '../../errors.js';
import { networkOf } from '../../net/ipv4.js';
import type { Step } from '../../plan/steps.js';
import { enslaved } from './enslaved.js';
import { leftoverReleases } from './undo.js';
import type { DesiredBond, DesiredState, LinkState, ObservedState } from '../../state/types.js';
import type { KindPlanner } from '../kind.js';
import { probeRouteSteps } from './probe-routes.js';

const link = (o: ObservedState, name: string): LinkState | undefined => o.links.find((l) => l.name === name);
const isUp = (l: LinkState | undefined) => l?.flags.includes('UP') === true;

function moduleSteps(teqls: readonly DesiredBond[], d: DesiredState, o: ObservedState): Step[] {
  if (teqls.length === 0) return [];
  if (!o.teql.loaded) return [{ kind: 'load-module', maxEqualizers: d.maxEqualizers }];
  const missing = teqls.filter((b) => !link(o, b.name));
  if (missing.length > 0) {
    const have = o.links.filter((l) => /^teql\d+$/.test(l.name)).map((l) => l.name);
    const what =
      `${missing.map((b) => b.name).join(', ')} ${missing.length > 1 ? 'are' : 'is'} needed, ` +
      `this namespace has ${have.length > 0 ? have.join(', ') : 'none'}`;
    if (o.teql.builtin) {
      throw new StateError(
        `sch_teql is built into this kernel with too few equalizers: ${what}; ` +
          `a built-in TEQL takes max_equalizers from the kernel command line`,
        `add sch_teql.max_equalizers=${d.maxEqualizers} to the kernel command line ` +
          `(GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot`,
      );
    }
    throw new StateError(
      `sch_teql is loaded with too few equalizers: ${what}; max_equalizers is fixed when the module loads`,
      `take down whatever uses TEQL (wanbond down), then: ` +
        `modprobe -r sch_teql && modprobe sch_teql max_equalizers=${d.maxEqualizers}; ` +
        `to make it permanent: ` +
        `echo 'options sch_teql max_equalizers=${d.maxEqualizers}' > /etc/modprobe.d/wanbond.conf`,
    );
  }
  return [];
}

function slaveTarget(b: DesiredBond, o: ObservedState): number | undefined {
  if (b.mtu !== undefined) return b.mtu;
  const mtus = b.slaves
    .filter((s) => !s.leaving)
    .map((s) => link(o, s.name)?.mtu)
    .filter((m): m is number => m !== undefined);
  return mtus.length > 0 ? Math.min(...mtus) : undefined;
}

function bondLinkSteps(
  b: DesiredBond,
  o: ObservedState,
  out: ReadonlySet<string>,
  keepAdminState: boolean,
): { mtu: Step[]; attach: Step[]; teqlMtu: Step[]; up: Step[] } {
  const mtu: Step[] = [],
    attach: Step[] = [],
    teqlMtu: Step[] = [],
    up: Step[] = [];
  const target = slaveTarget(b, o);
  for (const s of b.slaves) {
    const l = link(o, s.name);
    if (l && target !== undefined && l.mtu !== target && !s.leaving)
      mtu.push({ kind: 'set-mtu', dev: s.name, mtu: target, was: l.mtu });
    const root = o.qdiscs.find((q) => q.dev === s.name && q.root);
    if (out.has(s.name) || s.leaving) {
      if (root?.kind === b.name) attach.push({ kind: 'detach-slave', dev: s.name, teql: b.name });
      // Held out for its health, it is still `up`'s to bring up (a plain slave someone set down): the daemon
      // never changes admin state, and a line left down would never show it works again.
      if (!s.leaving && !keepAdminState && s.device === undefined && l && !isUp(l))
        up.push({ kind: 'set-link-up', dev: s.name });
      continue;
    }
    if (root?.kind === b.name) continue;
    if (root && /^teql\d+$/.test(root.kind)) {
      throw new StateError(
        `${b.name}: ${s.name} is already a slave of ${root.kind}`,
        `list ${s.name} in one bond only, or release it: tc qdisc del dev ${s.name} root`,
      );
    }
    if (root && root.handle !== '0:' && root.handle !== '') {
      throw new StateError(
        `${b.name}: ${s.name} has a root qdisc ${root.kind} ${root.handle} that wanbond did not set`,
        `remove it if it is not needed (tc qdisc del dev ${s.name} root), or leave ${s.name} out of the bond`,
      );
    }
    attach.push({ kind: 'attach-slave', dev: s.name, teql: b.name });
    if (!keepAdminState && s.device === undefined && l && !isUp(l)) up.push({ kind: 'set-link-up', dev: s.name });
  }
  const t = link(o, b.name);
  // An up teql rejects a slave whose MTU is below its own, so lower it first; a down one follows its slaves.
  if (t && target !== undefined && t.mtu !== target && (b.mtu !== undefined || isUp(t))) {
    teqlMtu.push({ kind: 'set-mtu', dev: b.name, mtu: target, was: t.mtu });
  }
  return { mtu, attach, teqlMtu, up };
}

function routeSteps(b: DesiredBond, o: ObservedState, settingsFile: string): { del: Step[]; routes: Step[] } {
  const del: Step[] = [];
  const net = networkOf(b.address);
  // A fake address's route is deleted; a real one's (a bond with a gateway) is what reaches the gateway.
  for (const r of o.routes.filter((x) => !b.gateway && x.dst === net && x.dev === b.name)) {
    del.push({ kind: 'del-route', route: { to: r.dst, dev: b.name, protocol: r.protocol, metric: r.metric } });
  }
  const routes: Step[] = [];
  for (const want of b.routes) {
    const ours = o.routes.find(
      (r) => r.dst === want.to && r.dev === b.name && r.gateway === b.gateway && (r.metric ?? 0) === 0,
    );
    if (ours) continue;
    // `ip route replace` takes the place of any route to the same destination and metric, whatever its type.
    const clash = o.routes.find((r) => r.dst === want.to && (r.metric ?? 0) === 0);
    if (clash && !clash.spec) {
      throw new StateError(
        `${b.name}: the route ${want.to} there now cannot be saved ` +
          `to give it back at \`down\`: ${clash.unrestorable ?? 'unknown form'}`,
        `note it (ip -d route show ${want.to}), ` +
          `then remove it so wanbond can take over (ip route del ${want.to}), ` +
          `or set 'routes = none' in [${b.name}] of ${settingsFile}`,
      );
    }
    routes.push({
      kind: 'replace-route',
      route: { to: want.to, dev: b.name, ...(b.gateway ? { gateway: b.gateway } : {}) },
      was: clash?.spec,
    });
  }
  return { del, routes };
}

export const teqlPlanner: KindPlanner = {
  plan(bonds, x) {
    const out = x.out ?? new Set<string>();
    const parts = bonds.map((b) => ({
      links: bondLinkSteps(b, x.o, out, x.keepAdminState),
      routes: routeSteps(b, x.o, x.d.settingsFile),
    }));
    const d = { ...x.d, bonds: [...bonds] };
    return {
      prepare: [...moduleSteps(bonds, x.d, x.o), ...leftoverReleases(x.o)],
      lines: [
        ...parts.flatMap((p) => p.links.mtu),
        ...parts.flatMap((p) => p.links.teqlMtu),
        ...parts.flatMap((p) => p.links.attach),
        ...parts.flatMap((p) => p.links.up),
      ],
      routes: [...parts.flatMap((p) => p.routes.del), ...parts.flatMap((p) => p.routes.routes)],
      // A DSL-router site's per-slave probe routes (read with the rules and tables; a lean read has none),
      // through slaves up now or brought up before.
      late: (before) =>
        x.o.policy
          ? probeRouteSteps(d, x.o, new Set(before.flatMap((s) => (s.kind === 'set-link-up' ? [s.dev] : []))))
          : [],
    };
  },
  // plan/steps.ts: the hold is an `add`, the detach names the bond and the release the hold's handle.
  refusesStale: (s) => s.kind === 'detach-slave' || s.kind === 'hold-bond' || s.kind === 'release-bond',
  // The read decided whether the bond can be held (its root qdisc, sch_plug, teqlN up): a detach planned without
  // the hold may be the read's mistake (a qdisc someone set on teqlN, removed since), and would run unguarded.
  cachePlanSafe(steps) {
    const held = new Set<string>();
    for (const s of steps) {
      if (s.kind === 'hold-bond') held.add(s.teql);
      if (s.kind === 'release-bond') held.delete(s.teql);
      if (s.kind === 'detach-slave' && !held.has(s.teql)) return false;
    }
    return true;
  },
  // Deleting an interface that is still a slave would change the ring unguarded.
  beforeRestart: (b, o, line) => (enslaved(o, line, b.name) ? [{ kind: 'detach-slave', dev: line, teql: b.name }] : []),
  planned(bonds, o) {
    const attached = bonds.flatMap((b) =>
      b.slaves.map((s) => ({ dev: s.name, kind: b.name, handle: '8001:', root: true })),
    );
    return { ...o, qdiscs: [...o.qdiscs.filter((q) => !attached.some((a) => a.dev === q.dev)), ...attached] };
  },
  ring(bonds, x) {
    const links = bonds.map((b) => bondLinkSteps(b, x.o, x.out ?? new Set(), true));
    const d = { ...x.d, bonds: [...bonds] };
    return {
      lines: [
        ...leftoverReleases(x.o),
        ...links.flatMap((l) => l.mtu),
        ...links.flatMap((l) => l.teqlMtu),
        ...links.flatMap((l) => l.attach),
      ],
      // A slave back up lost its probe route with the link: it comes back with the slave.
      late: () => (x.o.policy ? probeRouteSteps(d, x.o) : []),
    };
  },
};
