// The routes of table main: each bond's routes on its teql device and winning, nothing more specific
// that sends the same traffic around the bond, and the fake /31 not routed. Pure.
import { networkOf, parseCidr } from '../../net/ipv4.js';
import { routeArgs } from '../../plan/route.js';
import {
  PROBE_GUARD_METRIC,
  probeGuardOf,
  probeMarkOf,
  probeRouteOf,
  probeRuleOf,
  probeSourceOf,
  probeTableOf,
  routerOf,
} from '../../bonds/teql/probe-routes.js';
import { hex, holdsTableRoute, sameRule } from '../../net/rules.js';
import type { DesiredBond, RouteState } from '../../state/types.js';
import type { Finding } from '../finding.js';
import { cmd, note, run } from '../fix.js';
import { isUp, linkOf, siteIface, type DoctorInput } from '../input.js';

export const ROUTE_IDS = [
  'routes.not-on-bond',
  'routes.bypass',
  'routes.fake-31-routed',
  'routes.gateway-unresolved',
  'routes.probe-route-missing',
] as const;

const metric = (r: RouteState) => r.metric ?? 0;
/** On the bond, as `up` makes it: straight to teqlN, or via the bond's gateway (a DSL-router site). */
const ours = (r: RouteState, b: DesiredBond) => r.dev === b.name && r.gateway === b.gateway;
const describeRoute = (r: RouteState) =>
  r.spec
    ? routeArgs(r.spec).join(' ')
    : `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`;

/** `inner` is a strictly more specific part of `outer` ('default' holds everything; a host route has no /len). */
function within(inner: string, outer: string): boolean {
  if (inner === 'default') return false;
  const i = parseCidr(inner.includes('/') ? inner : `${inner}/32`);
  if (!i) return false;
  if (outer === 'default') return true;
  const o = parseCidr(outer);
  return o !== undefined && i.len > o.len && networkOf(`${i.addr}/${o.len}`) === networkOf(outer);
}

function notOnBond(x: DoctorInput, b: DesiredBond): Finding[] {
  return b.routes.flatMap((want): Finding[] => {
    const same = x.observed.routes.filter((r) => r.dst === want.to).sort((p, q) => metric(p) - metric(q));
    const best = same[0];
    if (best && ours(best, b)) return [];
    const mine = same.find((r) => ours(r, b));
    return [
      {
        id: 'routes.not-on-bond',
        severity: 'error',
        bond: b.name,
        what: !best
          ? `no route ${want.to}: it should go to ${b.name}`
          : `${want.to} goes ${describeRoute(best)}, not to ` +
            `${b.name}${mine ? ` (the route on ${b.name} has metric ${metric(mine)}, which loses)` : ''}`,
        why:
          `traffic reaches the bond only by a route to ${b.name} (Sangoma: "The default route must be on ` +
          'teql0 device"); ' +
          (!best
            ? 'without one it goes nowhere, or out another way'
            : 'the kernel uses the route with the lowest metric, so this traffic never touches the bond'),
        fix: [cmd('wanbond', 'up')],
        // Same destination and metric: `ip route replace` takes its place (a lower metric than ours only loses to it).
        ...(best && metric(best) === 0
          ? { interrupts: `wanbond up replaces ${describeRoute(best)}; wanbond down gives it back` }
          : {}),
      },
    ];
  });
}

function bypass(x: DoctorInput, b: DesiredBond): Finding[] {
  if (b.routes.length === 0) return [];
  const lines = new Set(b.slaves.map((s) => s.name));
  return x.observed.routes.flatMap((r): Finding[] => {
    if (r.protocol === 'kernel' || r.dev === b.name || (r.type !== undefined && r.type !== 'unicast')) return [];
    const covers = b.routes.find((w) => within(r.dst, w.to));
    if (!covers) return [];
    const devs = r.dev ? [r.dev] : (r.spec?.nexthops ?? []).map((n) => n.dev);
    const viaLine = devs.find((d) => lines.has(d));
    // A route through another interface without a gateway is a connected network: the LAN, not a bypass.
    if (!viaLine && !r.gateway && !r.spec?.nexthops) return [];
    const i = viaLine ? siteIface(x, viaLine) : undefined;
    const ipf = viaLine ? x.site?.ipFiles.get(viaLine) : undefined;
    return [
      {
        // Through a line it is surely wrong; through another router it may be an internal network doctor cannot know.
        id: 'routes.bypass',
        severity: viaLine ? 'warning' : 'info',
        bond: b.name,
        ...(viaLine ? { line: viaLine } : {}),
        what:
          `${describeRoute(r)} takes ${r.dst} away from ` +
          `${b.name}${covers.to === 'default' ? '' : ` (${covers.to})`}`,
        why: viaLine
          ? `that traffic goes over ${viaLine} alone: TEQL never sees it, it gets one line's speed and dies with ` +
            'that line' +
            (i && ipf?.gateway ? ` (wanrouter adds it: GATEWAY=${ipf.gateway} in interfaces/${viaLine})` : '')
          : `a more specific route wins over ${covers.to === 'default' ? 'the default route' : covers.to}: ` +
            `traffic to ${r.dst} leaves by ${devs.join(', ') || 'another way'} and never uses the bond. If that ` +
            'is on purpose, ignore this',
        fix: [
          r.spec
            ? run({ kind: 'del-route', route: r.spec })
            : cmd(
                'ip',
                'route',
                'del',
                r.dst,
                ...(r.gateway ? ['via', r.gateway] : []),
                ...(r.dev ? ['dev', r.dev] : []),
              ),
          ...(i && ipf?.gateway
            ? [
                note(
                  `remove GATEWAY=${ipf.gateway} from ${x.site?.confDir}/interfaces/${viaLine}, or wanrouter ` +
                    'adds the route again at its next start',
                ),
              ]
            : []),
        ],
      },
    ];
  });
}

function fake31(x: DoctorInput, b: DesiredBond): Finding[] {
  // A bond with a gateway has a real address, whose route is the way to the gateway.
  if (b.gateway) return [];
  const net = networkOf(b.address);
  const routed = x.observed.routes.filter((r) => r.dst === net && r.dev === b.name);
  if (routed.length === 0) return [];
  const [addr, len] = b.address.split('/');
  const a = x.observed.addrs.find((v) => v.dev === b.name && v.local === addr && String(v.prefixlen) === len);
  const again = a && !a.noprefixroute;
  return [
    {
      id: 'routes.fake-31-routed',
      severity: 'warning',
      bond: b.name,
      what: `the fake ${net} of ${b.name} is routed`,
      why:
        `the address on ${b.name} is made up (Sangoma's recipe deletes its route: ip route del ${net}); ` +
        `routed, it sends traffic for ${net} into the bond, where no far end has it` +
        (again
          ? '. The address was added without noprefixroute, so the kernel adds the route back each time ' +
            `${b.name} comes up`
          : ''),
      fix: again
        ? [
            run({ kind: 'del-address', dev: b.name, cidr: b.address }),
            run({ kind: 'add-address', dev: b.name, cidr: b.address }),
          ]
        : routed.map((r) =>
            run({ kind: 'del-route', route: { to: r.dst, dev: b.name, protocol: r.protocol, metric: r.metric } }),
          ),
    },
  ];
}

/**
 * A DSL-router site: TEQL looks the bond's gateway up on each slave, so each slave's router must
 * answer ARP for the shared address. One that does not (FAILED, INCOMPLETE) still gets its share of
 * the packets from TEQL, and they are lost.
 */
function gatewayUnresolved(x: DoctorInput, b: DesiredBond): Finding[] {
  const gw = b.gateway;
  if (!gw || !x.neighbours) return [];
  return b.slaves.flatMap((s): Finding[] => {
    const n = x.neighbours?.find((e) => e.dst === gw && e.dev === s.name);
    if (!n?.state.some((st) => st === 'FAILED' || st === 'INCOMPLETE')) return [];
    return [
      {
        id: 'routes.gateway-unresolved',
        severity: 'error',
        bond: b.name,
        line: s.name,
        what: `${s.name} cannot reach the gateway ${gw}: its ARP for it goes unanswered (${n.state.join(', ')})`,
        why:
          `${b.name}'s routes go via ${gw}, which TEQL looks up again on each line: the router on ${s.name} ` +
          `must hold ${gw} on its LAN side and answer ARP from ${s.name}'s address. Until it does, TEQL still ` +
          `hands ${s.name} its share of the packets, and they are lost`,
        fix: [
          note(
            `give the router behind ${s.name} the shared LAN address ${gw}, or correct the cabling; then check: ` +
              `arping -c 3 -I ${s.name} ${gw}`,
          ),
          cmd('ip', 'neigh', 'flush', 'dev', s.name, 'to', gw),
        ],
      },
    ];
  });
}

/**
 * A DSL-router site: each line's probe must leave by that line's router, from the bond's address (its
 * table, its guard and its mark's rule), or a DSL line dead behind the router is never seen (the
 * Ethernet link stays up).
 */
function probeRoutes(x: DoctorInput, b: DesiredBond): Finding[] {
  if (!b.gateway) return [];
  return b.slaves.flatMap((s, k): Finding[] => {
    if (!isUp(linkOf(x.observed.links, s.name))) return [];
    const router = s.router ?? routerOf(s.name, x.observed);
    const table = probeTableOf(b.index, k);
    if (!router) {
      return [
        {
          id: 'routes.probe-route-missing',
          severity: 'warning',
          bond: b.name,
          line: s.name,
          what:
            `${s.name} has no probe route: wanbond cannot tell which router is behind it (${s.name} is not ` +
            'on a /30 or /31 with it)',
          why:
            `a DSL line that dies behind its router leaves ${s.name} up; only a probe that leaves by that ` +
            `router sees it, and ${s.name}'s probes have no route: they fail, and the daemon holds the line down`,
          fix: [
            note(
              `name the router in [${b.name}] of ${x.desired.settingsFile}: routers = ${s.name}:<its address on ` +
                `${s.name}'s network>`,
            ),
            cmd('wanbond', 'up'),
          ],
        },
      ];
    }
    const src = probeSourceOf(b);
    const mark = probeMarkOf(b.index, k);
    const route = holdsTableRoute(x.observed, probeRouteOf(s.name, router, table, src));
    const guard = holdsTableRoute(x.observed, probeGuardOf(table));
    const rule = (x.observed.policy?.rules ?? []).some((r) => sameRule(probeRuleOf(mark, table), r));
    if (route && guard && rule) return [];
    return [
      {
        id: 'routes.probe-route-missing',
        severity: 'error',
        bond: b.name,
        line: s.name,
        what:
          `${s.name}'s probe route is gone: ` +
          [
            route ? '' : `no default via ${router}${src ? ` src ${src}` : ''} in table ${table}`,
            guard ? '' : `no unreachable default metric ${PROBE_GUARD_METRIC} in table ${table}`,
            rule ? '' : `no rule fwmark ${hex(mark)} lookup ${table}`,
          ]
            .filter(Boolean)
            .join(', '),
        why:
          `the watch daemon's probes of ${s.name} then find no route, leave from ${s.name}'s own address (which ` +
          'the ISP does not route back), or go out by teqlN, where any line answers them: the line is judged ' +
          'down while it works, or a dead DSL line behind its router is missed',
        fix: [cmd('wanbond', 'up')],
      },
    ];
  });
}

/**
 * A TEQL bond's routes. A bond that is down has lost its routes with it: bond.not-up says so and its
 * fix brings them back. (A weighted bond's routes are judged by its own check against its plan.)
 */
export function teqlRouteRules(x: DoctorInput, b: DesiredBond): Finding[] {
  if (!isUp(linkOf(x.observed.links, b.name))) return [];
  return [...notOnBond(x, b), ...bypass(x, b), ...fake31(x, b), ...gatewayUnresolved(x, b), ...probeRoutes(x, b)];
}
