// The routing side of weighted bonds: one table per line holding the bond's routes through that
// line, and the rules that send a packet to the table of the mark nftables drew for it. Three
// groups of rules at priorities wanbond owns:
//   P     fwmark M lookup T suppress_prefixlength 0   the bond's prefixes, through the drawn line
//   P+1   any wanbond mark: lookup main suppress_prefixlength 0   the router's own networks win
//   P+2   fwmark M lookup T                           the bond's default, through the drawn line
// (wg-quick uses the same `suppress_prefixlength 0` so that a default route elsewhere never takes
// traffic for the LAN.) Pure.
import { TABLE_BASES, tableIn } from '../../net/tables.js';
import { IFNAME_RE } from '../../net/ipv4.js';
import type { RuleState } from '../../state/types.js';
import { MARK_MASK, MARK_BASE, markOf } from './ruleset.js';
import type { PolicyRule } from '../../net/rules.js';

/** Rule priority of the first group; the others follow it. Below main's 32766. */
export const DEFAULT_RULE_PRIORITY = 7762;

export interface LineTableRoute {
  table: number;
  to: string;
  dev: string;
  src: string;
}

/** The table of line k of bond b: a number no distribution uses (rt_tables reserves 0 and 253-255). */
export const tableOf = (bondIndex: number, lineIndex: number): number =>
  tableIn(TABLE_BASES.weighted, bondIndex, lineIndex);

export function policyRules(
  bonds: readonly { index: number; lines: readonly string[] }[],
  priority = DEFAULT_RULE_PRIORITY,
): PolicyRule[] {
  const per = (suppress: boolean, prio: number) =>
    bonds.flatMap((b) =>
      b.lines.map(
        (_l, k): PolicyRule => ({
          priority: prio,
          fwmark: markOf(b.index, k),
          mask: 0xffffffff,
          table: tableOf(b.index, k),
          ...(suppress ? { suppressPrefixlength: 0 } : {}),
        }),
      ),
    );
  return [
    ...per(true, priority),
    { priority: priority + 1, fwmark: MARK_BASE, mask: MARK_MASK, table: 'main', suppressPrefixlength: 0 },
    ...per(false, priority + 2),
  ];
}

/**
 * The interfaces the site's own rules select by `iif`, whose packets the draws leave to those rules.
 * Not lo: the draw's fib lookup is made as if from lo, so an `iif lo` rule already counts in it. Not a
 * rule to main: main is what the draw looks up, and such a rule changes nothing it found.
 */
export const siteIifs = (rules: readonly RuleState[]): string[] =>
  [
    ...new Set(
      rules.flatMap((r) =>
        r.iif !== undefined && r.iif !== 'lo' && r.table !== 'main' && IFNAME_RE.test(r.iif) ? [r.iif] : [],
      ),
    ),
  ].sort();

/** Every line's table: each of the bond's routes through that line, from the bond's address. */
export function lineTableRoutes(b: {
  index: number;
  lines: readonly string[];
  routes: readonly string[];
  address: string;
}): LineTableRoute[] {
  const src = b.address.split('/')[0] as string;
  return b.lines.flatMap((dev, k) => b.routes.map((to) => ({ table: tableOf(b.index, k), to, dev, src })));
}
