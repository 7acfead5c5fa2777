// The routing side of a per-connection bond (issue 12): NATed uplinks to different providers, where
// per-packet balancing would break every connection (each provider drops the other's source address).
// nftables draws each NEW connection from the LAN an uplink's mark into the connection's mark and
// gives later packets the mark back (weighted/ruleset.ts chainRules); here, per uplink K, in three
// groups as the weighted bonds have them (policy.ts), so that the longest prefix still wins:
//   table T_K:  <each of the bond's routes> via <K's gateway> dev <K>
//   7766  fwmark M_K / from <K's address> lookup T_K suppress_prefixlength 0   the bond's prefixes by K
//   7767  fwmark <any pc mark> / from <K's address> lookup main suppress_prefixlength 0
//                                                       the router's own networks (its replies to the LAN)
//   7768  fwmark M_K / from <K's address> / oif K lookup T_K     the bond's default by K
// `from` sends the replies of the router's own connections out by the uplink they came in on; `oif`
// keeps an uplink's probe (a ping bound to it) routed while the ring has it out of main's route:
// without it the uplink was never seen to come back (found in the lab).
// Main gets the bond's routes as a weighted multipath via the gateways: the router's own connections
// go by it, packets are drawn only where main already routes over an uplink (`fib daddr oifname`),
// and de-NATed replies pass loose rp_filter (without a route back in main, seen in the lab, they do
// not). Pure.
import { TABLE_BASES, tableIn, tableRange } from '../../net/tables.js';
import type { RouteSpec } from '../../plan/route.js';
import type { Step } from '../../plan/steps.js';
import type { PolicyRule } from '../../net/rules.js';
import { holdsTableRoute, missingRules } from '../../net/rules.js';
import { PC_MARK_BASE, pcMarkOf } from '../weighted/ruleset.js';
import type { DesiredBond, DesiredState, ObservedState } from '../../state/types.js';

export const PC_RULE_PRIORITY = 7766;
/** The last of the three groups' priorities. */
export const PC_RULE_LAST = PC_RULE_PRIORITY + 2;
export const PC_MARK_MASK = 0xffff_0000;
/**
 * Uplink k of bond b's table: above the weighted bonds' (77620001..77645598) and the probe tables
 * (77650001..77675598).
 */
export const pcTableOf = (bondIndex: number, lineIndex: number): number =>
  tableIn(TABLE_BASES.perConnection, bondIndex, lineIndex);
export const PC_TABLES = tableRange(TABLE_BASES.perConnection);

export const isPerConnection = (b: DesiredBond): boolean => b.kind === 'per-connection';

/**
 * A per-connection bond has no device: `status` shows it up when wanbond's table has its chain. Whether
 * the daemon keeps it is the record's answer (watch/ring.ts): a firewall reload takes the chain, not the bond.
 */
export const pcBondUp = (b: DesiredBond, o: ObservedState): boolean => o.policy?.nft?.chains[b.name] !== undefined;

/** The uplinks' tables of the desired per-connection bonds: what observe reads. */
export const pcTables = (d: Pick<DesiredState, 'bonds'>): number[] =>
  d.bonds.filter(isPerConnection).flatMap((b) => (b.uplinks ?? []).map((_u, k) => pcTableOf(b.index, k)));

/**
 * The router's own replies from an uplink's address: main's routes longer than the bond's longest
 * prefix first, before the uplink's table at 7766 could take them (`routes = 10.0.0.0/8` with a
 * 10.1.0.0/24 LAN: the LAN wins, as for a bond of default routes, where 7766 suppresses the default).
 * Only for a bond with prefixes; at 7765, below the rules a running bond already has (a new rule goes
 * after older ones of its priority), beside the DSL probe rules, which select by device.
 */
export const PC_LAN_PRIORITY = PC_RULE_PRIORITY - 1;
function lanFirstRules(b: DesiredBond): PolicyRule[] {
  const longest = Math.max(0, ...b.routes.filter((r) => r.to !== 'default').map((r) => Number(r.to.split('/')[1])));
  if (longest === 0) return [];
  return (b.uplinks ?? []).map((u) => ({
    priority: PC_LAN_PRIORITY,
    from: u.address,
    table: 'main' as const,
    suppressPrefixlength: longest,
  }));
}

export function pcPolicyRules(bonds: readonly DesiredBond[]): PolicyRule[] {
  const ups = bonds.flatMap((b) =>
    (b.uplinks ?? []).map((u, k) => ({ u, mark: pcMarkOf(b.index, k), table: pcTableOf(b.index, k) })),
  );
  if (ups.length === 0) return [];
  const p = PC_RULE_PRIORITY;
  const byUplink = (priority: number, suppress: boolean): PolicyRule[] =>
    ups.flatMap((x) => [
      { priority, fwmark: x.mark, mask: 0xffffffff, table: x.table, ...(suppress ? { suppressPrefixlength: 0 } : {}) },
      { priority, from: x.u.address, table: x.table, ...(suppress ? { suppressPrefixlength: 0 } : {}) },
    ]);
  return [
    ...bonds.flatMap(lanFirstRules),
    ...byUplink(p, true),
    { priority: p + 1, fwmark: PC_MARK_BASE, mask: PC_MARK_MASK, table: 'main', suppressPrefixlength: 0 },
    ...ups.map((x): PolicyRule => ({ priority: p + 1, from: x.u.address, table: 'main', suppressPrefixlength: 0 })),
    ...byUplink(p + 2, false),
    ...ups.map((x): PolicyRule => ({ priority: p + 2, oif: x.u.name, table: x.table })),
  ];
}

/** Main's route of a per-connection bond over the uplinks that can carry it (one: a plain route via its gateway). */
export function pcMainRoute(b: DesiredBond, to: string, usable: (name: string) => boolean): RouteSpec | undefined {
  const ups = (b.uplinks ?? []).filter((u) => usable(u.name));
  // The settings' weights: under balance = load the daemon redraws new connections, not this route.
  const w = (name: string) => b.uplinks?.find((x) => x.name === name)?.weight ?? 1;
  if (ups.length === 0) return undefined;
  if (ups.length === 1)
    return { to, gateway: (ups[0] as { gateway: string }).gateway, dev: (ups[0] as { name: string }).name };
  return { to, nexthops: ups.map((u) => ({ gateway: u.gateway, dev: u.name, weight: w(u.name) })) };
}

/** An uplink that is up without the address its bond SNATs to (a DHCP renew, a PPPoE reconnect gave it another). */
export interface HeldUplink {
  bond: string;
  name: string;
  address: string;
  gateway: string;
  has: string[];
}

/**
 * The uplinks held out of their bond's draw and of main's route: SNAT to an address the uplink does
 * not hold black-holes every connection drawn for it, while its probe (from its real address) still
 * answers. One uplink's address is its own problem: the other uplinks and bonds go on as usual, and
 * it rejoins when it holds the address again (or the settings give it the new one).
 */
export function heldUplinks(bonds: readonly DesiredBond[], o: ObservedState): HeldUplink[] {
  return bonds.filter(isPerConnection).flatMap((b) =>
    (b.uplinks ?? []).flatMap((u) => {
      const up = o.links.find((l) => l.name === u.name)?.flags.includes('UP') === true;
      if (!up || o.addrs.some((a) => a.dev === u.name && a.local === u.address)) return [];
      const has = o.addrs.filter((a) => a.dev === u.name).map((a) => `${a.local}/${a.prefixlen}`);
      return [{ bond: b.name, name: u.name, address: u.address, gateway: u.gateway, has }];
    }),
  );
}

/** What a held uplink is, why it is held and its fix, as `up`, the daemon, status and doctor say it. */
export function heldText(h: HeldUplink, settingsFile: string): { what: string; why: string; hint: string } {
  const now = h.has[0]?.split('/')[0];
  return {
    what:
      `${h.bond}: ${h.name} does not hold ${h.address} (it has ${h.has.join(', ') || 'no IPv4 address'}): ` +
      "held out of the draw and of main's route",
    why:
      `its connections would be SNATed to ${h.address}, which its provider does not route back ` +
      '(a DHCP renew or a PPPoE reconnect gave it another address); the other uplinks carry the new connections',
    hint:
      `if its provider gave it a new address for good, write it in [${h.bond}] of ${settingsFile}: ` +
      `uplink.${h.name} = ${now ?? '<its address>'} via ${h.gateway} ... (the gateway too, if it changed), ` +
      `then run wanbond up; once ${h.name} holds ${h.address} again, ` +
      'the watch daemon (or the next wanbond up) draws it again',
  };
}

/**
 * Each uplink's table routes (an uplink that is down, out or held gets none: the kernel removed it
 * with the link, refuses a route through a down device, and may refuse the gateway from an address
 * that changed) and the rules. Main's route is weightedSteps' (planned with the weighted bonds' in
 * one place, with the same care for a route it replaces).
 */
export function pcTableSteps(bonds: readonly DesiredBond[], o: ObservedState, skip: (name: string) => boolean): Step[] {
  const w = o.policy;
  if (!w) return [];
  const steps: Step[] = [];
  for (const b of bonds) {
    for (const [k, u] of (b.uplinks ?? []).entries()) {
      if (skip(u.name)) continue;
      const table = pcTableOf(b.index, k);
      for (const r of b.routes) {
        const route = { to: r.to, gateway: u.gateway, dev: u.name, table };
        if (!holdsTableRoute(o, route)) steps.push({ kind: 'replace-route', route, was: undefined });
      }
    }
  }
  for (const rule of missingRules(pcPolicyRules(bonds), w.rules)) steps.push({ kind: 'add-rule', rule });
  return steps;
}
