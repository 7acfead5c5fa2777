// `wanbond watch`: converge like `up`, then keep every line's health from every signal (kernel link
// events, the card's /proc files, a probe bound to the line) and keep each bond's ring to the lines
// that work, through the engine (same lock, plan, apply, verify, record). The pure parts are
// health.ts (one line's state machine) and ring.ts (which lines, which plan); converge.ts is one
// change through the engine, probes.ts and alarms.ts the signals, metrics-endpoint.ts the Prometheus
// endpoint (metrics.ts, metrics-server.ts); this file is the wiring.
import { kindOf } from '../bonds/registry.js';
import type { DesiredBond } from '../state/types.js';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { RemovedLine, RingDecision } from './ring.js';
import { converge, lostTable, WIDTH, type Mode } from './converge.js';
import {
  DEFAULT_HEALTH,
  initialHealth,
  nextDeadline,
  step,
  summary,
  type HealthConfig,
  type LineHealth,
  type Signal,
  type Transition,
} from './health.js';
import { HEARTBEAT_MS, writeHealthFile, type HealthFile } from './health-file.js';
import { parseAddressLine, parseMonitorLine } from './parse.js';
import { SupervisedChild } from './child.js';
import { Probes, pingUnusable } from './probes.js';
import { readAlarms } from './alarms.js';
import { probeTarget } from '../config/probe-target.js';
import { sysfsCounters, type CounterReader } from './metrics.js';
import { LOAD_INTERVAL_MS, loadWeights, smoothRate, withLoadWeights } from '../bonds/per-connection/load.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import { BusyError } from '../exec/lock.js';
import { describe } from '../plan/steps.js';
import type { Context } from '../cli/context.js';
import type { Io } from '../cli/io.js';
import { staleWarning, upLocked, withLock } from '../cli/commands/engine.js';
import { WanbondError } from '../errors.js';
import type { Log } from '../log.js';

export interface WatchOptions {
  build: () => Promise<Context>;
  io: Io;
  log: Log;
  /** The programs the daemon keeps running (tests and the lab may point elsewhere). */
  ip?: string;
  ping?: string;
  /** Off in tests that drive reloads themselves. */
  watchFiles?: boolean;
  /** The lines' kernel counters for the metrics (default: /sys/class/net). */
  counters?: CounterReader;
}

/**
 * How often wanbond's nftables table is checked between line events: a firewall reload (`nft flush
 * ruleset`) removes it without an event, and per-connection bonds then leave without SNAT until it is back.
 */
export const TABLE_CHECK_MS = 2000;

const errText = (e: unknown) =>
  e instanceof WanbondError ? `${e.message} (fix: ${e.hint})` : e instanceof Error ? e.message : String(e);

export class WatchDaemon {
  private ctx!: Context;
  private cfg: HealthConfig = DEFAULT_HEALTH;
  private readonly health = new Map<string, LineHealth>();
  private readonly bondOf = new Map<string, string>();
  private readonly probes: Probes;
  /** Why the probes are off (no usable ping), or undefined. */
  private probeOff: string | undefined;
  private monitor: SupervisedChild | undefined;
  private files: FSWatcher | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private tickTimer: NodeJS.Timeout | undefined;
  private alarmBusy = false;
  private acting: Promise<void> | undefined;
  private again = false;
  /** The widest convergence asked for since the last one ran. */
  private nextMode: Mode = 'ring';
  private retryMs = 0;
  private removed: RemovedLine[] = [];
  private allDown = new Set<string>();
  private skippedSaid = new Set<string>();
  private unprobedSaid = '';
  private foreignSaid = '';
  /** Lines held out for a problem of their own, with what was said of them (an uplink's addresses then). */
  private heldSaid = new Map<string, { said: string; back: string; backText: string }>();
  /** Per resync in flight: the lines an event spoke of meanwhile (the event is newer than the read). */
  private readonly resyncs = new Set<Set<string>>();
  private alarmTimer: NodeJS.Timeout | undefined;
  private pendingHup = false;
  private started = false;
  /** Far-end addresses the kernel showed (a peer address), for lines with no configured target. */
  private readonly kernelPeers = new Map<string, string>();
  private stopping = false;
  private stopped!: () => void;
  private readonly startedAt = new Date().toISOString();
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly onProcessError = (e: unknown) =>
    this.o.log.error({ err: e }, 'unexpected error in the watch daemon; it keeps running');
  /** Ring changes done, for the log and the lab. */
  actions = 0;
  /** What health.json was last written from: the metrics serve exactly these numbers. */
  private lastSnapshot: HealthFile | undefined;
  private readonly metrics: MetricsEndpoint;
  /** balance = load: each uplink's last counter and smoothed rate, and each bond's weights now. */
  private readonly loadLast = new Map<string, { bytes: number; at: number }>();
  private readonly loadRate = new Map<string, number>();
  private readonly loadWeights = new Map<string, Map<string, number>>();
  private loadBusy = false;
  private tableBusy = false;
  private tableErrSaid = '';

  constructor(private readonly o: WatchOptions) {
    this.metrics = new MetricsEndpoint({
      log: o.log,
      snapshot: () => this.lastSnapshot,
      ...(o.counters ? { counters: o.counters } : {}),
    });
    this.probes = new Probes({
      ping: o.ping ?? 'ping',
      log: o.log,
      intervalMs: () => this.cfg.probeIntervalMs,
      signal: (line, sig) => this.feed(line, sig),
    });
  }

  private get log(): Log {
    return this.o.log;
  }

  /** Runs until SIGTERM/SIGINT (or stop()); the bond is left as it is. */
  async run(): Promise<number> {
    // A reload asked for before the daemon runs (while it reads its configuration, or while `up` runs)
    // waits for it: SIGHUP's default would kill the process, and systemd's Restart=on-failure takes
    // that for a clean exit. So the handler comes first, before anything is awaited.
    const hup = () => {
      if (!this.started) {
        this.pendingHup = true;
        return;
      }
      this.log.info({ event: 'reload', why: 'SIGHUP' }, 'reloading the configuration');
      void this.reload('SIGHUP');
    };
    process.on('SIGHUP', hup);
    // At start, exactly what `up` does (device restarts included), under the same lock.
    try {
      this.ctx = await this.o.build();
      this.cfg = this.ctx.settings.watch.health;
      await withLock(this.ctx, 'watch (start)', () => upLocked(this.ctx, this.o.io));
    } catch (e) {
      process.off('SIGHUP', hup);
      throw e;
    }
    const done = new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
    process.on('uncaughtException', this.onProcessError);
    process.on('unhandledRejection', this.onProcessError);
    const term = (sig: NodeJS.Signals) => {
      this.log.info({ event: 'stop', signal: sig }, 'stopping; the bonds stay as they are');
      void this.stop();
    };
    process.on('SIGTERM', term);
    process.on('SIGINT', term);
    this.probeOff = await pingUnusable(this.o.ping ?? 'ping');
    if (this.probeOff)
      this.log.error(
        { event: 'probes-off', why: this.probeOff },
        `no probes: ${this.probeOff}; install iputils-ping (the daemon needs its -O); ` +
          `lines are watched by their link and the card's alarms only, a silent failure goes unseen`,
      );
    try {
      this.initLines(this.ctx);
      this.monitor = new SupervisedChild({
        // Addresses too: a per-connection uplink given another address (DHCP, PPPoE) leaves the draw,
        // and rejoins with its own.
        file: this.o.ip ?? 'ip',
        args: ['-o', 'monitor', 'link', 'address'],
        log: this.log,
        onLine: (l, stream) => {
          if (stream === 'stdout') this.onMonitorLine(l);
        },
        // Whatever happened while no monitor ran is read whole from the kernel after each start.
        // ip monitor subscribes a moment after it starts: a second read a second later closes that gap.
        onStart: (restarts) => {
          void this.resyncLinks(restarts);
          this.later(1000, () => this.resyncLinks(0));
        },
      });
      this.monitor.start();
      this.startAlarmPoll();
      this.every(HEARTBEAT_MS, () => this.writeHealth());
      this.every(LOAD_INTERVAL_MS, () => this.measureLoad());
      this.every(TABLE_CHECK_MS, () => this.checkTable());
      if (this.o.watchFiles !== false) this.watchFiles();
      // The first snapshot exists before the first scrape can ask for it.
      await this.writeHealth();
      await this.syncMetrics();
      this.log.info(
        { event: 'started', lines: [...this.health.keys()], bonds: this.ctx.desired.bonds.map((b) => b.name) },
        'watching',
      );
      this.started = true;
      if (this.pendingHup) {
        this.pendingHup = false;
        void this.reload('SIGHUP during start');
      }
      await done;
    } finally {
      process.off('SIGTERM', term);
      process.off('SIGINT', term);
      process.off('SIGHUP', hup);
      process.off('uncaughtException', this.onProcessError);
      process.off('unhandledRejection', this.onProcessError);
    }
    return 0;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    if (this.alarmTimer) clearInterval(this.alarmTimer);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    // No scrape during the teardown; the last health file says metrics: null.
    await this.metrics.close();
    // A ring change under way finishes (never left half done); bounded by the engine's own timeouts.
    await this.acting?.catch(() => undefined);
    await Promise.all([this.monitor?.stop(), this.probes.stop()]);
    await this.files?.close().catch(() => undefined);
    await this.writeHealth(new Date().toISOString());
    this.stopped();
  }

  /** The monitor's pid, for the lab's test that kills it. */
  get monitorPid(): number | undefined {
    return this.monitor?.pid;
  }

  /** (Again, after a reload: alarm_poll may have changed.) */
  private startAlarmPoll(): void {
    if (this.alarmTimer) clearInterval(this.alarmTimer);
    this.alarmTimer = setInterval(() => {
      void this.pollAlarms().catch(this.onProcessError);
    }, this.ctx.settings.watch.alarmPollMs);
  }

  private every(ms: number, f: () => Promise<void> | void): void {
    this.timers.add(
      setInterval(() => {
        void Promise.resolve().then(f).catch(this.onProcessError);
      }, ms),
    );
  }

  private initLines(ctx: Context): void {
    const now = Date.now();
    const want = new Map<string, string>();
    for (const b of ctx.desired.bonds) for (const s of b.slaves) want.set(s.name, b.name);
    for (const [name, teql] of want) {
      if (!this.health.has(name))
        this.health.set(name, initialHealth(name, now, this.probeOff === undefined ? this.targetFor(name) : undefined));
      this.bondOf.set(name, teql);
    }
    for (const name of [...this.health.keys()]) {
      if (want.has(name)) continue;
      this.health.delete(name);
      this.bondOf.delete(name);
      void this.probes.stop(name);
    }
  }

  /** The far end a line's probe asks: settings, then the wanpipe interfaces/ file, then the kernel's peer address. */
  private targetFor(name: string): string | undefined {
    return probeTarget(this.ctx.settings, this.ctx.site, name, this.kernelPeers.get(name));
  }

  private feed(line: string, sig: Signal): void {
    const h = this.health.get(line);
    if (!h) return;
    if (sig.kind === 'tick' && this.probes.paused) return; // held probes are not silence
    const { next, transitions } = step(h, sig, Date.now(), this.cfg);
    this.health.set(line, next);
    if (next.suppressed !== h.suppressed) {
      const rec = {
        event: next.suppressed ? 'suppressed' : 'reused',
        line,
        bond: this.bondOf.get(line),
        flaps: next.flaps,
        penalty: Math.round(next.penalty),
      };
      this.log.warn(
        rec,
        next.suppressed
          ? `${line}: flapping (${next.flaps} flaps, penalty ${rec.penalty}): kept out of the ring until it calms down`
          : `${line}: calm again, may rejoin`,
      );
    }
    for (const t of transitions) this.logTransition(t);
    if (transitions.some((t) => inRingState(t.from) !== inRingState(t.to))) this.requestAction();
    if (transitions.length > 0) void this.writeHealth();
    this.scheduleTick();
  }

  private logTransition(t: Transition): void {
    const rec = {
      event: 'health',
      line: t.line,
      bond: this.bondOf.get(t.line),
      from: t.from,
      to: t.to,
      signal: t.signal,
      reason: t.reason,
      values: t.values,
    };
    if (t.to === 'down') this.log.warn(rec, `${t.line}: ${t.from} -> down: ${t.reason}`);
    else this.log.info(rec, `${t.line}: ${t.from} -> ${t.to}: ${t.reason}`);
  }

  private scheduleTick(): void {
    if (this.stopping) return;
    const now = Date.now();
    const ds = [...this.health.values()]
      .map((h) => nextDeadline(h, now, this.cfg))
      .filter((x): x is number => x !== undefined);
    // Bounded: even with nothing due, every line is judged again within a second.
    const at = Math.min(now + 1000, ...ds);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(
      () => {
        this.tickTimer = undefined;
        for (const line of [...this.health.keys()]) this.feed(line, { kind: 'tick' });
        this.scheduleTick();
      },
      Math.max(1, at - now),
    );
  }

  // --- kernel link events -------------------------------------------------------------------------

  private onMonitorLine(text: string): void {
    const ev = parseMonitorLine(text);
    if (!ev) {
      const a = parseAddressLine(text);
      const uplink = (name: string) =>
        this.ctx.desired.bonds.some((b) => kindOf(b).watchesAddresses && b.slaves.some((s) => s.name === name));
      if (a?.family === 'inet' && uplink(a.name)) this.requestAction('ring');
      return;
    }
    // A renamed interface gets no Deleted under its old name: the old name is gone all the same.
    for (const [name, h] of this.health) {
      if (name !== ev.name && h.link?.present && h.link.ifindex === ev.ifindex && !ev.deleted) {
        this.feed(name, { kind: 'link', present: false, up: false, carrier: false });
        this.syncProbe(name, undefined);
      }
    }
    if (!this.health.has(ev.name)) return;
    for (const t of this.resyncs) t.add(ev.name);
    this.feed(ev.name, {
      kind: 'link',
      present: !ev.deleted,
      ifindex: ev.ifindex,
      up: !ev.deleted && ev.up,
      carrier: !ev.deleted && ev.carrier,
    });
    // ping cannot start on an interface that is down (it exits); it starts again when the interface is up.
    this.syncProbe(ev.name, ev.deleted || !ev.up ? undefined : ev.ifindex);
  }

  private async resyncLinks(restarts: number): Promise<void> {
    const touched = new Set<string>();
    this.resyncs.add(touched);
    try {
      const o = await this.ctx.observe();
      for (const a of o.addrs) if (a.peer && this.health.has(a.dev)) this.kernelPeers.set(a.dev, a.peer);
      for (const name of this.health.keys()) {
        // An event newer than this read already said more.
        if (touched.has(name)) continue;
        const l = o.links.find((x) => x.name === name);
        this.feed(
          name,
          l
            ? {
                kind: 'link',
                present: true,
                ifindex: l.ifindex,
                up: l.flags.includes('UP'),
                carrier: l.flags.includes('LOWER_UP'),
              }
            : { kind: 'link', present: false, up: false, carrier: false },
        );
        this.syncProbe(name, l?.flags.includes('UP') ? l.ifindex : undefined);
      }
      if (restarts > 0)
        this.log.warn(
          { event: 'monitor-restarted', restarts },
          'the link monitor was restarted; the kernel was read again whole',
        );
      const unprobed = [...this.health.keys()].filter(
        (n) => this.probeOff !== undefined || this.targetFor(n) === undefined,
      );
      const said = unprobed.join(',');
      if (unprobed.length > 0 && said !== this.unprobedSaid) {
        this.log.warn(
          { event: 'unprobed', lines: unprobed },
          `${unprobed.join(', ')}: no probe (no far end known: set probe.<line> in [watch]; ` +
            `or turned off; or no usable ping): ` +
            `watched by link state and the card's alarms only, a silent failure goes unseen`,
        );
      }
      this.unprobedSaid = said;
      // After a restart of the monitor the bonds may have drifted while nothing watched (a line
      // recreated, a slave removed by hand): they are converged whole. At start `up` just did that.
      if (restarts > 0) this.requestAction('bond');
      // `up` drew the lines the kernel showed working at its moment; one that got its carrier since
      // is up to the daemon's judgement, which no transition would bring to the ring: one pass does.
      else this.requestAction('ring');
    } catch (e) {
      this.log.error({ err: errText(e) }, 'cannot read the kernel after starting the link monitor; retrying in 1 s');
      this.later(1000, () => this.resyncLinks(restarts));
    } finally {
      this.resyncs.delete(touched);
    }
  }

  private later(ms: number, f: () => Promise<void> | void): void {
    if (this.stopping) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void Promise.resolve().then(f).catch(this.onProcessError);
    }, ms);
    this.timers.add(t);
  }

  // --- probes ------------------------------------------------------------------------------------

  /**
   * The line's probe: bound to its interface (or marked for its table, as its kind says) while that is up, to the
   * far end the configuration or the kernel names.
   */
  private syncProbe(name: string, ifindex: number | undefined): void {
    if (this.stopping || this.probeOff !== undefined) return;
    const b = this.ctx.desired.bonds.find((x) => x.slaves.some((s) => s.name === name));
    const mark = b ? kindOf(b).probeMark?.(b, name) : undefined;
    this.probes.sync(name, ifindex, ifindex === undefined ? undefined : this.targetFor(name), mark);
  }

  // --- the card's /proc files -------------------------------------------------------------------

  private async pollAlarms(): Promise<void> {
    if (this.alarmBusy || this.stopping) return;
    const site = this.ctx.site;
    if (!site) return;
    this.alarmBusy = true;
    // A read of /proc that hangs (a wedged driver) is reported; the next poll waits until it returns.
    const slow = setTimeout(
      () =>
        this.log.warn(
          { event: 'proc-slow', proc: this.ctx.wanrouterProc },
          `reading ${this.ctx.wanrouterProc} takes more than 5 s; the card's alarms are not read meanwhile`,
        ),
      5000,
    );
    try {
      const deviceOf = (n: string) => site.interfaces.find((i) => i.name === n)?.device;
      const devices = [...new Set([...this.health.keys()].map(deviceOf).filter((d): d is string => d !== undefined))];
      const alarms = await readAlarms(this.ctx.runner, this.ctx.wanrouterProc, devices);
      for (const line of [...this.health.keys()]) {
        const a = alarms.get(deviceOf(line) ?? '');
        if (a) this.feed(line, { kind: 'alarms', active: a.active, counters: a.counters });
      }
    } catch (e) {
      this.log.error({ err: errText(e) }, 'reading /proc/net/wanrouter failed');
    } finally {
      clearTimeout(slow);
      this.alarmBusy = false;
    }
  }

  // --- ring changes through the engine ------------------------------------------------------------

  private requestAction(mode: Mode = 'ring'): void {
    if (WIDTH[mode] > WIDTH[this.nextMode]) this.nextMode = mode;
    if (this.stopping) return;
    if (this.acting) {
      this.again = true;
      return;
    }
    this.acting = (async () => {
      try {
        do {
          this.again = false;
          const m = this.nextMode;
          this.nextMode = 'ring';
          await this.converge(m);
        } while (this.again && !this.stopping);
      } finally {
        this.acting = undefined;
      }
    })();
  }

  /** A failed change is tried again later; a failed wide one must not hold up the lines' own changes meanwhile. */
  private retryLater(mode: Mode, ms: number): void {
    this.later(ms, () => this.requestAction(mode));
    if (mode !== 'ring') this.later(0, () => this.requestAction('ring'));
  }

  private async converge(mode: Mode): Promise<void> {
    const t0 = Date.now();
    try {
      const removed = this.removed;
      const r = await converge(this.ctx, {
        mode,
        health: this.health,
        removed,
        io: this.o.io,
        log: this.log,
        desired: withLoadWeights(this.ctx.desired, this.loadWeights),
        decided: (d) => this.noteDecision(d),
        hold: () => this.probes.pause(),
        release: () => this.probes.resume(),
      });
      // A reload during the change may have added more: only those this change handled are done.
      this.removed = this.removed.filter((x) => !removed.includes(x));
      this.retryMs = 0;
      // A line moving between bonds joins its new bond once the old one has let it go: one more pass.
      if (removed.length > 0 && r.decision.foreign.some((f) => removed.some((x) => x.name === f.line)))
        this.requestAction('bond');
      if (r.done.length === 0) return;
      this.actions++;
      const table = r.done.find((s) => s.kind === 'nft-table');
      if (table && r.lost.length > 0) {
        const bonds = table.bonds.map((b) => b.bond);
        this.log.warn(
          { event: 'rebuilt', missing: r.lost, bonds, out: [...r.decision.out] },
          `wanbond's nftables table rebuilt (a firewall reload? it lacked ${r.lost.join(', ')}): ` +
            `${bonds.join(', ')} drawn again`,
        );
      }
      // TEQL: a slave detached or attached; a weighted bond: a line no longer drawn, or drawn again.
      const left = r.done.flatMap((s) =>
        s.kind === 'detach-slave'
          ? [s.dev]
          : s.kind === 'nft-stripe'
            ? s.wasInRing.filter((l) => !s.bond.inRing.includes(l))
            : [],
      );
      const joined = r.done.flatMap((s) =>
        s.kind === 'attach-slave'
          ? [s.dev]
          : s.kind === 'nft-stripe'
            ? s.bond.inRing.filter((l) => !s.wasInRing.includes(l))
            : [],
      );
      const ms = Date.now() - t0;
      const moved = [...left.map((l) => `${l} left the ring`), ...joined.map((l) => `${l} rejoined the ring`)];
      this.log.info(
        { event: 'ring', mode, left, joined, steps: r.done.map(describe), ms, out: [...r.decision.out] },
        `${moved.join(', ') || 'bond converged'} (${ms} ms)`,
      );
      if (mode === 'bond' && r.last) staleWarning(r.last.staleDrivers, this.o.io);
    } catch (e) {
      // Never a tight loop: the next try waits longer each time, to a bound. A busy lock is tried again in a second.
      this.retryMs = e instanceof BusyError ? 1000 : Math.min(30_000, Math.max(1000, this.retryMs * 2));
      this.log.error(
        { err: errText(e), mode, retryInMs: this.retryMs },
        e instanceof BusyError
          ? 'another wanbond holds the lock; trying again'
          : 'changing the bond failed (rolled back); trying again',
      );
      this.retryLater(mode, this.retryMs);
    }
  }

  /** Between line events: a ring change when wanbond's nftables table lost what the recorded bonds need. */
  private async checkTable(): Promise<void> {
    // A failed change waits for its own retry (never a tight loop); one under way reads the table itself.
    if (this.tableBusy || this.acting || this.retryMs > 0 || this.stopping) return;
    if (!this.ctx.desired.bonds.some((b) => kindOf(b).drawnByNft)) return;
    this.tableBusy = true;
    try {
      const lost = await lostTable(this.ctx);
      this.tableErrSaid = '';
      if (lost.length > 0) this.requestAction('ring');
    } catch (e) {
      const err = errText(e);
      if (err !== this.tableErrSaid) {
        this.log.error({ event: 'table-check-failed', err }, "cannot check wanbond's nftables table; trying again");
      }
      this.tableErrSaid = err;
    } finally {
      this.tableBusy = false;
    }
  }

  private noteDecision(d: RingDecision): void {
    for (const teql of d.allDown) {
      if (this.allDown.has(teql)) continue;
      this.allDown.add(teql);
      this.log.error(
        { event: 'all-lines-down', bond: teql, lines: [...this.bondOf].filter(([, t]) => t === teql).map(([l]) => l) },
        `${teql}: EVERY LINE IS DOWN; all stay in the ring ` +
          `(${allDownNote(this.ctx.desired.bonds.find((b) => b.name === teql))}) and the probes go on`,
      );
    }
    for (const teql of [...this.allDown]) {
      if (d.allDown.includes(teql)) continue;
      this.allDown.delete(teql);
      this.log.warn({ event: 'lines-back', bond: teql }, `${teql}: a line works again`);
    }
    for (const s of d.skipped) {
      if (this.skippedSaid.has(s.teql)) continue;
      this.skippedSaid.add(s.teql);
      this.log.warn(
        { event: 'bond-skipped', bond: s.teql, why: s.why, ...(s.fix ? { fix: s.fix } : {}) },
        `${s.teql}: left alone (${s.why}); ${
          s.fix ? `fix: ${s.fix}` : '`wanbond up` brings it up, and the daemon keeps it from then on'
        }`,
      );
    }
    for (const t of [...this.skippedSaid]) if (!d.skipped.some((s) => s.teql === t)) this.skippedSaid.delete(t);
    for (const h of d.held) {
      if (this.heldSaid.get(h.name)?.said === h.said) continue;
      this.heldSaid.set(h.name, { said: h.said, back: h.log.back, backText: h.log.backText });
      const rec = { event: h.log.held, bond: h.bond, line: h.name, ...h.log.fields, fix: h.text.hint };
      this.log.error(rec, `${h.text.what}; ${h.text.why}`);
    }
    for (const [name, was] of [...this.heldSaid]) {
      if (d.held.some((h) => h.name === name)) continue;
      this.heldSaid.delete(name);
      this.log.warn({ event: was.back, line: name }, was.backText);
    }
    const foreign = d.foreign.map((f) => `${f.line}:${f.why}`).join(',');
    if (foreign !== this.foreignSaid && d.foreign.length > 0) {
      this.log.warn(
        { event: 'lines-skipped', lines: d.foreign },
        'left alone: ' +
          d.foreign
            .map((f) => `${f.line} (${f.why}; fix: tc qdisc del dev ${f.line} root, or take it out of [${f.teql}])`)
            .join(', '),
      );
    }
    this.foreignSaid = foreign;
  }

  // --- per-connection bonds balanced by load ------------------------------------------------------

  /**
   * Measures each load-balanced uplink's rate (its counter in the direction set) and, when the
   * shares of spare capacity moved, redraws new connections by them (a ring change: one nft
   * transaction). A counter that cannot be read leaves the bond's weights as they are.
   */
  private async measureLoad(): Promise<void> {
    // Only a per-connection bond has a balance; under 'load' the daemon measures and redraws.
    const bonds = this.ctx.desired.bonds.filter((b) => b.balance === 'load');
    // A reload may have removed bonds or uplinks: what is kept for them goes (memory stays flat).
    for (const name of [...this.loadWeights.keys()])
      if (!bonds.some((b) => b.name === name)) this.loadWeights.delete(name);
    const measured = new Set(bonds.flatMap((b) => (b.uplinks ?? []).map((u) => u.name)));
    for (const m of [this.loadLast, this.loadRate])
      for (const name of [...m.keys()]) if (!measured.has(name)) m.delete(name);
    if (bonds.length === 0 || this.loadBusy || this.stopping) return;
    this.loadBusy = true;
    try {
      const read = this.o.counters ?? (this.defaultCounters ??= sysfsCounters());
      for (const b of bonds) {
        const ups = b.uplinks ?? [];
        const loads = [];
        for (const u of ups) {
          const c = await read(u.name);
          const now = Date.now();
          if (!c || u.bps === undefined) {
            this.loadLast.delete(u.name);
            continue;
          }
          const bytes = u.measure === 'in' ? c.rxBytes : c.txBytes;
          const last = this.loadLast.get(u.name);
          this.loadLast.set(u.name, { bytes, at: now });
          // A counter that went back (the interface was recreated) starts over.
          if (!last || bytes < last.bytes) continue;
          const rate = smoothRate(this.loadRate.get(u.name), bytes - last.bytes, now - last.at);
          this.loadRate.set(u.name, rate);
          loads.push({ name: u.name, capacityBps: u.bps, rateBps: rate });
        }
        if (loads.length !== ups.length) continue;
        const w = loadWeights(loads);
        const next = new Map(loads.map((l, i) => [l.name, w[i] as number]));
        const was = this.loadWeights.get(b.name);
        if (was && [...next].every(([n, x]) => was.get(n) === x)) continue;
        this.loadWeights.set(b.name, next);
        this.log.info(
          {
            event: 'load',
            bond: b.name,
            rates: Object.fromEntries(loads.map((l) => [l.name, Math.round(l.rateBps)])),
            weights: Object.fromEntries(next),
          },
          `${b.name}: new connections now ${loads.map((l) => `${l.name} ${next.get(l.name)}`).join(' : ')} ` +
            '(measured ' +
            loads
              .map((l) => `${l.name} ${(l.rateBps / 1e6).toFixed(2)} of ${(l.capacityBps / 1e6).toFixed(2)} Mbit/s`)
              .join(', ') +
            ')',
        );
        this.requestAction('ring');
      }
    } finally {
      this.loadBusy = false;
    }
  }

  private defaultCounters: CounterReader | undefined;

  // --- configuration reload -----------------------------------------------------------------------

  private watchFiles(): void {
    const paths = [this.ctx.settings.file, this.ctx.site?.confDir].filter((p): p is string => p !== undefined);
    if (paths.length === 0) return;
    // Editors write a temporary file and rename it; wanbond's own DYN_INTR_CFG edit does the same.
    this.files = chokidarWatch(paths, {
      ignoreInitial: true,
      atomic: true,
      awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
      depth: 2,
      ignored: (p: string) => /\.wanbond-(tmp-\d+|\d+T\d+Z\.bak(\.\d+)?)$|\.wanbond-[0-9TZ]+\.bak/.test(p),
    });
    this.files.on('all', (ev, p) => {
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = undefined;
        this.log.info({ event: 'reload', why: `${ev} ${p}` }, 'a configuration file changed; reloading');
        void this.reload(`${ev} ${p}`);
      }, 500);
    });
    this.files.on('error', (e) => this.log.error({ err: e }, 'watching the configuration files failed'));
  }

  /** Re-reads the settings and wanpipe files; a file that no longer parses is reported and the running bond kept. */
  async reload(why: string): Promise<void> {
    if (this.stopping) return;
    let next: Context;
    try {
      next = await this.o.build();
    } catch (e) {
      this.log.error(
        { event: 'reload-failed', why, err: errText(e) },
        'the configuration does not parse; the running bond is kept as it is',
      );
      return;
    }
    const old = new Map(this.bondOf);
    this.ctx = next;
    this.cfg = next.settings.watch.health;
    const nowIn = new Map<string, string>();
    for (const b of next.desired.bonds) for (const s of b.slaves) nowIn.set(s.name, b.name);
    this.removed = [
      ...this.removed,
      ...[...old]
        .filter(([n, t]) => nowIn.get(n) !== t && next.desired.bonds.some((b) => b.name === t))
        .map(([name, teql]) => ({ name, teql })),
    ];
    this.initLines(next);
    // Probe targets may have changed; each probe is checked against the new configuration.
    for (const p of this.probes.running()) this.syncProbe(p.line, p.ifindex);
    this.log.info(
      { event: 'reloaded', why, lines: [...this.health.keys()], removed: this.removed },
      'configuration reloaded; applying the difference',
    );
    await this.resyncLinks(0);
    this.startAlarmPoll();
    this.requestAction('bond');
    await this.syncMetrics();
  }

  // --- Prometheus metrics -------------------------------------------------------------------------

  /**
   * At start and after each reload: serve where `metrics` says (a failure is logged, never thrown);
   * health.json names the address.
   */
  private async syncMetrics(): Promise<void> {
    if (this.stopping) return;
    await this.metrics.apply(this.ctx.settings.watch.metrics);
    if (this.lastSnapshot?.metrics !== this.metrics.address) await this.writeHealth();
  }

  // --- status -------------------------------------------------------------------------------------

  /** Writes one after the other; after stop() only the last one (with stoppedAt). */
  private writeChain: Promise<void> = Promise.resolve();
  private writeQueued = false;

  private writeHealth(stoppedAt?: string): Promise<void> {
    if (this.stopping && !stoppedAt) return this.writeChain;
    if (this.writeQueued && !stoppedAt) return this.writeChain;
    this.writeQueued = true;
    this.writeChain = this.writeChain
      .then(async () => {
        this.writeQueued = false;
        const now = Date.now();
        const file: HealthFile = {
          version: 1,
          pid: process.pid,
          startedAt: this.startedAt,
          updatedAt: new Date(now).toISOString(),
          ...(stoppedAt ? { stoppedAt } : {}),
          bonds: this.ctx.desired.bonds.map((b) => ({
            teql: b.name,
            allDown: this.allDown.has(b.name),
            lines: b.slaves
              .map((s) => this.health.get(s.name))
              .filter((h): h is LineHealth => h !== undefined)
              .map((h) => summary(h, now, this.cfg)),
          })),
          memory: {
            rssKb: Math.round(process.memoryUsage.rss() / 1024),
            heapUsedKb: Math.round(process.memoryUsage().heapUsed / 1024),
          },
          actions: this.actions,
          metrics: this.metrics.address,
        };
        // The metrics serve this very object: a scrape and `status --json` show the same numbers.
        this.lastSnapshot = file;
        await writeHealthFile(this.ctx.stateDir, file);
      })
      .catch((e: unknown) => {
        this.log.error({ err: errText(e) }, 'cannot write the health file for wanbond status');
      });
    return this.writeChain;
  }
}

const inRingState = (s: LineHealth['state']) => s === 'up' || s === 'suspect';

const allDownNote = (b: DesiredBond | undefined): string => (b ? kindOf(b).allDown : '');
