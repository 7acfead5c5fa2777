// (desired, observed) -> the ordered steps that make the kernel match, and nothing else. Pure.
// Order: config, cards, module, a hold left behind, slave MTUs, slaves, bond MTU, address, link,
// routes, sysctls. Device restarts (a driver that still runs an older configuration than its file)
// are planned apart, one device each (restartSteps): `up` applies each as a transaction of its own.
import { kindOf } from '../bonds/registry.js';
import { probeRouteSteps } from '../bonds/teql/probe-routes.js';
import { ConfigError, StateError, WanbondError } from '../errors.js';
import { networkOf, parseCidr } from '../net/ipv4.js';
import type { DesiredBond, DesiredState, LinkState, ObservedState } from '../state/types.js';
import { guardSlaveChanges } from './guard.js';
import { leftoverReleases } from './teardown.js';
import { linesDown, weightedSteps } from '../bonds/weighted/plan.js';
import type { Plan, Step } from './steps.js';

export interface PlanOptions {
  /** Every device wanrouter.rc starts; `wanrouter start` (all) is used when exactly these need starting. */
  siteDevices?: string[];
  /** After the wait for slaves: missing slaves are an error, not something a start will create. */
  afterWait?: boolean;
  /** Slaves the watch daemon has taken out of their bond's ring: detached if attached, never attached. */
  out?: ReadonlySet<string>;
  /** The watch daemon never changes a line's admin state: a plain slave that is down stays down. */
  keepAdminState?: boolean;
  /**
   * Slaves only (MTU, membership, their rp_filter): what the daemon changes as lines fail and return, from a
   * lean observation.
   */
  ringOnly?: boolean;
}

export function sysctlKeys(d: DesiredState): string[] {
  const keys = ['net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter'];
  for (const b of d.bonds) for (const s of b.slaves) keys.push(`net.ipv4.conf.${s.name}.rp_filter`);
  return keys;
}

const link = (o: ObservedState, name: string): LinkState | undefined => o.links.find((l) => l.name === name);
const isUp = (l: LinkState | undefined) => l?.flags.includes('UP') === true;

function wanpipeSteps(d: DesiredState, o: ObservedState, opts: PlanOptions): Step[] {
  const steps: Step[] = [];
  if (d.configFix.length > 0) steps.push({ kind: 'fix-config', ifaces: [...d.configFix] });
  const running = new Set((o.wanrouterDevices ?? []).map((x) => x.name));
  const toStart = d.wanpipeDevices.filter((dev) => !running.has(dev.name) && dev.slaves.some((s) => !link(o, s)));
  if (toStart.length > 0 && !opts.afterWait) {
    const site = opts.siteDevices ?? [];
    const all =
      running.size === 0 &&
      site.length > 0 &&
      site.length === toStart.length &&
      site.every((n) => toStart.some((t) => t.name === n));
    if (all) steps.push({ kind: 'wanrouter-start', device: 'all' });
    else for (const dev of toStart) steps.push({ kind: 'wanrouter-start', device: dev.name });
    steps.push({
      kind: 'wait-links',
      devs: toStart.flatMap((x) => x.slaves.filter((s) => !link(o, s))),
      timeoutMs: d.slaveWaitMs,
    });
  }
  const starting = new Set(toStart.flatMap((x) => x.slaves));
  for (const b of d.bonds) {
    for (const s of b.slaves) {
      if (link(o, s.name) || (starting.has(s.name) && !opts.afterWait)) continue;
      const [file = d.settingsFile, line = '0'] = s.where.split(/:(?=\d+$)/);
      if (s.device === undefined) {
        throw new ConfigError(
          file,
          Number(line),
          `${b.teql}: unknown interface ${s.name}: the kernel has no such link ` +
            `and the wanpipe configuration does not define it`,
          `check the name with \`ip link\`, or remove ${s.name} from the slaves of [${b.teql}] in ${d.settingsFile}`,
        );
      }
      throw new WanbondError(
        `${b.teql}: slave ${s.name} (${s.where}) is missing although ${s.device} is running`,
        `see /var/log/wanrouter; restart the device: wanrouter restart ${s.device}`,
      );
    }
  }
  return steps;
}

/**
 * Running devices whose driver will run an older configuration than its file: already so, or made so by this
 * plan's fix.
 */
export function devicesToRestart(d: DesiredState, o: ObservedState): string[] {
  const running = new Set((o.wanrouterDevices ?? []).map((x) => x.name));
  const byFix = d.wanpipeDevices
    .filter((dev) => running.has(dev.name) && dev.slaves.some((s) => d.configFix.includes(s)))
    .map((x) => x.name);
  const stale = o.staleDrivers
    .map((x) => x.device)
    .filter((n) => running.has(n) && d.wanpipeDevices.some((dev) => dev.name === n));
  return [...new Set([...stale, ...byFix])].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * One device's restart: its lines out of the bond first (deleting an interface that is still a slave
 * would change the ring unguarded), the restart, the wait for its interfaces. What follows (the lines
 * back in, their MTU and rp_filter) is planned from the kernel once they are there.
 */
export function restartSteps(d: DesiredState, o: ObservedState, device: string): Step[] {
  const dev = d.wanpipeDevices.find((x) => x.name === device);
  if (!dev) return [];
  const steps: Step[] = [];
  for (const s of dev.slaves) {
    const bond = d.bonds.find((b) => b.slaves.some((x) => x.name === s));
    if (bond && o.qdiscs.some((q) => q.dev === s && q.root && q.kind === bond.teql))
      steps.push({ kind: 'detach-slave', dev: s, teql: bond.teql });
  }
  steps.push({ kind: 'restart-device', device: dev.name, slaves: [...dev.slaves] });
  steps.push({ kind: 'wait-links', devs: [...dev.slaves], timeoutMs: d.slaveWaitMs });
  return guardSlaveChanges(steps, o);
}

function moduleSteps(d: DesiredState, o: ObservedState): Step[] {
  const teqls = d.bonds.filter((b) => kindOf(b).needsTeql);
  if (teqls.length === 0) return [];
  if (!o.teql.loaded) return [{ kind: 'load-module', maxEqualizers: d.maxEqualizers }];
  const missing = teqls.filter((b) => !link(o, b.teql));
  if (missing.length > 0) {
    const have = o.links.filter((l) => /^teql\d+$/.test(l.name)).map((l) => l.name);
    const what =
      `${missing.map((b) => b.teql).join(', ')} ${missing.length > 1 ? 'are' : 'is'} needed, ` +
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
      if (root?.kind === b.teql) attach.push({ kind: 'detach-slave', dev: s.name, teql: b.teql });
      continue;
    }
    if (root?.kind === b.teql) continue;
    if (root && /^teql\d+$/.test(root.kind)) {
      throw new StateError(
        `${b.teql}: ${s.name} is already a slave of ${root.kind}`,
        `list ${s.name} in one bond only, or release it: tc qdisc del dev ${s.name} root`,
      );
    }
    if (root && root.handle !== '0:' && root.handle !== '') {
      throw new StateError(
        `${b.teql}: ${s.name} has a root qdisc ${root.kind} ${root.handle} that wanbond did not set`,
        `remove it if it is not needed (tc qdisc del dev ${s.name} root), or leave ${s.name} out of the bond`,
      );
    }
    attach.push({ kind: 'attach-slave', dev: s.name, teql: b.teql });
    if (!keepAdminState && s.device === undefined && l && !isUp(l)) up.push({ kind: 'set-link-up', dev: s.name });
  }
  const t = link(o, b.teql);
  // An up teql rejects a slave whose MTU is below its own, so lower it first; a down one follows its slaves.
  if (t && target !== undefined && t.mtu !== target && (b.mtu !== undefined || isUp(t))) {
    teqlMtu.push({ kind: 'set-mtu', dev: b.teql, mtu: target, was: t.mtu });
  }
  return { mtu, attach, teqlMtu, up };
}

function routeSteps(b: DesiredBond, o: ObservedState, settingsFile: string): { del: Step[]; routes: Step[] } {
  const del: Step[] = [];
  const net = networkOf(b.address);
  // A fake address's route is deleted; a real one's (a bond with a gateway) is what reaches the gateway.
  for (const r of o.routes.filter((x) => !b.gateway && x.dst === net && x.dev === b.teql)) {
    del.push({ kind: 'del-route', route: { to: r.dst, dev: b.teql, protocol: r.protocol, metric: r.metric } });
  }
  const routes: Step[] = [];
  for (const want of b.routes) {
    const ours = o.routes.find(
      (r) => r.dst === want.to && r.dev === b.teql && r.gateway === b.gateway && (r.metric ?? 0) === 0,
    );
    if (ours) continue;
    // `ip route replace` takes the place of any route to the same destination and metric, whatever its type.
    const clash = o.routes.find((r) => r.dst === want.to && (r.metric ?? 0) === 0);
    if (clash && !clash.spec) {
      throw new StateError(
        `${b.teql}: the route ${want.to} there now cannot be saved ` +
          `to give it back at \`down\`: ${clash.unrestorable ?? 'unknown form'}`,
        `note it (ip -d route show ${want.to}), ` +
          `then remove it so wanbond can take over (ip route del ${want.to}), ` +
          `or set 'routes = none' in [${b.teql}] of ${settingsFile}`,
      );
    }
    routes.push({
      kind: 'replace-route',
      route: { to: want.to, dev: b.teql, ...(b.gateway ? { gateway: b.gateway } : {}) },
      was: clash?.spec,
    });
  }
  return { del, routes };
}

function sysctlSteps(d: DesiredState, o: ObservedState): Step[] {
  const steps: Step[] = [];
  const want = new Map<string, string>();
  want.set('net.ipv4.ip_forward', '1');
  // The kernel applies max(all, interface): rp_filter 0 on a slave only holds with all = 0.
  if (d.bonds.some((b) => b.rpFilter === 0)) want.set('net.ipv4.conf.all.rp_filter', '0');
  for (const b of d.bonds)
    for (const s of b.slaves) if (!s.leaving) want.set(`net.ipv4.conf.${s.name}.rp_filter`, String(b.rpFilter));
  const dflt = o.sysctls['net.ipv4.conf.default.rp_filter'] ?? '0';
  for (const [key, value] of want) {
    const was = o.sysctls[key] ?? dflt; // a slave not created yet starts from conf.default
    if (was !== value) steps.push({ kind: 'set-sysctl', key, value, was });
  }
  return steps;
}

export function plan(d: DesiredState, o: ObservedState, opts: PlanOptions = {}): Plan {
  for (const b of d.bonds) {
    if (kindOf(b).ownDevice && !parseCidr(b.address))
      throw new WanbondError(`${b.teql}: invalid address ${b.address}`, 'write an IPv4 CIDR such as 10.0.0.0/31');
  }
  const teqls = d.bonds.filter((b) => kindOf(b).needsTeql);
  if (opts.ringOnly) {
    const links = teqls.map((b) => bondLinkSteps(b, o, opts.out ?? new Set(), true));
    // A weighted bond's ring is its draw (one nft transaction) and its routes: main's multipath, and a
    // line's own table, which the kernel emptied when the line went down and which must be back before it is
    // drawn again.
    // A table that is gone or not as wanbond wrote it (a firewall reload) is written whole, with the ring's draws.
    const ringKinds = new Set<Step['kind']>(['nft-stripe', 'nft-table', 'replace-route', 'conntrack-flush']);
    const weightedRing = d.bonds.some((b) => kindOf(b).drawnByNft)
      ? weightedSteps(d, o, opts.out ?? new Set(), true).after.filter((s) => ringKinds.has(s.kind))
      : [];
    // A slave back up lost its probe route with the link: it comes back with the slave.
    const probeRing = o.weighted ? probeRouteSteps(d, o) : [];
    const ringSteps = [
      ...leftoverReleases(o),
      ...links.flatMap((l) => l.mtu),
      ...links.flatMap((l) => l.teqlMtu),
      ...links.flatMap((l) => l.attach),
      ...weightedRing,
      ...probeRing,
      ...sysctlSteps(d, o).filter((s) => s.kind === 'set-sysctl' && !/\.(all|default)\.|ip_forward/.test(s.key)),
    ];
    return { version: 1, steps: guardSlaveChanges(ringSteps, o) };
  }
  // `up` (no daemon's view of the lines) leaves a line that is down out of the draw from the start.
  const weighted = weightedSteps(d, o, opts.out ?? linesDown(d, o), opts.keepAdminState === true);
  const steps: Step[] = [...wanpipeSteps(d, o, opts), ...moduleSteps(d, o), ...leftoverReleases(o), ...weighted.before];
  const parts = teqls.map((b) => ({
    b,
    links: bondLinkSteps(b, o, opts.out ?? new Set(), opts.keepAdminState === true),
    routes: routeSteps(b, o, d.settingsFile),
  }));
  for (const p of parts) steps.push(...p.links.mtu);
  for (const p of parts) steps.push(...p.links.teqlMtu);
  for (const p of parts) steps.push(...p.links.attach);
  for (const p of parts) steps.push(...p.links.up);
  // Every bond's device (teqlN, or a weighted bond's dummy) gets the bond's address and comes up.
  // A per-connection bond has no device: its uplinks keep the addresses their providers gave them.
  const devices = d.bonds.filter((b) => kindOf(b).ownDevice);
  for (const b of devices) {
    const [addr, len] = b.address.split('/');
    if (!o.addrs.some((a) => a.dev === b.teql && a.local === addr && String(a.prefixlen) === len))
      steps.push({ kind: 'add-address', dev: b.teql, cidr: b.address, ...(b.gateway ? { prefixRoute: true } : {}) });
  }
  for (const b of devices) if (!isUp(link(o, b.teql))) steps.push({ kind: 'set-link-up', dev: b.teql });
  for (const p of parts) steps.push(...p.routes.del);
  for (const p of parts) steps.push(...p.routes.routes);
  steps.push(...weighted.after);
  // A DSL-router site's per-slave probe routes (read with the rules and tables; a lean read has none).
  if (o.weighted)
    steps.push(...probeRouteSteps(d, o, new Set(steps.flatMap((s) => (s.kind === 'set-link-up' ? [s.dev] : [])))));
  steps.push(...sysctlSteps(d, o));
  return { version: 1, steps: guardSlaveChanges(steps, o) };
}

/**
 * What `plan` and `up --dry-run` show: the plan, then each device restart `up` will run after it
 * (restarts: false leaves them out). The restarts are shown as they would run once the plan is done:
 * the bonds up with their lines attached.
 */
export function planForDisplay(
  d: DesiredState,
  o: ObservedState,
  opts: PlanOptions & { restarts?: boolean } = {},
): Plan {
  const p = plan(d, o, opts);
  if (opts.restarts === false) return p;
  const devices = devicesToRestart(d, o);
  if (devices.length === 0) return p;
  const attached = d.bonds
    .filter((b) => kindOf(b).needsTeql)
    .flatMap((b) => b.slaves.map((s) => ({ dev: s.name, kind: b.teql, handle: '8001:', root: true })));
  const after: ObservedState = {
    ...o,
    qdiscs: [...o.qdiscs.filter((q) => !attached.some((a) => a.dev === q.dev)), ...attached],
    links: [
      ...o.links.map((l) =>
        d.bonds.some((b) => b.teql === l.name) ? { ...l, flags: [...new Set([...l.flags, 'UP'])] } : l,
      ),
      ...d.bonds
        .filter((b) => !link(o, b.teql))
        .map((b) => ({ name: b.teql, ifindex: 0, flags: ['UP'], mtu: 1500, operstate: 'UNKNOWN' })),
    ],
  };
  return { version: 1, steps: [...p.steps, ...devices.flatMap((dev) => restartSteps(d, after, dev))] };
}
