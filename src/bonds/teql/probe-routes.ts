// A DSL-router site's probes (issue 12): the watch daemon pings a far address bound to each slave
// (`ping -I eth2`), and a socket bound to a device only finds routes through that device, which
// main has none of beyond the slave's own /30 (its default goes via teqlN). So each slave gets a
// table of its own, `default via <its router> dev <slave>`, and a rule that sends what is bound to
// the slave there (`oif <slave>`). The probe then leaves by that slave's router, and a DSL line
// that dies behind the router (the Ethernet link up) fails that probe alone: proved in the lab
// (docs/SITES-DESIGN.md). The route's `src` is the bond's own address: from the slave's management
// address the probe would never be answered, as no ISP routes those nets back. Pure.
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

const bondsWithGateway = (d: Pick<DesiredState, 'bonds'>): DesiredBond[] =>
  d.bonds.filter((b) => b.kind === 'teql' && b.gateway !== undefined);

/** The probe tables of the desired bonds: what observe reads. */
export const probeTables = (d: Pick<DesiredState, 'bonds'>): number[] =>
  bondsWithGateway(d).flatMap((b) => b.slaves.map((_s, k) => probeTableOf(b.index, k)));

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
export const probeRuleOf = (slave: string, table: number): PolicyRule => ({
  priority: PROBE_RULE_PRIORITY,
  oif: slave,
  table,
});

/**
 * The steps that give each slave of a bond with a gateway its probe table and rule. `comingUp`: slaves
 * the same plan brings up first (a route through a link that is down is refused).
 */
export function probeRouteSteps(d: DesiredState, o: ObservedState, comingUp: ReadonlySet<string> = new Set()): Step[] {
  const steps: Step[] = [];
  const rules = o.policy?.rules ?? [];
  for (const b of bondsWithGateway(d)) {
    for (const [k, s] of b.slaves.entries()) {
      const router = s.router ?? routerOf(s.name, o);
      const link = o.links.find((l) => l.name === s.name);
      // A route via a router on a link that is down, or not there, is refused; it comes with the link.
      if (!router || !link || !(link.flags.includes('UP') || comingUp.has(s.name))) continue;
      const table = probeTableOf(b.index, k);
      const route = probeRouteOf(s.name, router, table, probeSourceOf(b));
      // One without its source (an older wanbond's) is replaced: `ip route replace` takes its place.
      if (!holdsTableRoute(o, route)) steps.push({ kind: 'replace-route', route, was: undefined });
      const rule = probeRuleOf(s.name, table);
      if (!rules.some((h) => sameRule(rule, h))) steps.push({ kind: 'add-rule', rule });
    }
  }
  return steps;
}
