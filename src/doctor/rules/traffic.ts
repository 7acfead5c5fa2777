// What the counters say between the two readings: the far end equalizing toward us or not, lines
// of unequal speed (from the configuration), lines that drop what TEQL hands them. Pure.
import { lineRate, teqlCeiling } from '../../config/line-rate.js';
import type { DesiredBond } from '../../state/types.js';
import type { Finding } from '../finding.js';
import { cmd, note, removeLine } from '../fix.js';
import {
  delta,
  enslaved,
  hasCarrier,
  isUp,
  linkOf,
  siteIface,
  monitorIface,
  windowMs,
  type DoctorInput,
} from '../input.js';

export const TRAFFIC_IDS = [
  'traffic.far-end-not-equalizing',
  'traffic.unequal-lines',
  'traffic.line-dropping',
] as const;

/** Received bytes on the busiest line below which the window says nothing about the far end. */
export const MIN_RX_BYTES = 200_000;
/** The busiest line's share of what the bond received, above which the far end is not equalizing. */
export const CONCENTRATED = 0.8;
/** We equalize when no line sent more than this times its fair share (1/N)... */
export const SPREAD = 1.5;
/** ...judged over at least this many packets a line. */
export const MIN_TX_PACKETS_PER_LINE = 8;
/** Lines this many times faster than the slowest make TEQL unusable: reordering (sch_teql.c). */
export const UNUSABLE_RATIO = 10;

const mbit = (bps: number) => `${(bps / 1e6).toFixed(3)} Mbit/s`;
const kbit = (bps: number) => (bps >= 1e6 ? mbit(bps) : `${Math.round(bps / 1000)} kbit/s`);

interface Flow {
  line: string;
  rx: number;
  tx: number;
  txPackets: number;
}

/** Per working line of the bond, what it received and sent in the window. */
function flows(x: DoctorInput, b: DesiredBond): Flow[] {
  return b.slaves.flatMap((s) => {
    const l = linkOf(x.after.links, s.name);
    if (!isUp(l) || !hasCarrier(l) || !enslaved(x.observed, s.name, b.name)) return [];
    const rx = delta(x, s.name, 'rxBytes'),
      tx = delta(x, s.name, 'txBytes'),
      txPackets = delta(x, s.name, 'txPackets');
    return rx === undefined || tx === undefined || txPackets === undefined ? [] : [{ line: s.name, rx, tx, txPackets }];
  });
}

export type Inbound =
  | { kind: 'equalized' }
  | { kind: 'concentrated'; busiest: Flow; share: number; lines: Flow[] }
  | { kind: 'unmeasured'; why: string };

/** Whether the far end spreads what it sends us, as far as this window can tell. */
export function inbound(x: DoctorInput, b: DesiredBond): Inbound {
  const f = flows(x, b);
  if (f.length < 2) return { kind: 'unmeasured', why: 'fewer than 2 working lines' };
  const rxTotal = f.reduce((a, v) => a + v.rx, 0),
    txTotal = f.reduce((a, v) => a + v.tx, 0);
  const busiest = f.reduce((a, v) => (v.rx > a.rx ? v : a));
  if (busiest.rx < MIN_RX_BYTES)
    return {
      kind: 'unmeasured',
      why:
        `${Math.round(rxTotal / 1000)} kB received in ${(windowMs(x) / 1000).toFixed(1)} s, too little to ` +
        'judge the far end',
    };
  const share = busiest.rx / rxTotal;
  if (share <= CONCENTRATED) return { kind: 'equalized' };
  // Concentrated inbound means the far end only if we spread outbound: else TEQL itself is not spreading.
  const spread =
    txTotal > 0 &&
    f.every((v) => v.tx / txTotal <= SPREAD / f.length) &&
    f.reduce((a, v) => a + v.txPackets, 0) >= MIN_TX_PACKETS_PER_LINE * f.length;
  return spread
    ? { kind: 'concentrated', busiest, share, lines: f }
    : { kind: 'unmeasured', why: 'what the bond sent was not spread either' };
}

/** The other address of a /31, for the far end's teql device. */
function otherOf31(cidr: string): string | undefined {
  const [a, len] = cidr.split('/');
  if (len !== '31' || !a) return undefined;
  const o = a.split('.').map(Number);
  o[3] = (o[3] as number) ^ 1;
  return `${o.join('.')}/31`;
}

function farEnd(x: DoctorInput, b: DesiredBond): Finding[] {
  const v = inbound(x, b);
  if (v.kind !== 'concentrated') return [];
  const secs = windowMs(x) / 1000;
  const rate = x.site ? lineRate(x.site, v.busiest.line) : undefined;
  const one =
    rate && 'bps' in rate
      ? `${mbit(rate.bps)} (${rate.how})`
      : `about ${mbit(secs > 0 ? (v.busiest.rx * 8) / secs : 0)}, what ${v.busiest.line} received in this window`;
  // The networks on this router's other interfaces: what the far router must route back into its teql0.
  const bonded = new Set(['lo', ...x.desired.bonds.flatMap((d) => [d.name, ...d.slaves.map((s) => s.name)])]);
  const lans = x.observed.routes
    .filter((r) => r.protocol === 'kernel' && r.dev !== undefined && !bonded.has(r.dev) && r.dst !== 'default')
    .map((r) => r.dst);
  const vars = v.lines.map((_f, i) => `FAR${i + 1}`);
  const far = otherOf31(b.address);
  return [
    {
      id: 'traffic.far-end-not-equalizing',
      severity: 'warning',
      bond: b.name,
      line: v.busiest.line,
      what:
        `${b.name} received ${Math.round(v.share * 100)}% of its traffic on ${v.busiest.line} while it sent ` +
        `evenly over ${v.lines.length} lines (${(secs).toFixed(1)} s)`,
      why:
        'your telco, or the far router, is not load balancing down to you: it sends everything for you over ' +
        `one line, so a single download gets one line's rate, ${one}, however many lines the bond has. In load ` +
        "balancing you can only control the outgoing direction (Sangoma's TEQL FAQ); both ends must equalize (LARTC)",
      fix: [
        note(
          `on the far router, the same TEQL over the same lines; first set ${vars.join(' ')} to its interfaces ` +
            `of ${v.lines.map((f) => f.line).join(', ')}`,
        ),
        cmd('modprobe', 'sch_teql'),
        ...vars.map((n) => `tc qdisc add dev "$${n}" root teql0`),
        far
          ? cmd('ip', 'addr', 'add', far, 'dev', 'teql0', 'noprefixroute')
          : note(`give its teql0 an address of ${b.address}'s network`),
        cmd('ip', 'link', 'set', 'dev', 'teql0', 'up'),
        ...(lans.length > 0
          ? lans.map((p) => cmd('ip', 'route', 'replace', p, 'dev', 'teql0'))
          : [note('route the networks behind this router to teql0: ip route replace NETWORK dev teql0')]),
        ...vars.map((n) => `sysctl -q -w "net/ipv4/conf/$${n}/rp_filter=0"`),
        cmd('sysctl', '-q', '-w', 'net/ipv4/conf/all/rp_filter=0'),
        note(
          'a Cisco at the far end: per-packet load sharing on each of the lines (interface command: ip ' +
            'load-sharing per-packet); a telco router: ask the telco for it',
        ),
      ],
    },
  ];
}

function unequal(x: DoctorInput, b: DesiredBond): Finding[] {
  if (!x.site || b.slaves.length < 2) return [];
  const rates = b.slaves.map((s) => ({ line: s.name, r: lineRate(x.site!, s.name) }));
  if (rates.some((v) => !('bps' in v.r))) return [];
  const bps = rates.map((v) => ('bps' in v.r ? v.r.bps : 0));
  const min = Math.min(...bps),
    max = Math.max(...bps);
  if (min === max) return [];
  const c = teqlCeiling(bps);
  const sorted = [...bps].sort((p, q) => q - p);
  const best = sorted.reduce((acc, r, i) => ((i + 1) * r > acc.bps ? { bps: (i + 1) * r, n: i + 1 } : acc), {
    bps: 0,
    n: 0,
  });
  const slow = rates.filter((_v, i) => (bps[i] as number) < (sorted[best.n - 1] as number)).map((v) => v.line);
  const unusable = max / min >= UNUSABLE_RATIO;
  const out = best.bps > c.ceilingBps && slow.length === 1 ? removeLine(x, b.name, slow[0] as string) : undefined;
  return [
    {
      id: 'traffic.unequal-lines',
      severity: unusable ? 'error' : 'warning',
      bond: b.name,
      what:
        `${b.name}'s lines differ in speed: ` +
        `${rates.map((v, i) => `${v.line} ${kbit(bps[i] as number)}`).join(', ')}`,
      why:
        'TEQL hands every line the same number of packets, so a bond runs at N x its slowest line: ' +
        `${kbit(c.ceilingBps)} of the ${kbit(c.sumBps)} these lines add up to (${Math.round(c.ratio * 100)}%); ` +
        `the same lines equalized would carry ${(c.sumBps / c.ceilingBps).toFixed(2)}x as much` +
        (best.bps > c.ceilingBps ? `. Without ${slow.join(', ')} the bond carries ${kbit(best.bps)}` : '') +
        (unusable
          ? `. Lines ${UNUSABLE_RATIO}x apart or more make TEQL unusable: packets arrive far out of order`
          : ''),
      fix: [
        note(
          `bond them by weight instead, at about ${kbit(c.sumBps)} (${(c.sumBps / c.ceilingBps).toFixed(2)}x): ` +
            `in ${x.desired.settingsFile}, rename [${b.name}] to [wbond${b.index}] (a weighted bond, ` +
            'docs/WEIGHTED.md), then wanbond down and wanbond up',
        ),
        note(
          'or have the telco give every line the same timeslots (ACTIVE_CH), or leave the slow ' +
            `line${slow.length > 1 ? 's' : ''} out:`,
        ),
        ...(out?.fix ?? [note(`in [${b.name}] of ${x.desired.settingsFile}: slaves = the lines of equal speed`)]),
      ],
      ...(out?.interrupts ? { interrupts: out.interrupts } : {}),
    },
  ];
}

function dropping(x: DoctorInput, b: DesiredBond): Finding[] {
  const secs = (windowMs(x) / 1000).toFixed(1);
  const bad = b.slaves.flatMap((s) => {
    const d = delta(x, s.name, 'txDropped'),
      te = delta(x, s.name, 'txErrors'),
      re = delta(x, s.name, 'rxErrors');
    if (d === undefined || te === undefined || re === undefined || d + te + re === 0) return [];
    return [{ line: s.name, d, e: te + re }];
  });
  // Every line dropping together is congestion on the bond, not a line to blame.
  if (bad.length === 0 || bad.length === b.slaves.length) return [];
  return bad.map(({ line, d, e }) => {
    const i = siteIface(x, line);
    return {
      id: 'traffic.line-dropping',
      severity: 'warning' as const,
      bond: b.name,
      line,
      what:
        `${line} ` +
        [
          d > 0 ? `dropped ${d} packet${d === 1 ? '' : 's'}` : '',
          e > 0 ? `counted ${e} error${e === 1 ? '' : 's'}` : '',
        ]
          .filter(Boolean)
          .join(' and ') +
        ` in ${secs} s; the other lines none`,
      why:
        i?.visibility === 'none'
          ? `a driver that does not take its interface down counts what it cannot send as dropped: ${line}'s ` +
            'line is likely dead while TEQL still hands it its share'
          : 'every packet lost there is one TCP must send again, and the whole bond slows down for it',
      fix: [
        ...(i
          ? [cmd('wanpipemon', '-i', monitorIface(i), '-c', 'sc'), cmd('wanpipemon', '-i', monitorIface(i), '-c', 'Ta')]
          : [cmd('ip', '-s', 'link', 'show', 'dev', line)]),
      ],
    };
  });
}

// Each bond kind takes the traffic rules that apply to it (src/bonds/<kind>/kind.ts): a per-connection
// bond receives by the uplink each connection was drawn, so neither equalizing nor rates apply to it;
// a weighted bond draws by rate already, so unequal lines are what it is for.
export { dropping as droppingRules, farEnd as farEndRules, unequal as unequalRules };
