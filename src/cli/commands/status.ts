// The status table: per bond and line. Pure.
import type { KindName } from '../../bonds/kind.js';
import { kindNamed, kindOf } from '../../bonds/registry.js';
import { nftBlocker } from '../../bonds/weighted/plan.js';
import type { DesiredState, ObservedState } from '../../state/types.js';
import { ipv6Carriers, type Ipv6Carrier } from '../../state/ipv6.js';
import { split, type CounterReading } from '../../state/split.js';
import { daemonLineOf, type DaemonView } from '../../watch/health-file.js';
import type { LineSummary } from '../../watch/health.js';
import { table } from '../table.js';

export interface LineStatus {
  name: string;
  admin: 'up' | 'down' | 'missing';
  oper: string;
  carrier: boolean;
  enslaved: boolean;
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  /**
   * Its part of the bytes the bond's members sent over the bond's `shareIntervalMs` (the split now, not since
   * boot); null out of the bond, when the members sent nothing then, or when not measured.
   */
  share: number | null;
  /** What it sent over that interval, in bits per second; null when not measured. */
  txBitsPerSecond: number | null;
  errors: number;
  dropped: number;
  /** stale: the device's driver still runs a configuration older than its file (DYN_INTR_CFG as it read it then). */
  driverConfig: { stale: boolean; dynIntrCfgInDriver: 'YES' | 'NO' | null; since: string | null };
  /** What the watch daemon judges of the line; null when no daemon runs. */
  health: Omit<LineSummary, 'line'> | null;
  /**
   * Weighted and per-connection bonds: the line's share of the draw now (packets, or new connections); null
   * for TEQL.
   */
  draw: number | null;
  /** A per-connection bond's uplink: its address (SNAT) and gateway; null otherwise. */
  uplink: { address: string; gateway: string } | null;
  /** A per-connection uplink held out of the draw for not holding its address: what, why, the fix; null otherwise. */
  heldOut: { what: string; why: string; hint: string } | null;
}
export interface BondStatus {
  teql: string;
  kind: KindName;
  present: boolean;
  /** A per-connection bond: new connections by weight or by measured load; null otherwise. */
  balance: 'weight' | 'load' | null;
  up: boolean;
  address: string;
  addressPresent: boolean;
  /** Why wanbond cannot read the bond now, with the fix (a bond nftables draws, nft cannot list); null otherwise. */
  problem: string | null;
  /** A DSL-router site's gateway, which the bond's routes go via; null without one. */
  gateway: string | null;
  routes: { to: string; present: boolean }[];
  lines: LineStatus[];
  /** The interval the lines' `share` was measured over (two readings of the counters); null when not measured. */
  shareIntervalMs: number | null;
  /** Lines carrying IPv6 beside the bond (wanbond bonds IPv4 only), and what; null when IPv6 was not read. */
  ipv6Unbonded: Ipv6Carrier[] | null;
  /**
   * The watch daemon: running (and whether its heartbeat is recent), or why not; metrics: where it serves
   * Prometheus metrics (host:port), or null.
   */
  watch: {
    running: boolean;
    pid: number | null;
    updatedAt: string | null;
    stale: boolean;
    why: string | null;
    allDown: boolean;
    metrics: string | null;
  };
}

/**
 * counters: two readings of the links' counters, for the split now; without them every share is null. The
 * first is usually `o`'s own links.
 */
export function bondStatus(
  d: DesiredState,
  o: ObservedState,
  daemon?: DaemonView,
  counters?: { before: CounterReading; after: CounterReading },
): BondStatus[] {
  return d.bonds.map((b) => {
    const kind = kindOf(b);
    const t = kind.presence(b, o);
    const held = kind.heldOut(b, o, d.settingsFile);
    const lines: LineStatus[] = b.slaves.map((s) => {
      const l = o.links.find((x) => x.name === s.name);
      const st = l?.stats;
      const stale = s.device ? o.staleDrivers.find((x) => x.device === s.device) : undefined;
      return {
        name: s.name,
        admin: !l ? 'missing' : l.flags.includes('UP') ? 'up' : 'down',
        oper: l?.operstate ?? '-',
        carrier: l?.flags.includes('LOWER_UP') === true,
        enslaved: kind.member(b, o, s.name).in,
        txPackets: st?.txPackets ?? 0,
        txBytes: st?.txBytes ?? 0,
        rxPackets: st?.rxPackets ?? 0,
        rxBytes: st?.rxBytes ?? 0,
        share: null,
        txBitsPerSecond: null,
        errors: (st?.txErrors ?? 0) + (st?.rxErrors ?? 0),
        dropped: (st?.txDropped ?? 0) + (st?.rxDropped ?? 0),
        driverConfig: stale
          ? { stale: true, dynIntrCfgInDriver: stale.driver[s.name] ?? 'NO', since: stale.since }
          : { stale: false, dynIntrCfgInDriver: null, since: null },
        health: healthOf(daemon, b.name, s.name),
        draw: kind.member(b, o, s.name).draw,
        uplink: (() => {
          const u = b.uplinks?.find((x) => x.name === s.name);
          return u ? { address: u.address, gateway: u.gateway } : null;
        })(),
        heldOut: held.find((x) => x.name === s.name)?.text ?? null,
      };
    });
    const current = counters
      ? split(
          counters.before,
          counters.after,
          lines.map((x) => ({ name: x.name, member: x.enslaved })),
        )
      : undefined;
    lines.forEach((x, i) => {
      x.share = current?.lines[i]?.share ?? null;
      x.txBitsPerSecond = current?.lines[i]?.txBitsPerSecond ?? null;
    });
    const blocked = kind.drawnByNft && o.policy ? nftBlocker(o) : undefined;
    return {
      problem: blocked ? `${blocked.why}; fix: ${blocked.hint}` : null,
      teql: b.name,
      present: t.present,
      up: t.up,
      address: b.address,
      gateway: b.gateway ?? null,
      addressPresent: kind.addressPresent(b, o),
      balance: b.balance ?? null,
      routes: b.routes.map((r) => ({ to: r.to, present: kind.routed(b, o, r.to) })),
      lines,
      shareIntervalMs: current ? current.intervalMs : null,
      kind: b.kind,
      ipv6Unbonded: o.ipv6 ? ipv6Carriers(b, o) : null,
      watch: daemon?.running
        ? {
            running: true,
            pid: daemon.file.pid,
            updatedAt: daemon.file.updatedAt,
            stale: daemon.stale,
            why: null,
            allDown: daemon.file.bonds.find((x) => x.teql === b.name)?.allDown === true,
            metrics: daemon.file.metrics ?? null,
          }
        : {
            running: false,
            pid: null,
            updatedAt: daemon?.file?.updatedAt ?? null,
            stale: false,
            why: daemon?.why ?? 'not read',
            allDown: false,
            metrics: null,
          },
    };
  });
}

function healthOf(daemon: DaemonView | undefined, teql: string, line: string): LineStatus['health'] {
  const h = daemonLineOf(daemon, teql, line);
  if (!h) return null;
  const { line: _l, ...rest } = h;
  return rest;
}

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)}m`
      : s < 172_800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86_400)}d`;
}

const human = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)}G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)}M`
      : n >= 1e4
        ? `${(n / 1e3).toFixed(0)}k`
        : String(n);

export function formatStatus(bonds: BondStatus[], now = Date.now()): string {
  return bonds
    .map((b) => {
      const k = kindNamed(b.kind);
      const kind = k.label(b);
      // A bond without a device of its own has its lines' addresses (a per-connection bond's uplinks).
      const where = !k.ownDevice
        ? `uplinks ${b.lines.map((l) => `${l.name} ${l.uplink?.address} via ${l.uplink?.gateway}`).join(', ')}` +
          `${b.addressPresent ? '' : ' (an address missing)'}`
        : `address ${b.address}${b.addressPresent ? '' : ' (missing)'}`;
      const state = b.problem ? `unknown (${b.problem})` : !b.present ? k.absent : b.up ? 'up' : 'down';
      const routes = b.routes.map((r) => `${r.to}${r.present ? '' : ' (missing)'}`).join(', ') || 'none';
      const head = `${b.teql}${kind}: ${state}, ${where}, routes ${routes}${b.gateway ? ` via ${b.gateway}` : ''}\n`;
      const w = b.watch;
      const watchLine = w.running
        ? `  watch: running (pid ${w.pid}, last heard ${ago(w.updatedAt ?? '', now)} ago` +
          `${w.stale ? ': NOT ANSWERING, check journalctl -u wanbond-watch' : ''}` +
          `${w.metrics ? `; metrics at http://${w.metrics}/metrics` : ''})` +
          `${w.allDown ? '; EVERY LINE IS DOWN' : ''}\n`
        : `  watch: not running (${w.why}); health below is what the kernel shows, no daemon judges it\n`;
      const stale = b.lines.filter((l) => l.driverConfig.stale);
      const foot = stale
        .map(
          (l) =>
            `  ${l.name}: its driver still runs the configuration it read before ${l.driverConfig.since} ` +
            `(DYN_INTR_CFG ${l.driverConfig.dynIntrCfgInDriver} there): ` +
            `restart its device, or run wanbond up\n`,
        )
        .join('');
      const held = b.lines.map((l) => (l.heldOut ? `  ${l.heldOut.what}\n    fix: ${l.heldOut.hint}\n` : '')).join('');
      const v6 = b.ipv6Unbonded ?? [];
      const ipv6Line =
        v6.length === 0
          ? ''
          : `  ipv6: ${v6.map((c) => c.line).join(', ')} ${v6.length > 1 ? 'carry' : 'carries'} IPv6` +
            ' that wanbond neither bonds nor fails over (see wanbond doctor)\n';
      const reasons =
        held +
        b.lines
          .filter((l) => l.health && l.health.state !== 'up')
          .map((l) => `  ${l.name}: ${l.health!.state} since ${l.health!.since}: ${l.health!.reason}\n`)
          .join('');
      return (
        head +
        watchLine +
        table(
          [
            'line',
            'health',
            'since',
            'penalty',
            'admin',
            'oper',
            'carrier',
            k.memberWord,
            'tx pkts',
            'tx bytes',
            b.shareIntervalMs === null ? 'share' : `share ${(b.shareIntervalMs / 1000).toFixed(1)}s`,
            'rx pkts',
            'rx bytes',
            'errors',
            'dropped',
          ],
          b.lines.map((l) => [
            l.name + (l.driverConfig.stale ? '*' : ''),
            l.health ? l.health.state + (l.health.suppressed ? ' (suppressed)' : '') : '-',
            l.health ? ago(l.health.since, now) : '-',
            l.health ? String(l.health.penalty) : '-',
            l.admin,
            l.oper,
            l.carrier ? 'yes' : 'NO',
            l.enslaved ? (l.draw !== null && k.drawShown ? `${(l.draw * 100).toFixed(0)}%` : 'yes') : 'NO',
            human(l.txPackets),
            human(l.txBytes),
            l.share === null ? '-' : `${(l.share * 100).toFixed(1)}%`,
            human(l.rxPackets),
            human(l.rxBytes),
            String(l.errors),
            String(l.dropped),
          ]),
        ) +
        reasons +
        foot +
        ipv6Line
      );
    })
    .join('\n');
}

/** Bonds `up` set up in this boot that the settings no longer have, until `up` takes them down. */
export function formatRemoved(bonds: readonly string[]): string {
  return bonds
    .map(
      (b) =>
        `\n${b}: no longer in the settings, but still set up by \`wanbond up\` earlier in this boot: ` +
        '`wanbond up` takes it down\n',
    )
    .join('');
}
