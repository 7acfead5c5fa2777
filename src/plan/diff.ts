// (desired, observed) -> the ordered steps that make the kernel match, and nothing else. Pure.
// Order: config, cards, then each kind's planner by phase (src/bonds/kind.ts: PhasedSteps) around
// the bond devices' addresses and link-up, then sysctls. Device restarts (a driver that still runs
// an older configuration than its file) are planned apart, one device each (restartSteps): `up`
// applies each as a transaction of its own.
import type { KindPlanner } from '../bonds/kind.js';
import { KINDS, kindOf } from '../bonds/registry.js';
import { ConfigError, WanbondError } from '../errors.js';
import { parseCidr } from '../net/ipv4.js';
import type { DesiredBond, DesiredState, LinkState, ObservedState } from '../state/types.js';
import { guardSlaveChanges } from './guard.js';
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
          `${b.name}: unknown interface ${s.name}: the kernel has no such link ` +
            `and the wanpipe configuration does not define it`,
          `check the name with \`ip link\`, or remove ${s.name} from the slaves of [${b.name}] in ${d.settingsFile}`,
        );
      }
      throw new WanbondError(
        `${b.name}: slave ${s.name} (${s.where}) is missing although ${s.device} is running`,
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
    if (bond) steps.push(...(kindOf(bond).planner.beforeRestart?.(bond, o, s) ?? []));
  }
  steps.push({ kind: 'restart-device', device: dev.name, slaves: [...dev.slaves] });
  steps.push({ kind: 'wait-links', devs: [...dev.slaves], timeoutMs: d.slaveWaitMs });
  return guardSlaveChanges(steps, o);
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

/** Each planner once, with the bonds of every kind it plans (maybe none: a hold left behind is still released). */
function planners(d: DesiredState): { planner: KindPlanner; bonds: DesiredBond[] }[] {
  const planners = [...new Set(KINDS.map((k) => k.planner))];
  return planners.map((planner) => ({ planner, bonds: d.bonds.filter((b) => kindOf(b).planner === planner) }));
}

export function plan(d: DesiredState, o: ObservedState, opts: PlanOptions = {}): Plan {
  for (const b of d.bonds) {
    if (kindOf(b).ownDevice && !parseCidr(b.address))
      throw new WanbondError(`${b.name}: invalid address ${b.address}`, 'write an IPv4 CIDR such as 10.0.0.0/31');
  }
  const x = { d, o, out: opts.out, keepAdminState: opts.keepAdminState === true };
  if (opts.ringOnly) {
    const parts = planners(d).map((p) => p.planner.ring(p.bonds, x));
    const ringSteps = parts.flatMap((p) => p.lines ?? []);
    ringSteps.push(...parts.flatMap((p) => p.late?.(ringSteps) ?? []));
    ringSteps.push(
      ...sysctlSteps(d, o).filter((s) => s.kind === 'set-sysctl' && !/\.(all|default)\.|ip_forward/.test(s.key)),
    );
    return { version: 1, steps: guardSlaveChanges(ringSteps, o) };
  }
  const parts = planners(d).map((p) => p.planner.plan(p.bonds, x));
  const steps: Step[] = [...wanpipeSteps(d, o, opts), ...parts.flatMap((p) => p.prepare ?? [])];
  steps.push(...parts.flatMap((p) => p.lines ?? []));
  // Every bond's own device (teqlN, or a weighted bond's dummy) gets the bond's address and comes up.
  // A per-connection bond has no device: its uplinks keep the addresses their providers gave them.
  const devices = d.bonds.filter((b) => kindOf(b).ownDevice);
  for (const b of devices) {
    const [addr, len] = b.address.split('/');
    if (!o.addrs.some((a) => a.dev === b.name && a.local === addr && String(a.prefixlen) === len))
      steps.push({ kind: 'add-address', dev: b.name, cidr: b.address, ...(b.gateway ? { prefixRoute: true } : {}) });
  }
  for (const b of devices) if (!isUp(link(o, b.name))) steps.push({ kind: 'set-link-up', dev: b.name });
  steps.push(...parts.flatMap((p) => p.routes ?? []));
  for (const p of parts) steps.push(...(p.late?.(steps) ?? []));
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
  const planned = planners(d).reduce((x, q) => q.planner.planned?.(q.bonds, x) ?? x, o);
  const after: ObservedState = {
    ...planned,
    links: [
      ...planned.links.map((l) =>
        d.bonds.some((b) => b.name === l.name) ? { ...l, flags: [...new Set([...l.flags, 'UP'])] } : l,
      ),
      ...d.bonds
        .filter((b) => !link(o, b.name))
        .map((b) => ({ name: b.name, ifindex: 0, flags: ['UP'], mtu: 1500, operstate: 'UNKNOWN' })),
    ],
  };
  return { version: 1, steps: [...p.steps, ...devices.flatMap((dev) => restartSteps(d, after, dev))] };
}
