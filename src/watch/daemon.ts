// `wanbond watch`: converge like `up`, then keep every line's health from every signal (kernel link
// events, the card's /proc files, a probe bound to the line) and keep each bond's ring to the lines
// that work, through the engine (same lock, plan, apply, verify, record). The pure parts are
// health.ts (one line's state machine) and ring.ts (which lines, which plan); converge.ts is one
// change through the engine, probes.ts and alarms.ts the signals, metrics-endpoint.ts the Prometheus
// endpoint (metrics.ts, metrics-server.ts); this file is the wiring.
import { kindOf } from '../bonds/registry.js';
import { LoadMeter } from '../bonds/per-connection/load-meter.js';
import { LOAD_INTERVAL_MS } from '../bonds/per-connection/load.js';
import { ApplyError, InterruptedError } from '../apply/apply.js';
import type { Mode } from './converge.js';
import { MONITOR_SUBSCRIBES_MS, RingDriver } from './ring-driver.js';
import { HeldLock, LOCK_POLL_MS } from '../exec/held-lock.js';
import {
  DEFAULT_HEALTH,
  initialHealth,
  inRing,
  nextDeadline,
  restoredHealth,
  step,
  summary,
  type HealthConfig,
  type LineHealth,
  type Signal,
  type Transition,
} from './health.js';
import { HEARTBEAT_MS, predecessorOf, type HealthFile } from './health-file.js';
import { HealthWriter } from './health-writer.js';
import { DecisionLog } from './decision-log.js';
import { ConfigFiles } from './config-files.js';
import { Lifecycle, type Phase } from './lifecycle.js';
import { takeEarlySignals } from '../cli/early-signals.js';
import { parseAddressLine, parseMonitorLine, routeDevOf } from './parse.js';
import { SupervisedChild } from './child.js';
import { Probes, pingUnusable } from './probes.js';
import { readAlarms } from './alarms.js';
import { probeTarget } from '../config/probe-target.js';
import { sysfsCounters, type CounterReader } from './metrics.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import type { Context } from '../cli/context.js';
import type { Io } from '../cli/io.js';
import { upLocked } from '../cli/commands/engine.js';
import { errText } from '../errors.js';
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
  /**
   * Keep wanbond's lock between changes and give it to whoever waits (default); false: take it for each
   * change, one flock process each time (WANBOND_WATCH_PROCESSES, for comparison and as a fallback).
   */
  holdLock?: boolean;
  /** At stop: ends the runner's long-lived children (its batch `ip` and `tc`). */
  closeRunner?: () => Promise<void>;
  /** Starts the runner's change children ahead of the first ring change (after the start's `up`). */
  warmRunner?: () => void;
}

/**
 * How often the bonds are checked against what the daemon intends, between events: what changes without an
 * event the daemon listens to (a firewall reload's `nft flush ruleset`, a `tc qdisc del` on a slave, `wanbond
 * up` by hand) is put back within this bound. A lean read through the batch children: no process start.
 */
export const DRIFT_CHECK_MS = 2000;

export class WatchDaemon {
  private ctx: Context | undefined;
  private cfg: HealthConfig = DEFAULT_HEALTH;
  private readonly health = new Map<string, LineHealth>();
  private readonly bondOf = new Map<string, string>();
  /** When each line's probe first answered in this daemon's life: its bond's other lines are judged by it. */
  private readonly firstAnswer = new Map<string, number>();
  private readonly probes: Probes;
  /** Why the probes are off (no usable ping), or undefined. */
  private probeOff: string | undefined;
  private monitor: SupervisedChild | undefined;
  private readonly files: ConfigFiles;
  private tickTimer: NodeJS.Timeout | undefined;
  private stopAlarmPoll: () => void = () => undefined;
  private alarmBusy = false;
  private unprobedSaid = '';
  /** Per resync in flight: the lines an event spoke of meanwhile (the event is newer than the read). */
  private readonly resyncs = new Set<Set<string>>();
  private pendingHup = false;
  private reloading: Promise<void> | undefined;
  private reloadAgain: string | undefined;
  /** Far-end addresses the kernel showed (a peer address), for lines with no configured target. */
  private readonly kernelPeers = new Map<string, string>();
  private readonly life: Lifecycle;
  private readonly startedAt = new Date().toISOString();
  private bootId: string | undefined;
  private readonly onProcessError = (e: unknown) =>
    this.o.log.error({ err: e }, 'unexpected error in the watch daemon; it keeps running');
  private readonly metrics: MetricsEndpoint;
  private readonly writer: HealthWriter;
  private readonly decisions: DecisionLog;
  private readonly load: LoadMeter;
  private readonly ring: RingDriver;
  private readonly lock: HeldLock;

  constructor(private readonly o: WatchOptions) {
    this.life = new Lifecycle(this.onProcessError);
    this.lock = new HeldLock({
      stateDir: () => this.c.stateDir,
      waitMs: () => this.c.lockWaitMs,
      keep: o.holdLock !== false,
      warn: (why) =>
        o.log.warn(
          { event: 'lock-per-change', why },
          `${why}: a waiting wanbond could not be seen, so the lock is taken for each change instead of held`,
        ),
    });
    this.writer = new HealthWriter({
      log: o.log,
      stateDir: () => this.c.stateDir,
      snapshot: (stoppedAt) => this.snapshot(stoppedAt),
    });
    this.metrics = new MetricsEndpoint({
      log: o.log,
      snapshot: () => this.writer.last,
      ...(o.counters ? { counters: o.counters } : {}),
    });
    this.probes = new Probes({
      ping: o.ping ?? 'ping',
      log: o.log,
      intervalMs: () => this.cfg.probeIntervalMs,
      signal: (line, sig) => this.feed(line, sig),
    });
    this.decisions = new DecisionLog(o.log, () => this.ctx?.desired.bonds ?? []);
    let counters: CounterReader | undefined = o.counters;
    this.load = new LoadMeter({ log: o.log, counters: () => (counters ??= sysfsCounters()) });
    this.ring = new RingDriver({
      ctx: () => this.c,
      health: this.health,
      life: this.life,
      io: o.io,
      log: o.log,
      desired: (ctx) => this.load.apply(ctx.desired),
      decided: (d) => {
        if (this.decisions.note(d)) void this.writeHealth();
      },
      hold: () => this.probes.pause(),
      release: () => this.probes.resume(),
      changed: () => void this.writeHealth(),
      lock: (what) => this.lock.acquire(what),
      // flock(1) counts: the lock is a process start when it is not held.
      started: () => (this.ctx?.runner.started ?? 0) + this.lock.started,
      commandMs: () => this.ctx?.runner.commandMs ?? 0,
    });
    this.files = new ConfigFiles({
      log: o.log,
      changed: (why) => {
        this.log.info({ event: 'reload', why }, 'a configuration file changed; reloading');
        void this.reload(why);
      },
    });
  }

  private get log(): Log {
    return this.o.log;
  }

  /** The configuration: read before anything that uses it runs. */
  private get c(): Context {
    if (!this.ctx) throw new Error('the watch daemon has no configuration yet');
    return this.ctx;
  }

  /** The daemon's phase: starting, running, reloading, stopping, stopped. */
  get phase(): Phase {
    return this.life.phase;
  }

  /** Timers the daemon holds (none once stopped: nothing keeps the process alive). */
  get pendingTimers(): number {
    return this.life.pendingTimers + (this.tickTimer ? 1 : 0);
  }

  /** Runs until SIGTERM/SIGINT (or stop()); the bond is left as it is. */
  async run(): Promise<number> {
    // Every signal is the daemon's from its first moment: SIGHUP's default would kill the process (and
    // systemd's Restart=on-failure takes that for a clean exit), and a SIGTERM during the start must stop it.
    const hup = () => {
      this.log.info({ event: 'reload', why: 'SIGHUP', phase: this.life.phase }, 'reloading the configuration');
      void this.reload('SIGHUP');
    };
    const term = (sig: NodeJS.Signals) => {
      this.log.info({ event: 'stop', signal: sig, phase: this.life.phase }, 'stopping; the bonds stay as they are');
      void this.stop();
    };
    process.on('SIGHUP', hup);
    process.on('SIGTERM', term);
    process.on('SIGINT', term);
    // Signals that came while the program loaded (bin/wanbond holds them for the daemon).
    for (const sig of takeEarlySignals())
      if (sig === 'SIGHUP') hup();
      else term(sig);
    process.on('uncaughtException', this.onProcessError);
    process.on('unhandledRejection', this.onProcessError);
    try {
      try {
        await this.start();
      } catch (e) {
        const asked = !this.life.live;
        await this.stop();
        // A stop asked for during the start's `up` interrupts it: `up` rolled back, as asked. A rollback that
        // failed is an error like any other.
        const interrupted =
          e instanceof InterruptedError ||
          (e instanceof ApplyError && e.cause instanceof InterruptedError && e.undoFailures.length === 0);
        if (asked && interrupted) {
          this.log.info({ event: 'stopped-at-start', why: errText(e) }, 'stopped during the start; `up` rolled back');
          return 0;
        }
        throw e;
      }
      await this.life.stopped;
      return 0;
    } finally {
      process.off('SIGHUP', hup);
      process.off('SIGTERM', term);
      process.off('SIGINT', term);
      process.off('uncaughtException', this.onProcessError);
      process.off('unhandledRejection', this.onProcessError);
    }
  }

  /** At start: exactly what `up` does (device restarts included), under the same lock; then the watching. */
  private async start(): Promise<void> {
    const ctx = await this.o.build();
    this.ctx = ctx;
    this.cfg = ctx.settings.watch.health;
    if (!this.life.live) return;
    this.bootId = await ctx.bootId();
    const before = await predecessorOf(ctx.stateDir, this.bootId);
    if (!this.life.live) return;
    this.probeOff = await pingUnusable(this.o.ping ?? 'ping');
    if (!this.life.live) return;
    this.initLines(ctx, before);
    // The lines the previous daemon of this boot had taken out stay out: `up` must not put them back.
    const judged = new Map([...this.health].filter(([, h]) => !inRing(h)).map(([n, h]) => [n, h.reason]));
    // The held lock: kept after `up`, so the first ring change starts no flock either. A stop asked for
    // while the lock was awaited: `up` does not start.
    const lock = await this.lock.acquire('watch (start)');
    try {
      if (this.life.live) await upLocked(ctx, this.o.io, { judgedOut: judged });
    } finally {
      await lock.release();
    }
    if (!this.life.live) return;
    this.o.warmRunner?.();
    if (this.probeOff)
      this.log.error(
        { event: 'probes-off', why: this.probeOff },
        `no probes: ${this.probeOff}; install iputils-ping (the daemon needs its -O); ` +
          `lines are watched by their link and the card's alarms only, a silent failure goes unseen`,
      );
    this.monitor = new SupervisedChild({
      // Addresses too: a per-connection uplink given another address (DHCP, PPPoE) leaves the draw,
      // and rejoins with its own.
      file: this.o.ip ?? 'ip',
      args: ['-o', 'monitor', 'link', 'address', 'route'],
      log: this.log,
      onLine: (l, stream) => {
        if (stream === 'stdout') this.onMonitorLine(l);
        // The kernel dropped events the monitor could not take in time (ENOBUFS): iproute2 says so and goes on.
        else if (/netlink receive error/.test(l)) this.eventsLost(l);
      },
      // Whatever happened while no monitor ran is read whole from the kernel after each start.
      // ip monitor subscribes a moment after it starts: a second read a second later closes that gap.
      onStart: (restarts) => {
        this.ring.monitorStarted();
        void this.resyncLinks(restarts);
        this.life.later(MONITOR_SUBSCRIBES_MS, () => this.resyncLinks(0));
      },
      onExit: () => this.ring.monitorGone(),
    });
    this.monitor.start();
    this.startAlarmPoll();
    this.life.every(HEARTBEAT_MS, () => this.writeHealth());
    this.life.every(LOAD_INTERVAL_MS, () => this.measureLoad());
    this.life.every(DRIFT_CHECK_MS, () => this.checkDrift());
    this.life.every(LOCK_POLL_MS, async () => {
      await this.lock.yieldToWaiters();
    });
    await this.watchFiles();
    // The first snapshot exists before the first scrape can ask for it.
    await this.writeHealth();
    await this.syncMetrics();
    if (!this.life.enter('running')) return;
    this.log.info(
      {
        event: 'started',
        lines: [...this.health.keys()],
        bonds: ctx.desired.bonds.map((b) => b.name),
        ...(before ? { after: before.pid } : {}),
      },
      'watching',
    );
    if (this.pendingHup) {
      this.pendingHup = false;
      void this.reload('SIGHUP during start');
    }
  }

  /** Stops watching (the bonds stay as they are); at any moment, once; returns when everything has stopped. */
  async stop(): Promise<void> {
    if (!this.life.beginStop()) return this.life.stopped;
    this.stopAlarmPoll();
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    try {
      // No scrape during the teardown; the last health file says metrics: null.
      await this.metrics.close();
      // A ring change under way finishes (never left half done); bounded by the engine's own timeouts.
      await this.ring.acting?.catch(() => undefined);
      await Promise.all([
        this.monitor?.stop(),
        this.probes.stop(),
        this.files.close(),
        this.lock.close(),
        this.o.closeRunner?.(),
      ]);
      if (this.ctx) await this.writeHealth(new Date().toISOString());
    } finally {
      // Whatever failed above, run() returns: the process exits.
      this.life.finishStop();
    }
  }

  /** The monitor's pid, for the lab's test that kills it. */
  get monitorPid(): number | undefined {
    return this.monitor?.pid;
  }

  /** (Again, after a reload: alarm_poll may have changed.) */
  private startAlarmPoll(): void {
    this.stopAlarmPoll();
    this.stopAlarmPoll = this.life.every(this.c.settings.watch.alarmPollMs, () => this.pollAlarms());
  }

  /**
   * The lines to judge, from the configuration; at start, from the judgement the previous daemon of this
   * boot left: a line it had taken out stays out until it shows it works, its flap penalty goes on.
   */
  private initLines(ctx: Context, before?: HealthFile): void {
    const now = Date.now();
    const want = new Map<string, string>();
    for (const b of ctx.desired.bonds) for (const s of b.slaves) want.set(s.name, b.name);
    const prevAt = before ? Date.parse(before.updatedAt) : now;
    for (const [name, bond] of want) {
      if (!this.health.has(name)) {
        const target = this.probeOff === undefined ? this.targetFor(name) : undefined;
        const prev = before?.bonds.flatMap((b) => b.lines).find((l) => l.line === name);
        this.health.set(
          name,
          prev && before ? restoredHealth(prev, prevAt, before.pid, now, target) : initialHealth(name, now, target),
        );
      }
      this.bondOf.set(name, bond);
    }
    for (const name of [...this.health.keys()]) {
      if (want.has(name)) continue;
      this.health.delete(name);
      this.bondOf.delete(name);
      this.firstAnswer.delete(name);
      this.kernelPeers.delete(name);
      void this.probes.stop(name);
    }
    for (const bond of new Set(want.values())) this.tellPeers(bond);
  }

  /**
   * Each line of the bond learns when another line's probe first answered: from then on its own probe's
   * silence says something (health.ts, neverAnsweredMs).
   */
  private tellPeers(bond: string): void {
    const lines = [...this.bondOf].filter(([, b]) => b === bond).map(([l]) => l);
    for (const line of lines) {
      const others = lines.filter((l) => l !== line && this.firstAnswer.has(l)).map((l) => this.firstAnswer.get(l));
      const at = others.length > 0 ? Math.min(...(others as number[])) : undefined;
      if (this.health.get(line)?.peersAnsweredAt !== at) this.feed(line, { kind: 'peers', answeredAt: at });
    }
  }

  /** The far end a line's probe asks: settings, then the wanpipe interfaces/ file, then the kernel's peer address. */
  private targetFor(name: string): string | undefined {
    return probeTarget(this.c.settings, this.c.site, name, this.kernelPeers.get(name));
  }

  private feed(line: string, sig: Signal): void {
    const h = this.health.get(line);
    if (!h) return;
    if (sig.kind === 'tick' && this.probes.paused) return; // held probes are not silence
    const now = Date.now();
    const { next, transitions } = step(h, sig, now, this.cfg);
    this.health.set(line, next);
    const answered = sig.kind === 'reply' && !this.firstAnswer.has(line);
    if (answered) this.firstAnswer.set(line, now);
    const forgot = !next.probe.verified && this.firstAnswer.has(line);
    if (forgot) this.firstAnswer.delete(line);
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
    if (transitions.some((t) => ringState(t.from) !== ringState(t.to))) this.requestAction();
    if (transitions.length > 0 || next.probe.verified !== h.probe.verified) void this.writeHealth();
    const bond = this.bondOf.get(line);
    if ((answered || forgot) && bond) this.tellPeers(bond);
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
    if (!this.life.live) return;
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
    this.ring.kernelEvent(text, ev);
    if (!ev) {
      const bonds = this.c.desired.bonds;
      const a = parseAddressLine(text);
      const uplink = (name: string) =>
        bonds.some((b) => kindOf(b).watchesAddresses && b.slaves.some((s) => s.name === name));
      if (a?.family === 'inet' && uplink(a.name)) this.requestAction('ring');
      // A bond's own address or route changed by someone else (deleted, replaced): the bond is put back whole.
      const dev = a?.family === 'inet' ? a.name : routeDevOf(text);
      if (dev !== undefined && bonds.some((b) => b.name === dev && kindOf(b).ownDevice)) this.requestAction('bond');
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

  /** Events the monitor never got: what they said is read from the kernel instead, and the cached read dropped. */
  private eventsLost(said: string): void {
    this.ring.eventsLost();
    this.log.warn(
      { event: 'monitor-overrun', said },
      'the link monitor lost events (the kernel could not queue them); the links were read again whole',
    );
    void this.resyncLinks(0);
  }

  private async resyncLinks(restarts: number): Promise<void> {
    const touched = new Set<string>();
    this.resyncs.add(touched);
    try {
      const o = await this.c.observe();
      if (!this.life.live) return;
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
      this.life.later(1000, () => this.resyncLinks(restarts));
    } finally {
      this.resyncs.delete(touched);
    }
  }

  // --- probes ------------------------------------------------------------------------------------

  /**
   * The line's probe: bound to its interface (or marked for its table, as its kind says) while that is up, to the
   * far end the configuration or the kernel names.
   */
  private syncProbe(name: string, ifindex: number | undefined): void {
    if (!this.life.live || this.probeOff !== undefined) return;
    const b = this.c.desired.bonds.find((x) => x.slaves.some((s) => s.name === name));
    const mark = b ? kindOf(b).probeMark?.(b, name) : undefined;
    // Without an interface the probe stops, but keeps its far end (and what it showed of it).
    this.probes.sync(name, ifindex, this.targetFor(name), mark);
  }

  // --- the card's /proc files -------------------------------------------------------------------

  private async pollAlarms(): Promise<void> {
    if (this.alarmBusy || !this.life.live) return;
    const ctx = this.c;
    const site = ctx.site;
    if (!site) return;
    this.alarmBusy = true;
    // A read of /proc that hangs (a wedged driver) is reported; the next poll waits until it returns.
    const slow = setTimeout(
      () =>
        this.log.warn(
          { event: 'proc-slow', proc: ctx.wanrouterProc },
          `reading ${ctx.wanrouterProc} takes more than 5 s; the card's alarms are not read meanwhile`,
        ),
      5000,
    );
    try {
      const deviceOf = (n: string) => site.interfaces.find((i) => i.name === n)?.device;
      const devices = [...new Set([...this.health.keys()].map(deviceOf).filter((d): d is string => d !== undefined))];
      const alarms = await readAlarms(ctx.runner, ctx.wanrouterProc, devices);
      if (!this.life.live) return;
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
    this.ring.request(mode);
  }

  /** Between events: one lean ring change puts back what drifted (ring-driver.ts). */
  private checkDrift(): void {
    this.ring.checkDrift();
  }

  /** balance = load: a redraw when the shares of spare capacity moved. */
  private async measureLoad(): Promise<void> {
    if (!this.life.live) return;
    if (await this.load.measure(this.c.desired)) this.requestAction('ring');
  }

  // --- configuration reload -----------------------------------------------------------------------

  /** Where the configuration is read from, whether or not it exists now. */
  private watchFiles(): Promise<void> {
    if (this.o.watchFiles === false || !this.life.live) return Promise.resolve();
    const ctx = this.c;
    return this.files.watch([ctx.desired.settingsFile, ctx.confDir]);
  }

  /**
   * Re-reads the settings and wanpipe files; a file that no longer parses is reported and the running bond kept.
   * One reload at a time: one asked for meanwhile runs after it (it reads the files then). Before the daemon
   * runs, it waits for the start.
   */
  reload(why: string): Promise<void> {
    if (this.life.phase === 'starting') {
      this.pendingHup = true;
      return Promise.resolve();
    }
    if (this.reloading) {
      this.reloadAgain = why;
      return this.reloading;
    }
    if (!this.life.enter('reloading')) return Promise.resolve();
    this.reloading = (async () => {
      try {
        let next: string | undefined = why;
        while (next !== undefined && this.life.live) {
          this.reloadAgain = undefined;
          await this.reloadOnce(next);
          next = this.reloadAgain;
        }
      } catch (e) {
        this.onProcessError(e);
      } finally {
        this.reloading = undefined;
        if (this.life.phase === 'reloading') this.life.enter('running');
      }
    })();
    return this.reloading;
  }

  private async reloadOnce(why: string): Promise<void> {
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
    // A stop asked for while the files were read: nothing of the new configuration starts.
    if (!this.life.live) return;
    const was = this.c;
    if (was.settings.file !== undefined && next.settings.file === undefined) {
      // Deleted (or moved away, or mid-way through a tool's delete-then-write): the built-in default would
      // replace every bond. The running bonds are kept until the file is back.
      this.log.error(
        { event: 'reload-failed', why, err: `${was.settings.file} is gone` },
        `${was.settings.file} is gone; the running bonds are kept as they are ` +
          '(put it back, or restart the daemon to run on the built-in default)',
      );
      return;
    }
    const old = new Map(this.bondOf);
    this.ctx = next;
    this.cfg = next.settings.watch.health;
    const nowIn = new Map<string, string>();
    for (const b of next.desired.bonds) for (const s of b.slaves) nowIn.set(s.name, b.name);
    this.ring.removed = [
      ...this.ring.removed,
      ...[...old]
        .filter(([n, t]) => nowIn.get(n) !== t && next.desired.bonds.some((b) => b.name === t))
        .map(([name, teql]) => ({ name, teql })),
    ];
    const names = new Set(next.desired.bonds.map((b) => b.name));
    const gone = was.desired.bonds.filter((b) => !names.has(b.name)).map((b) => b.name);
    const added = next.desired.bonds.filter((b) => !was.desired.bonds.some((x) => x.name === b.name));
    // A bond renamed, or replaced by another: the daemon never brings a bond up, so it takes none down either
    // (the site would be left without a bond); `wanbond up` does both, and doctor names the old one meanwhile.
    if (gone.length > 0 && added.length === 0) this.ring.deleted = true;
    else if (gone.length > 0)
      this.log.warn(
        { event: 'bonds-replaced', gone, added: added.map((b) => b.name) },
        `${gone.join(', ')} left the settings and ${added.map((b) => b.name).join(', ')} came in: ` +
          'run `wanbond up` to take the old down and bring the new up (the daemon does neither)',
      );
    this.initLines(next);
    // Probe targets may have changed; each probe is checked against the new configuration.
    for (const p of this.probes.running()) this.syncProbe(p.line, p.ifindex);
    this.log.info(
      { event: 'reloaded', why, lines: [...this.health.keys()], removed: this.ring.removed, bondsDeleted: gone },
      'configuration reloaded; applying the difference',
    );
    await this.resyncLinks(0);
    if (!this.life.live) return;
    this.startAlarmPoll();
    this.requestAction('bond');
    await this.watchFiles();
    await this.syncMetrics();
    await this.writeHealth();
  }

  // --- Prometheus metrics -------------------------------------------------------------------------

  /**
   * At start and after each reload: serve where `metrics` says (a failure is logged, never thrown);
   * health.json names the address.
   */
  private async syncMetrics(): Promise<void> {
    if (!this.life.live) return;
    await this.metrics.apply(this.c.settings.watch.metrics);
    if (this.writer.last?.metrics !== this.metrics.address) await this.writeHealth();
  }

  // --- status -------------------------------------------------------------------------------------

  /** Queued one after the other; once stopping, only the last one (with stoppedAt). */
  private writeHealth(stoppedAt?: string): Promise<void> {
    if (!this.life.live && !stoppedAt) return Promise.resolve();
    return this.writer.write(stoppedAt);
  }

  private snapshot(stoppedAt?: string): HealthFile {
    const now = Date.now();
    const ctx = this.c;
    return {
      version: 1,
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date(now).toISOString(),
      ...(stoppedAt ? { stoppedAt } : {}),
      ...(this.bootId ? { bootId: this.bootId } : {}),
      probesOff: this.probeOff ?? null,
      bonds: ctx.desired.bonds.map((b) => ({
        teql: b.name,
        allDown: this.decisions.isAllDown(b.name),
        lines: b.slaves
          .map((s) => this.health.get(s.name))
          .filter((h): h is LineHealth => h !== undefined)
          .map((h) => summary(h, now, this.cfg)),
      })),
      memory: {
        rssKb: Math.round(process.memoryUsage.rss() / 1024),
        heapUsedKb: Math.round(process.memoryUsage().heapUsed / 1024),
      },
      actions: this.ring.actions,
      metrics: this.metrics.address,
    };
  }
}

const ringState = (s: LineHealth['state']) => s === 'up' || s === 'suspect';
