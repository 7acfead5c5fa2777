// A weighted bond ([wbondN]): nftables draws each packet's line in proportion to its rate; a dummy
// device wbondN holds the bond's address. Pure.
import { drawnBondRules, weightedMtuRules } from '../../doctor/rules/bond.js';
import { droppingRules, farEndRules } from '../../doctor/rules/traffic.js';
import { deviceAddressPresent, devicePresence, drawMembership, NOT_RECORDED, routedOverLines } from '../drawn.js';
import { weightedSettings } from './settings.js';
import { weightedTraces } from './traces.js';
import { DEFAULT_RULE_PRIORITY } from './policy.js';
import { MARK_BASE, MARK_MASK } from './ruleset.js';
import { TABLE_BASES, tableRange } from '../../net/tables.js';
import type { BondKind } from '../kind.js';
import { drawnPlanner, weightedTables } from './plan.js';
import { bondWeights } from './rates.js';
import { markOf } from './ruleset.js';

export const weightedKind: BondKind = {
  name: 'weighted',
  prefix: 'wbond',
  label: () => ' (weighted)',
  ownDevice: true,
  drawShown: false,
  memberWord: 'drawn',
  absent: 'absent (wanbond up has not run?)',
  allDown: 'and in the draw: the first to work again carries its share at once',
  unseenShare: 'it keeps its share of the draw',
  probeBeyond: () => undefined,
  desired: (b, lines, site, settingsFile) => ({ weights: bondWeights(b, lines, site, settingsFile).lines }),
  keepsLineOrder: false,
  drawnByNft: true,
  reads: (bonds) => ({ tables: weightedTables({ bonds: [...bonds] }), conntrack: false }),
  presence: devicePresence,
  // Its dummy, like teqlN, is down only by someone's hand.
  notUp: (b, o, recorded) => {
    if (!recorded.has(b.name)) return NOT_RECORDED;
    const p = devicePresence(b, o);
    return p.up ? undefined : p.why;
  },
  heldOut: () => [],
  member: (b, o, line) => drawMembership(b, o, line, (k) => markOf(b.index, k)),
  routed: routedOverLines,
  addressPresent: deviceAddressPresent,
  watchesAddresses: false,
  needsTeql: false,
  doctor: {
    bond: (x, b) => [
      ...weightedMtuRules(x, b),
      ...drawnBondRules(x, b, {
        notApplied: 'bond.weighted-not-applied',
        draws: "weighted bond draws each packet's line",
        needs:
          'a weighted bond needs its nftables draw, one routing table and rule per line, and its routes: with any of ' +
          'them missing or changed, packets go by another line than their weight says, or by none',
        flushes: false,
        heldOut: () => [],
      }),
    ],
    routes: () => [], // judged against the bond's plan by its bond check
    traffic: (x, b) => [...farEndRules(x, b), ...droppingRules(x, b)],
  },
  planner: drawnPlanner,
  settings: weightedSettings,
  traces: weightedTraces,
  // Each line's table, the three rule groups to them (policy.ts), and the marks 0x7762xxxx.
  claims: {
    tables: [tableRange(TABLE_BASES.weighted)],
    priorities: [DEFAULT_RULE_PRIORITY, DEFAULT_RULE_PRIORITY + 1, DEFAULT_RULE_PRIORITY + 2],
    sharedPriorities: [],
    marks: [{ value: MARK_BASE, mask: MARK_MASK }],
  },
};
