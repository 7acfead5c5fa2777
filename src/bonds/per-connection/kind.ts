// A per-connection bond ([pcbondN]): each new connection from the LAN is drawn an uplink (a NATed
// line to its own provider) and keeps it for its life. It has no device: its uplinks keep the
// addresses their providers gave them. Pure.
import { drawnBondRules } from '../../doctor/rules/bond.js';
import { droppingRules } from '../../doctor/rules/traffic.js';
import { drawMembership, NOT_RECORDED, routedOverLines } from '../drawn.js';
import type { UplinkSettings } from '../../config/settings-types.js';
import { perConnectionSettings } from './settings.js';
import { perConnectionTraces } from './traces.js';
import { PC_LAN_PRIORITY, PC_MARK_MASK, PC_RULE_PRIORITY, PC_TABLES } from './per-connection.js';
import { PC_MARK_BASE } from '../weighted/ruleset.js';
import type { BondKind } from '../kind.js';
import { drawnPlanner } from '../weighted/plan.js';
import { pcMarkOf } from '../weighted/ruleset.js';
import { heldText, heldUplinks, pcBondUp, pcTables } from './per-connection.js';

export const perConnectionKind: BondKind = {
  name: 'per-connection',
  prefix: 'pcbond',
  label: (b) => ` (per-connection, by ${b.balance === 'load' ? 'measured load' : 'weight'})`,
  ownDevice: false,
  drawShown: true,
  memberWord: 'drawn',
  absent: 'absent (wanbond up has not run?)',
  allDown: 'and in the draw: the first to work again carries its share at once',
  unseenShare: 'it keeps its share of the draw',
  probeBeyond: () => 'provider',
  // A new connection's share of each uplink, as the draw takes it, and the uplinks as planned.
  desired: (b, lines, _site, settingsFile) => {
    const ups = lines.map((name) => b.uplinks.find((u) => u.name === name) as UplinkSettings);
    return {
      weights: ups.map((u) => ({
        name: u.name,
        bps: u.bps ?? 0,
        how: `uplink.${u.name} in ${settingsFile}:${u.line}`,
        weight: u.weight,
      })),
      uplinks: ups.map((u) => ({
        name: u.name,
        address: u.address,
        gateway: u.gateway,
        weight: u.weight,
        bps: u.bps,
        measure: u.measure,
      })),
      balance: b.balance,
    };
  },
  keepsLineOrder: true,
  drawnByNft: true,
  reads: (bonds) => ({ tables: pcTables({ bonds: [...bonds] }), conntrack: true }),
  // No device: it is there, and up, when wanbond's table has its chain.
  presence: (b, o) => {
    const up = pcBondUp(b, o);
    return { present: up, up, why: 'its nftables chain is not there (wanbond down?)' };
  },
  notUp: (b, _o, recorded) => (recorded.has(b.name) ? undefined : NOT_RECORDED),
  heldOut: (b, o, settingsFile) =>
    heldUplinks([b], o).map((h) => ({
      bond: h.bond,
      name: h.name,
      text: heldText(h, settingsFile),
      said: h.has.join(','),
      log: {
        held: 'uplink-held',
        back: 'uplink-not-held',
        fields: { address: h.address, has: h.has },
        backText: `${h.name}: no longer held out for its address; it is drawn again once healthy`,
      },
    })),
  member: (b, o, line) => drawMembership(b, o, line, (k) => pcMarkOf(b.index, k)),
  routed: routedOverLines,
  // Its addresses are its uplinks' own.
  addressPresent: (b, o) =>
    (b.uplinks ?? []).every((u) => o.addrs.some((a) => a.dev === u.name && a.local === u.address)),
  watchesAddresses: true,
  needsTeql: false,
  doctor: {
    bond: (x, b) =>
      drawnBondRules(x, b, {
        notApplied: 'bond.pc-not-applied',
        draws: "per-connection bond draws each new connection's uplink",
        needs:
          'a per-connection bond needs its nftables draw and SNAT, one routing table and two rules per uplink, and ' +
          "main's route over the uplinks: with any of them missing or changed, " +
          'new connections leave by another uplink ' +
          'than drawn (its provider drops their source) or are not balanced at all',
        flushes: true,
        heldOut: (bond, o, file) => perConnectionKind.heldOut(bond, o, file),
      }),
    routes: () => [],
    traffic: droppingRules,
  },
  planner: drawnPlanner,
  settings: perConnectionSettings,
  traces: perConnectionTraces,
  // Each uplink's table, its three rule groups, the marks 0x7763xxxx; the LAN-first rules (by source
  // address) share 7765 with a DSL site's probe rules (by oif).
  claims: {
    tables: [PC_TABLES],
    priorities: [PC_RULE_PRIORITY, PC_RULE_PRIORITY + 1, PC_RULE_PRIORITY + 2],
    sharedPriorities: [PC_LAN_PRIORITY],
    marks: [{ value: PC_MARK_BASE, mask: PC_MARK_MASK }],
  },
};
