// A TEQL bond ([teqlN]): the kernel's equalizer sch_teql sends over its slaves in turn. With a
// `gateway` it is the DSL-router site: a real address, its routes via the routers' shared address,
// and each slave's probe routed by its own router (probe-routes.ts). Pure.
import { teqlBondRules } from '../../doctor/rules/bond.js';
import { teqlRouteRules } from '../../doctor/rules/routes.js';
import { droppingRules, farEndRules, unequalRules } from '../../doctor/rules/traffic.js';
import { deviceAddressPresent, devicePresence } from '../drawn.js';
import { teqlSettings } from './settings.js';
import { teqlTraces } from './traces.js';
import { teqlUndo } from './undo.js';
import { PROBE_MARKS, PROBE_RULE_PRIORITY, PROBE_TABLES, probeMarkFor } from './probe-routes.js';
import { enslaved } from './enslaved.js';
import type { BondKind } from '../kind.js';
import { teqlPlanner } from './plan.js';
import { probeTables } from './probe-routes.js';

export const teqlKind: BondKind = {
  name: 'teql',
  prefix: 'teql',
  label: () => '',
  ownDevice: true,
  drawShown: false,
  memberWord: 'enslaved',
  absent: 'absent (sch_teql not loaded?)',
  allDown: 'TEQL skips the dead ones itself',
  unseenShare: 'TEQL keeps handing it its share',
  probeBeyond: (b) => (b.gateway !== undefined ? 'router' : undefined),
  probeMark: probeMarkFor,
  desired: () => ({}),
  keepsLineOrder: false,
  drawnByNft: false,
  reads: (bonds) => ({ tables: probeTables({ bonds: [...bonds] }), conntrack: false }),
  presence: devicePresence,
  notUp: (b, o) => {
    const p = devicePresence(b, o);
    return p.up ? undefined : p.why;
  },
  // A line is in a TEQL bond by having the teql device as its root qdisc.
  heldOut: () => [],
  member: (b, o, line) => ({ in: enslaved(o, line, b.name), draw: null }),
  routed: (b, o, to) => o.routes.some((x) => x.dst === to && x.dev === b.name && x.gateway === b.gateway),
  addressPresent: deviceAddressPresent,
  watchesAddresses: false,
  needsTeql: true,
  doctor: {
    bond: teqlBondRules,
    routes: teqlRouteRules,
    traffic: (x, b) => [...farEndRules(x, b), ...unequalRules(x, b), ...droppingRules(x, b)],
  },
  planner: teqlPlanner,
  settings: teqlSettings,
  traces: teqlTraces,
  undo: teqlUndo,
  // A DSL-router site's probe tables and their rules, which select by each slave's probe mark.
  claims: { tables: [PROBE_TABLES], priorities: [], sharedPriorities: [PROBE_RULE_PRIORITY], marks: [PROBE_MARKS] },
};
