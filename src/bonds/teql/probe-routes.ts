// A DSL-router site's probes (issue 12, issue 22 defect 10): the watch daemon pings a far address
// for each slave, and the probe must leave by that slave's router, while main's only default goes
// via teqlN. So each slave gets a table of its own, `default via <its router> dev <slave> src <the
// bond's address>`, and a rule that sends the slave's probes there. The probe then leaves by that
// router, and a DSL line that dies behind it (the Ethernet link up) fails that probe alone.
// Two facts of a real site shape the rest (docs/SITES-DESIGN.md). The ISP routes back only the
// customer's block, not the routers' management nets: the probe's source is the bond's address.
// And the ISP returns the block by whichever router it likes, so the answer may come in by another
// slave: a ping bound to its slave (SO_BINDTODEVICE) never sees such an answer. So the daemon's
// ping is marked (`ping -m`), not bound, and the rule selects by that mark. A table whose route is
// gone must not let a marked probe fall through to main and teqlN, where any line would answer it:
// each table ends in `unreachable default` at the last metric. Pure.
import { TABLE_BASES, tableIn, tableRange } from '../../net/tables.js';
import { ipv4ToNumber, numberToIpv4, parseCidr } from '../../net/ipv4.js';
import type { Step } from '../../plan/steps.js';
import type { DesiredBond, DesiredState, ObservedState } from '../../state/types.js';
import { holdsTableRoute, sameRule, type PolicyRule } from '../../net/rules.js';

export const PROBE_RULE_PRIORITY = 7765;
/** A slave's probe table: above every weighted bond's table (77620001 .. 77645598). */
export const probeTableOf = (bondIndex: number, lineIndex: number): number =>
  tableIn(TABLE_BASES.probe, bondIndex, lineIndex);
export const PROBE_TABLES = tableRange(TABLE_BASES.probe);
/**
 * A slave's probe mark, numbered as its table: no weighted (0x7762xxxx) or per-connection (0x7763xxxx)
 * rule matches it.
 */
export const PROBE_MARK_BASE = 0x7765_0000;
export const PROBE_MARKS = { value: PROBE_MARK_BASE, mask: 0xffff_0000 };
export const probeMarkOf = (bondIndex: number, lineIndex: number): number =>
  PROBE_MARK_BASE + probeTableOf(bondIndex, lineIndex) - TABLE_BASES.probe;
/** The last metric: the guard is what a probe finds only when its slave's route is not there. */
export const PROBE_GUARD_METRIC = 0xffff_ffff;

const bondsWithGateway = (d: Pick<DesiredState, 'bonds'>): DesiredBond[] =>
  d.bonds.filter((b) => b.kind === 'teql' && b.gateway !== undefined);

/** The probe tables of the desired bonds: what observe reads. */
export const probeTables = (d: Pick<DesiredState, 'bonds'>): number[] =>
  bondsWithGateway(d).flatMap((b) => b.slaves.map((_s, k) => probeTableOf(b.index, k)));

/** The mark of a line's probe when its bond is a DSL-router site's; undefined otherwise (the probe is bound). */
export function probeMarkFor(b: DesiredBond, line: string): number | undefined {
  const k = b.slaves.findIndex((s) => s.name === line);
  return b.kind === 'teql' && b.gateway !== undefined && k >= 0 ? probeMarkOf(b.index, k) : undefined;
}

/**
 * The router beyond a slave: the other host of the slave's point-to-point /30 or /31, as the seed's
 * management nets are laid out. Undefined when the slave has no such address (its probe then needs
 * a route the operator gives).
 */
export function routerOf(slave: string, o: ObservedState): string | undefined {
  const a = o.addrs.find((x) => x.dev === slave && (x.prefixlen === 30 || x.prefixlen === 31));
  if (!a || !parseCidr(`${a.local}/${a.prefixlen}`)) return undefined;
  const n = ipv4ToNumber(a.local);
  if (a.prefixlen === 31) return numberToIpv4(n ^ 1);
  const host = n & 3;
  if (host === 0 || host === 3) return undefined; // the network or broadcast address: not a host's
  return numberToIpv4((n & ~3) + (host === 1 ? 2 : 1));
}

/**
 * The source of a bond's probes: the bond's own address. A slave's address is on its management net to
 * the router, which no ISP routes back, so a probe from it is never answered; the bond's address is the
 * customer's block, which the ISP routes to the routers. Undefined for an address that is not one.
 */
export const probeSourceOf = (b: Pick<DesiredBond, 'address'>): string | undefined => parseCidr(b.address)?.addr;

/** A slave's probe route and rule, as `up` writes them and doctor looks for them. */
export const probeRouteOf = (slave: string, router: string, table: number, src: string | undefined) => ({
  to: 'default',
  dev: slave,
  gateway: router,
  ...(src !== undefined ? { src } : {}),
  table,
});
/** A probe table's last resort: a marked probe whose slave's route is gone fails here, never via teqlN. */
export const probeGuardOf = (table: number) => ({
  to: 'default',
  type: 'unreachable',
  metric: PROBE_GUARD_METRIC,
  table,
});
export const probeRuleOf = (mark: number, table: number): PolicyRule => ({
  priority: PROBE_RULE_PRIORITY,
  fwmark: mark,
  mask: 0xffff_ffff,
  table,
});

/**
 * The steps that give each slave of a bond with a gateway its probe table and rule: the guard first and
 * the rule last, so the rule never selects a table that could let a probe through to main. The guard
 * and the rule need no link and no router: a slave without a known router still gets them, so its
 * probe fails (doctor says why) instead of being answered through teqlN. `comingUp`: slaves the same
 * plan brings up first (a route through a link that is down is refused).
 */
export function probeRouteSteps(d: DesiredState, o: ObservedState, comingUp: ReadonlySet<string> = new Set()): Step[] {
  const steps: Step[] = [];
  const rules = o.policy?.rules ?? [];
  for (const b of bondsWithGateway(d)) {
    for (const [k, s] of b.slaves.entries()) {
      const table = probeTableOf(b.index, k);
      const guard = probeGuardOf(table);
      if (!holdsTableRoute(o, guard)) steps.push({ kind: 'replace-route', route: guard, was: undefined });
      const router = s.router ?? routerOf(s.name, o);
      const link = o.links.find((l) => l.name === s.name);
      // A route via a router on a link that is down, or not there, is refused; it comes with the link.
      if (router && link && (link.flags.includes('UP') || comingUp.has(s.name))) {
        const route = probeRouteOf(s.name, router, table, probeSourceOf(b));
        // One without its source (an older wanbond's) is replaced: `ip route replace` takes its place.
        if (!holdsTableRoute(o, route)) steps.push({ kind: 'replace-route', route, was: undefined });
      }
      const rule = probeRuleOf(probeMarkOf(b.index, k), table);
      if (!rules.some((h) => sameRule(rule, h))) steps.push({ kind: 'add-rule', rule });
    }
  }
  return steps;
}
