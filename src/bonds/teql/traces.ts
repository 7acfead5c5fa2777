// A TEQL bond in the record and the kernel: the module is all TEQL bonds' own, a probe table is its
// bond's, and a teqlN is a bond while it has slaves. Pure.
import { bondIndexIn, TABLE_BASES } from '../../net/tables.js';
import type { KindTraces } from '../kind.js';

export const teqlTraces: KindTraces = {
  groups: ['teql'],
  tableIndex: (t) => bondIndexIn(TABLE_BASES.probe, t),
  sharedBy: (s) => (s.kind === 'load-module' ? 'teql' : undefined),
  seen: (o) => o.qdiscs.filter((q) => q.root && /^teql\d+$/.test(q.kind)).map((q) => q.kind),
};
