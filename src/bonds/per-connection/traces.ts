// A per-connection bond in the record and the kernel: wanbond's nftables table is every drawn
// bond's, the catch-all rule of the per-connection marks all such bonds', an uplink's table its
// bond's; a chain pcbondN of the table is a bond. Pure.
import { bondIndexIn, TABLE_BASES } from '../../net/tables.js';
import type { KindTraces } from '../kind.js';
import { PC_MARK_BASE } from '../weighted/ruleset.js';

export const perConnectionTraces: KindTraces = {
  groups: ['per-connection', 'drawn'],
  tableIndex: (t) => bondIndexIn(TABLE_BASES.perConnection, t),
  sharedBy: (s) =>
    s.kind === 'nft-table'
      ? 'drawn'
      : s.kind === 'add-rule' && s.rule.fwmark === PC_MARK_BASE
        ? 'per-connection'
        : undefined,
  seen: (o) => Object.keys(o.policy?.nft?.chains ?? {}).filter((c) => /^pcbond\d+$/.test(c)),
};
