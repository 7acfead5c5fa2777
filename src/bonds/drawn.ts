// What the kinds drawn by wanbond's nftables table (weighted, per-connection) share when they are
// read back: a line is in its bond when the bond's draw holds the line's mark, and the bond's routes
// are main's routes over its lines. Pure.
import type { DesiredBond, ObservedState } from '../state/types.js';
import type { Membership } from './kind.js';

/** A line's place in its bond's draw; `markOf` gives the mark of the bond's k-th line. */
export function drawMembership(
  b: DesiredBond,
  o: ObservedState,
  line: string,
  markOf: (k: number) => number,
): Membership {
  const drawn = o.policy?.nft?.draws[b.name] ?? [];
  const k = (b.weights ?? []).findIndex((w) => w.name === line);
  if (k < 0) return { in: false, draw: null };
  const mark = markOf(k);
  return {
    in: drawn.includes(mark),
    draw: drawn.length === 0 ? null : drawn.filter((m) => m === mark).length / drawn.length,
  };
}

/** Main routes `to` over one of the bond's lines (one device, or a nexthop of a multipath). */
export const routedOverLines = (b: DesiredBond, o: ObservedState, to: string): boolean =>
  o.routes.some(
    (x) =>
      x.dst === to &&
      [x.spec?.dev, ...(x.spec?.nexthops ?? []).map((n) => n.dev)].some((dev) => b.slaves.some((s) => s.name === dev)),
  );

/** A bond whose own device (a dummy) holds its address. */
export const deviceAddressPresent = (b: DesiredBond, o: ObservedState): boolean => {
  const [local, len] = b.address.split('/');
  return o.addrs.some((a) => a.dev === b.name && a.local === local && String(a.prefixlen) === len);
};

export const NOT_RECORDED = "not in wanbond's record of this boot (`wanbond down` ran, or `up` never made it)";

/** A bond with a device of its own: there when the device is, up when it is up. */
export function devicePresence(b: DesiredBond, o: ObservedState): { present: boolean; up: boolean; why: string } {
  const l = o.links.find((x) => x.name === b.name);
  return {
    present: l !== undefined,
    up: l?.flags.includes('UP') === true,
    why: l ? `${b.name} is down` : `${b.name} does not exist`,
  };
}
