// A weighted bond in the record and the kernel: wanbond's nftables table is every drawn bond's, the
// catch-all rule of the weighted marks all weighted bonds', a line's table its bond's; a dummy
// wbondN or a chain of the table is a bond. Pure.
import { bondIndexIn, TABLE_BASES } from '../../net/tables.js';
import type { KindTraces } from '../kind.js';
import { MARK_BASE } from './ruleset.js';

export const weightedTraces: KindTraces = {
  groups: ['weighted', 'drawn'],
  tableIndex: (t) => bondIndexIn(TABLE_BASES.weighted, t),
  sharedBy: (s) =>
    s.kind === 'nft-table' ? 'drawn' : s.kind === 'add-rule' && s.rule.fwmark === MARK_BASE ? 'weighted' : undefined,
  seen: (o) => [
    ...o.links.filter((l) => /^wbond\d+$/.test(l.name)).map((l) => l.name),
    ...Object.keys(o.policy?.nft?.chains ?? {}).filter((c) => /^wbond\d+$/.test(c)),
  ],
};
