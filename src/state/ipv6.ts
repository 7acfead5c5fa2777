// The IPv6 a bond's lines carry beside the bond. wanbond bonds IPv4 only: IPv6 over a bonded line
// goes by that one line, at its speed, and stays on it when the line fails. Until IPv6 is supported
// the operator is told: doctor (bond.ipv6-unbonded), a line of status, a warning of up. Pure.
import type { DesiredBond, DesiredState, ObservedState, Route6State } from './types.js';

export interface Ipv6Carrier {
  line: string;
  addresses: string[];
  routes: string[];
}

const inBond = (b: DesiredBond): string[] => b.slaves.filter((s) => !s.leaving).map((s) => s.name);

/** Every bond's lines (those leaving apart): whose IPv6 observe reads. */
export const bondedLines = (d: DesiredState): string[] => d.bonds.flatMap(inBond);

// Every interface with IPv6 on has its link-local prefix (fe80::/64): that carries nothing beyond the link.
const linkScoped = (dst: string): boolean => /^(fe[89ab][0-9a-f]?:|ff[0-9a-f]{2}:)/i.test(dst);

export const describeRoute6 = (r: Route6State): string =>
  `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.table && r.table !== 'main' ? ` table ${r.table}` : ''}`;

/** The bond's lines with a global IPv6 address or an IPv6 route over them; [] when IPv6 was not read. */
export function ipv6Carriers(b: DesiredBond, o: ObservedState): Ipv6Carrier[] {
  const v6 = o.ipv6;
  if (!v6) return [];
  return inBond(b).flatMap((line) => {
    const addresses = v6.addrs
      .filter((a) => a.dev === line && a.scope === 'global')
      .map((a) => `${a.local}/${a.prefixlen}`);
    const routes = v6.routes.filter((r) => r.devs.includes(line) && !linkScoped(r.dst)).map(describeRoute6);
    return addresses.length + routes.length > 0 ? [{ line, addresses, routes }] : [];
  });
}

/** What a line carries, in a few words: "address 2001:db8::2/64, route default via fe80::1". */
export const carriesText = (c: Ipv6Carrier): string =>
  [...c.addresses.map((a) => `address ${a}`), ...c.routes.map((r) => `route ${r}`)].join(', ');

export const IPV6_WHY =
  'wanbond bonds IPv4 only: IPv6 over a bonded line is neither bonded nor failed over by wanbond;' +
  ' it goes by that one line at its speed, and stays on it when the line fails';

/** The sysctl that takes IPv6 off a line (its addresses and routes go with it). */
export const disableIpv6Key = (line: string): string => `net.ipv6.conf.${line}.disable_ipv6`;
