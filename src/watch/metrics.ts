// The daemon's Prometheus metrics (prom-client). Every health number comes from the snapshot the
// daemon last wrote to health.json (the same LineSummary objects, the same moment), so a scrape and
// `wanbond status --json` agree; only the kernel's byte and packet counters (read from sysfs at
// scrape time) and the time spent in a state (now - since) are of the scrape's own moment.
// One Registry per daemon, never prom-client's global one; no collectDefaultMetrics: it starts
// perf_hooks.monitorEventLoopDelay (a 10 ms libuv timer: 100 wake-ups a second on an idle router)
// and a GC observer. The two memory figures worth having are read at scrape time instead.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { IFNAME_RE } from '../net/ipv4.js';
import type { HealthFile } from './health-file.js';
import { LINE_ALARMS, type ShownState } from './health.js';

/** unverified: in the ring on its link alone, its probe never answered (never counted as up). */
export const STATES: readonly ShownState[] = ['up', 'unverified', 'suspect', 'down', 'probation'];

/** A line's kernel counters (/sys/class/net/<line>/statistics). */
export interface NetCounters {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}
/** undefined: no such interface (or unreadable); its counter samples are left out. */
export type CounterReader = (ifname: string) => Promise<NetCounters | undefined>;

const FILES = { rxBytes: 'rx_bytes', txBytes: 'tx_bytes', rxPackets: 'rx_packets', txPackets: 'tx_packets' } as const;

/**
 * Reads the counters from sysfs. A name that is not a valid interface name (IFNAME_RE, as the
 * settings and the plan validate them) never becomes part of a path: no `..`, no `/`.
 */
export function sysfsCounters(o: { root?: string; read?: (file: string) => Promise<string> } = {}): CounterReader {
  const root = o.root ?? '/sys/class/net';
  const read = o.read ?? ((f: string) => fs.readFile(f, 'utf8'));
  return async (ifname) => {
    if (!IFNAME_RE.test(ifname)) return undefined;
    try {
      const out = {} as NetCounters;
      for (const [k, f] of Object.entries(FILES) as [keyof NetCounters, string][]) {
        const text = (await read(path.join(root, ifname, 'statistics', f))).trim();
        if (!/^\d+$/.test(text)) return undefined;
        out[k] = Number(text);
      }
      return out;
    } catch {
      return undefined; // the interface is gone (ENOENT) or was never there
    }
  };
}

export interface MetricsSource {
  /** The snapshot health.json was last written from (undefined: none yet, nothing is served). */
  snapshot: () => HealthFile | undefined;
  counters: CounterReader;
  now?: () => number;
  /** How long a line's counter read may take before the scrape goes on without it (default 2 s). */
  readBoundMs?: number;
}

/** The value, or undefined once `ms` have passed: a stuck read must not hold every later scrape queued behind it. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class WatchMetrics {
  /** This daemon's own registry: nothing else registers in it. */
  readonly registry = new Registry();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly g;

  constructor(private readonly src: MetricsSource) {
    const r = [this.registry];
    const line = ['bond', 'line'] as const;
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers: r });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers: r });
    this.g = {
      state: gauge(
        'wanbond_line_state',
        "The line's health state: 1 for the current one (up, unverified, suspect, down, probation), 0 for the " +
          'others. unverified: in the ring, but its probe has never answered.',
        ['bond', 'line', 'state'],
      ),
      inRing: gauge(
        'wanbond_line_in_ring',
        "The daemon keeps the line in its bond's TEQL ring (state up or suspect): 1, else 0.",
        line,
      ),
      suppressed: gauge(
        'wanbond_line_suppressed',
        'Flap damping keeps the line out until its penalty decays below reuse: 1, else 0.',
        line,
      ),
      penalty: gauge(
        'wanbond_line_penalty',
        "The line's flap-damping penalty (RFC 2439), decayed to when health.json was written.",
        line,
      ),
      stateSeconds: gauge('wanbond_line_state_seconds', 'Seconds since the line entered its current state.', line),
      flaps: counter(
        'wanbond_line_flaps_total',
        'Falls of the line (up, suspect or probation to down) since the daemon started.',
        line,
      ),
      rtt: gauge(
        'wanbond_line_probe_rtt_seconds',
        "Round trip of the line's last answered probe; absent before the first answer or without a probe.",
        line,
      ),
      loss: gauge(
        'wanbond_line_probe_loss_ratio',
        'Share of the recent settled probes that were lost (0 to 1); absent until enough probes have settled.',
        line,
      ),
      alarm: gauge(
        'wanbond_line_alarm',
        "T1 alarms and the device's Disconnected status: 1 while active, 0 otherwise.",
        ['bond', 'line', 'alarm'],
      ),
      rxBytes: counter(
        'wanbond_line_rx_bytes_total',
        "Bytes the line's interface received (kernel counter, read at scrape time).",
        line,
      ),
      txBytes: counter(
        'wanbond_line_tx_bytes_total',
        "Bytes the line's interface sent (kernel counter, read at scrape time).",
        line,
      ),
      rxPackets: counter(
        'wanbond_line_rx_packets_total',
        "Packets the line's interface received (kernel counter, read at scrape time).",
        line,
      ),
      txPackets: counter(
        'wanbond_line_tx_packets_total',
        "Packets the line's interface sent (kernel counter, read at scrape time).",
        line,
      ),
      active: gauge('wanbond_bond_active_lines', 'Lines of the bond judged fit for its ring (state up or suspect).', [
        'bond',
      ]),
      lines: gauge('wanbond_bond_lines', 'Lines configured in the bond.', ['bond']),
      allDown: gauge(
        'wanbond_bond_all_down',
        'Every line of the bond is down (all are left in the ring; TEQL skips the dead ones): 1, else 0.',
        ['bond'],
      ),
      actions: counter('wanbond_ring_changes_total', 'Ring changes the daemon applied since it started.', []),
      start: gauge(
        'wanbond_daemon_start_time_seconds',
        'When the daemon started, in seconds since the Unix epoch.',
        [],
      ),
      rss: gauge(
        'process_resident_memory_bytes',
        'Resident memory size of the daemon, in bytes (read at scrape time).',
        [],
      ),
      heap: gauge('nodejs_heap_size_used_bytes', 'V8 heap in use by the daemon, in bytes (read at scrape time).', []),
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text format; scrapes run one after the other, so one never sees another's half-set values. */
  scrape(): Promise<string> {
    const run = this.chain.then(() => this.render());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async render(): Promise<string> {
    const snap = this.src.snapshot();
    const names = snap ? snap.bonds.flatMap((b) => b.lines.map((l) => l.line)) : [];
    // Read every counter first: the values below are then set in one synchronous pass.
    const bound = this.src.readBoundMs ?? 2000;
    const counters = new Map(
      await Promise.all(names.map(async (n) => [n, await within(this.src.counters(n), bound)] as const)),
    );
    this.fill(snap, counters, (this.src.now ?? Date.now)());
    return this.registry.metrics();
  }

  private fill(snap: HealthFile | undefined, counters: Map<string, NetCounters | undefined>, now: number): void {
    const g = this.g;
    // Lines and bonds removed by a reload disappear with the reset.
    for (const m of Object.values(g)) m.reset();
    g.rss.set(process.memoryUsage.rss());
    g.heap.set(process.memoryUsage().heapUsed);
    if (!snap) return;
    g.start.set(Date.parse(snap.startedAt) / 1000);
    g.actions.inc(snap.actions);
    for (const b of snap.bonds) {
      const bond = b.teql;
      g.active.set({ bond }, b.lines.filter((l) => l.inRing).length);
      g.lines.set({ bond }, b.lines.length);
      g.allDown.set({ bond }, b.allDown ? 1 : 0);
      for (const l of b.lines) {
        const at = { bond, line: l.line };
        for (const state of STATES) g.state.set({ ...at, state }, l.state === state ? 1 : 0);
        g.inRing.set(at, l.inRing ? 1 : 0);
        g.suppressed.set(at, l.suppressed ? 1 : 0);
        g.penalty.set(at, l.penalty);
        g.stateSeconds.set(at, Math.max(0, (now - Date.parse(l.since)) / 1000));
        g.flaps.inc(at, l.flaps);
        if (l.rttMs !== null) g.rtt.set(at, l.rttMs / 1000);
        if (l.loss !== null) g.loss.set(at, l.loss);
        for (const alarm of LINE_ALARMS) g.alarm.set({ ...at, alarm }, l.alarms.includes(alarm) ? 1 : 0);
        const c = counters.get(l.line);
        if (!c) continue;
        g.rxBytes.inc(at, c.rxBytes);
        g.txBytes.inc(at, c.txBytes);
        g.rxPackets.inc(at, c.rxPackets);
        g.txPackets.inc(at, c.txPackets);
      }
    }
  }
}
