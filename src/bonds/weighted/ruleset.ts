// The nftables side of weighted bonds, as text for one `nft -f -` transaction: a table wanbond
// owns (`ip wanbond`), and a chain per bond whose one rule draws
// each packet's mark from a map in the order stripeSequence gives. A line leaves or rejoins by
// rewriting that chain alone (`stripeUpdate`), in one transaction, so no packet is ever drawn for
// a line that is out. Only packets with mark 0 are drawn: other users' marks are left alone. Pure.
import { createHash } from 'node:crypto';
import { IFNAME_RE, IPV4_RE as IPV4, PREFIX_RE } from '../../net/ipv4.js';
import { InternalError } from '../../errors.js';
import { gcd, stripeSequence } from './weights.js';
import { hex } from '../../net/rules.js';

export const NFT_TABLE = 'wanbond';
export const NFT_FAMILY = 'ip';

/** wanbond's marks: 0x7762 ("wb") in the top half, the bond in the next byte, the line in the last. */
export const MARK_BASE = 0x7762_0000;
export const MARK_MASK = 0xffff_0000;

export interface StripeLine {
  name: string;
  /** Weight while in the bond; 0 (or absent from `inRing`) draws nothing. */
  weight: number;
}

export interface WeightedBondRules {
  /** The bond's name, also its chain's name (wbond0, pcbond0). */
  bond: string;
  /**
   * A per-connection bond (src/bonds/per-connection/per-connection.ts): its chain draws the connection's mark
   * (ct mark) for a new connection, and `nat` holds each line's address, which what leaves by it is
   * SNATed to. Absent: a weighted bond, which draws each packet's mark. `daddr`: the bond's prefixes
   * when it routes no default: only connections to them are drawn (main's own default is not the bond's).
   */
  perConnection?: { nat: string[]; daddr?: string[] };
  /** Bond number 0..255, for its marks. */
  index: number;
  /** Every configured line, in the order of their marks (line k has mark base + bond << 8 + k + 1). */
  lines: StripeLine[];
  /** The lines drawn now (the daemon's ring); the others keep their mark but get no draw. */
  inRing: readonly string[];
  /**
   * Interfaces the site's own ip rules select (`iif guest0 lookup 100`): what arrives by them is never
   * drawn. The draw's fib lookup cannot see such rules (it looks up as if from lo), and a mark would
   * take the packet past them to the bond's tables, which come first.
   */
  siteIifs?: string[];
}

export const markOf = (bondIndex: number, lineIndex: number): number => MARK_BASE + (bondIndex << 8) + lineIndex + 1;
/**
 * A per-connection bond's marks: 0x7763 in the top half, so no weighted bond's rule (7763: any 0x7762 mark)
 * takes them.
 */
export const PC_MARK_BASE = 0x7763_0000;
export const pcMarkOf = (bondIndex: number, lineIndex: number): number =>
  PC_MARK_BASE + (bondIndex << 8) + lineIndex + 1;
/** Line k's mark in its bond, whichever kind. */
export const lineMark = (b: Pick<WeightedBondRules, 'index' | 'perConnection'>, k: number): number =>
  b.perConnection ? pcMarkOf(b.index, k) : markOf(b.index, k);
export { hex };

/** Throws on anything in a bond's rules that must never reach nft (a record read back is untrusted). */
export function checkBondRules(b: WeightedBondRules): void {
  if (!(b.perConnection ? /^pcbond\d{1,2}$/ : /^wbond\d{1,2}$/).test(b.bond))
    throw new InternalError(`weighted bond name ${b.bond}`);
  if (
    b.perConnection &&
    (b.perConnection.nat.length !== b.lines.length || !b.perConnection.nat.every((a) => IPV4.test(a)))
  )
    throw new InternalError(`${b.bond}: SNAT addresses ${b.perConnection.nat.join(', ')}`);
  if (!(b.index >= 0 && b.index <= 255)) throw new InternalError(`weighted bond index ${b.index}`);
  if (b.lines.length === 0 || b.lines.length > 254) throw new InternalError(`${b.bond}: ${b.lines.length} lines`);
  for (const l of b.lines) {
    if (!IFNAME_RE.test(l.name)) throw new InternalError(`line name ${l.name}`);
    if (!Number.isInteger(l.weight) || l.weight < 0 || l.weight > 64)
      throw new InternalError(`${l.name}: weight ${l.weight}`);
  }
  for (const n of b.inRing)
    if (!b.lines.some((l) => l.name === n))
      throw new InternalError(`${b.bond}: ${n} in the ring is not one of its lines`);
  for (const n of b.siteIifs ?? []) if (!IFNAME_RE.test(n)) throw new InternalError(`${b.bond}: interface name ${n}`);
  for (const p of b.perConnection?.daddr ?? []) {
    if (!PREFIX_RE.test(p)) throw new InternalError(`${b.bond}: prefix ${p}`);
  }
}

/** The map's entries: draw k -> the mark of the line drawn k-th. Empty when no line is in the ring. */
export function stripeMap(b: WeightedBondRules): { modulus: number; entries: [number, number][] } {
  const weights = b.lines.map((l) => (b.inRing.includes(l.name) ? l.weight : 0));
  // The lines left in the ring, in their lowest terms: 2:2 (a 2:2:1 bond without its slow line) is 1:1.
  const g = weights.filter((w) => w > 0).reduce((a, w) => gcd(a, w), 0);
  const seq = stripeSequence(g > 1 ? weights.map((w) => w / g) : weights);
  return { modulus: seq.length, entries: seq.map((line, k) => [k, lineMark(b, line)]) };
}

/** The marks a bond's draw holds, in draw order, as the kernel lists them (NftTableState.draws). */
export const drawnMarks = (b: WeightedBondRules): number[] => stripeMap(b).entries.map(([, m]) => m);

/** The one rule of the bond's chain, or none with every line out (no mark: the bond carries nothing). */
export function stripeRule(b: WeightedBondRules): string | undefined {
  const m = stripeMap(b);
  if (m.modulus === 0) return undefined;
  const what = b.perConnection ? 'ct mark' : 'meta mark';
  // numgen's modulus 1 is legal, but a map of one entry is simply that mark.
  if (m.modulus === 1) return `${what} set ${hex((m.entries[0] as [number, number])[1])}`;
  return `${what} set numgen inc mod ${m.modulus} map { ${m.entries.map(([k, v]) => `${k} : ${hex(v)}`).join(', ')} }`;
}

/**
 * The interfaces whose packets are never drawn: the bond's own lines (return traffic) and those the
 * site's own rules route (siteIifs). `fib daddr . iif` would not do for the latter: its lookup is still
 * made as if from lo, and `iif` only asks whether the route found leaves by the input interface
 * (nft(8), FIB EXPRESSIONS; nft_fib_ipv4.c), so it would never name an uplink for a LAN's packet.
 */
const notDrawnFrom = (b: WeightedBondRules): string =>
  `{ ${[...b.lines.map((l) => l.name), ...(b.siteIifs ?? [])].map((n) => `"${n}"`).join(', ')} }`;

/**
 * The rules that send a packet to the bond's draw. Only packets that main's routes already send
 * over one of the bond's lines are drawn: the draw then honours the longest prefix (a LAN inside
 * the bond's prefixes stays on the LAN), another bond's routes and the router's own addresses
 * (for which fib gives no output device). Forwarded traffic is judged at prerouting by a fib lookup
 * (`fib daddr oifname`: for a multipath route, its first live line); the router's own at a
 * route-type output chain by the device its route chose, and routed again once the mark is set.
 * The draw's counter is one for the bond: a packet that arrives by one of the bond's lines (the
 * return traffic, its ACKs) must not take a turn, or the outgoing packets fall into a phase with
 * them and one line gets most (seen in the lab: 0.56 of the bytes on a line weighted 0.4).
 */
export function jumpRules(b: WeightedBondRules): { pre: string; out: string } {
  const lines = b.lines.map((l) => `"${l.name}"`).join(', ');
  return {
    pre: `meta mark 0 iifname != ${notDrawnFrom(b)} fib daddr oifname { ${lines} } jump ${b.bond}`,
    out: `meta mark 0 oifname { ${lines} } jump ${b.bond}`,
  };
}

/**
 * wanbond's base chains: name, hook, type, priority. mss and post exist only with per-connection bonds.
 * A chain's name must not be an nft keyword: `fwd` is one (found in the lab: nft refused the table).
 */
export const HOOK_CHAINS = [
  ['pre', 'prerouting', 'filter', 'mangle'],
  ['out', 'output', 'route', 'mangle'],
  ['mss', 'forward', 'filter', 'mangle'],
  ['post', 'postrouting', 'nat', 'srcnat'],
] as const;
export type HookChain = (typeof HOOK_CHAINS)[number][0];
/** The base chains a table of these bonds has. */
export const hookChainsOf = (bonds: readonly WeightedBondRules[]): HookChain[] =>
  HOOK_CHAINS.map(([c]) => c).filter((c) => c === 'pre' || c === 'out' || bonds.some((b) => b.perConnection));

/** nftables' MSS clamp to the route's MTU (iptables' TCPMSS --clamp-mss-to-pmtu): Linux 4.14, nftables 0.9.0. */
export const MSS_CLAMP = 'tcp flags syn tcp option maxseg size set rt mtu';

/**
 * Every rule of the bond's in the hook chains, by chain. A per-connection bond draws at prerouting
 * for a NEW connection from the LAN (not arriving by an uplink) that main routes over an uplink, into
 * the connection's mark; then every later packet from the LAN takes the mark back from the
 * connection, and the mark's rule sends it by the uplink drawn. Replies arriving by the uplinks are
 * never given the mark: the mark's rule would send them out again (seen in the lab's feasibility
 * probe). A connection that comes in by an uplink (a port forward to a LAN host) takes that
 * uplink's mark, so that the host's replies leave by it. The router's own connections go by main's multipath
 * route, whose choice sets their source. Whatever leaves by an uplink is SNATed to that uplink's
 * address, and a forwarded TCP SYN leaving by one has its MSS clamped to the uplink's route.
 */
export function chainRules(b: WeightedBondRules): Record<HookChain, string[]> {
  if (!b.perConnection) {
    const j = jumpRules(b);
    return { pre: [j.pre], out: [j.out], mss: [], post: [] };
  }
  const lines = `{ ${b.lines.map((l) => `"${l.name}"`).join(', ')} }`;
  const bondMarks = `${hex(PC_MARK_BASE + (b.index << 8))}`;
  // With no default among its routes, main's own default (via an uplink too) is not the bond's: only
  // connections to the bond's prefixes are drawn, or a flush would kill connections of a healthy uplink.
  const daddr = b.perConnection.daddr?.length ? `ip daddr { ${b.perConnection.daddr.join(', ')} } ` : '';
  return {
    pre: [
      // `meta mark 0`, as the weighted bonds: a packet the site marked is left to the site's routing.
      `meta mark 0 iifname != ${notDrawnFrom(b)} ct state new ct mark 0 ${daddr}fib daddr oifname ${lines}` +
        ` jump ${b.bond}`,
      // A connection that comes in by an uplink (a port forward) is that uplink's: the LAN host's
      // replies then leave by it, as its provider expects their source.
      ...b.lines.map((l, k) => `iifname "${l.name}" ct state new ct mark 0 ct mark set ${hex(lineMark(b, k))}`),
      // Never over a mark the site set: its own rules route that packet.
      `meta mark 0 iifname != ${lines} ct mark & 0xffffff00 == ${bondMarks} meta mark set ct mark`,
    ],
    out: [],
    // A forwarded TCP SYN leaving by an uplink announces at most what the uplink's route carries: a
    // PPPoE uplink (1492) beside a 1500 LAN would otherwise black-hole full-size segments wherever
    // ICMP "fragmentation needed" is filtered. Harmless where the MTUs are equal, so every uplink has it.
    mss: [`oifname ${lines} ${MSS_CLAMP}`],
    post: b.lines.map((l, k) => `oifname "${l.name}" snat to ${b.perConnection?.nat[k] as string}`),
  };
}

/** A rule's comment naming what it says: the planner compares these, so any change to a rule replaces the table. */
export const ruleTag = (rule: string): string =>
  `wanbond:${createHash('sha256').update(rule).digest('hex').slice(0, 12)}`;

/** The whole table, created fresh (`up`): any older copy of it is deleted in the same transaction. */
export function tableRuleset(bonds: readonly WeightedBondRules[]): string {
  bonds.forEach(checkBondRules);
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  // `add` first makes the `delete` succeed whether or not the table existed.
  const out: string[] = [`add table ${t}`, `delete table ${t}`, `add table ${t}`];
  for (const b of bonds) {
    out.push(`add chain ${t} ${b.bond}`);
    const rule = stripeRule(b);
    if (rule) out.push(`add rule ${t} ${b.bond} ${rule}`);
  }
  // The MSS clamp and source NAT only with per-connection bonds, so a weighted-only table stays as it was.
  const chains = hookChainsOf(bonds);
  for (const [c, hook, type, prio] of HOOK_CHAINS) {
    if (chains.includes(c))
      out.push(`add chain ${t} ${c} { type ${type} hook ${hook} priority ${prio}; policy accept; }`);
  }
  for (const c of chains) {
    for (const b of bonds)
      for (const r of chainRules(b)[c]) out.push(`add rule ${t} ${c} ${r} comment "${ruleTag(r)}"`);
  }
  return `${out.join('\n')}\n`;
}

/** A ring change: the bond's chain rewritten in one transaction. */
export function stripeUpdate(b: WeightedBondRules): string {
  checkBondRules(b);
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const rule = stripeRule(b);
  return `${[`flush chain ${t} ${b.bond}`, ...(rule ? [`add rule ${t} ${b.bond} ${rule}`] : [])].join('\n')}\n`;
}
