// `wanbond watch`: converge like `up`, then keep every line's health from every signal (kernel link
// events, the card's /proc files, a probe bound to the line) and keep each bond's ring to the lines
// that work, through the engine (same lock, plan, apply, verify, record). The pure parts are
// health.ts (one line's state machine) and ring.ts (which lines, which plan); this file is wiring.
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { planFor, ringDecision, withRemoved, type RemovedLine, type RingDecision } from './ring.js';
import { DEFAULT_HEALTH, initialHealth, nextDeadline, step, summary, type HealthConfig, type LineHealth, type Signal, type Transition } from './health.js';
import { HEARTBEAT_MS, writeHealthFile, type HealthFile } from './health-file.js';
import { parseDeviceProc, parseMonitorLine, parsePingLine } from './parse.js';
import { SupervisedChild } from './child.js';
import { Transactions } from '../apply/recorded.js';
import { acquireLock, BusyError } from '../exec/lock.js';
import { parseWanrouterStatus } from '../observe/parse.js';
import { plan as enginePlan } from '../plan/diff.js';
import { describe } from '../plan/steps.js';
import type { Context } from '../cli/context.js';
import { siteDevicesOf } from '../cli/context.js';
import type { Io } from '../cli/io.js';
import { currentRecord, staleWarning, upLocked, withLock } from '../cli/commands/engine.js';
import { WanbondError } from '../errors.js';
import type { Log } from '../log.js';
import type { ObservedState } from '../state/types.js';

export interface WatchOptions {
  build: () => Promise<Context>;
  io: Io;
  log: Log;
  /** The programs the daemon keeps running (tests and the lab may point elsewhere). */
  ip?: string;
  ping?: string;
  /** Off in tests that drive reloads themselves. */
  watchFiles?: boolean;
}

interface Probe { child: SupervisedChild; ifindex: number | undefined; target: string }

/**
 * ring: slaves only, from a lean read of the kernel (what a line failing or returning needs; fast).
 * bond: the running bonds whole (routes, address, sysctls too), after the link monitor (re)started.
 * reload: the configuration whole, as `up` without device restarts, after a reload.
 */
type Mode = 'ring' | 'bond' | 'reload';
const WIDTH: Record<Mode, number> = { ring: 0, bond: 1, reload: 2 };

const errText = (e: unknown) => (e instanceof WanbondError ? `${e.message} (fix: ${e.hint})` : e instanceof Error ? e.message : String(e));

export class WatchDaemon {
  private ctx!: Context;
  private cfg: HealthConfig = DEFAULT_HEALTH;
  private readonly health = new Map<string, LineHealth>();
  private readonly bondOf = new Map<string, string>();
  private readonly probes = new Map<string, Probe>();
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
  private pausedAt: number | undefined;
  private resync: { running: boolean; touched: Set<string> } = { running: false, touched: new Set() };
  private stopping = false;
  private stopped!: () => void;
  private readonly startedAt = new Date().toISOString();
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly onProcessError = (e: unknown) => this.o.log.error({ err: e }, 'unexpected error in the watch daemon; it keeps running');
  /** Ring changes done, for the log and the lab. */
  actions = 0;

  constructor(private readonly o: WatchOptions) {}

  private get log(): Log { return this.o.log; }

  /** Runs until SIGTERM/SIGINT (or stop()); the bond is left as it is. */
  async run(): Promise<number> {
    this.ctx = await this.o.build();
    this.cfg = this.ctx.settings.watch.health;
    // At start, exactly what `up` does (device restarts included), under the same lock.
    await withLock(this.ctx, 'watch (start)', () => upLocked(this.ctx, this.o.io));
    const done = new Promise<void>((resolve) => { this.stopped = resolve; });
    process.on('uncaughtException', this.onProcessError);
    process.on('unhandledRejection', this.onProcessError);
    const term = (sig: NodeJS.Signals) => { this.log.info({ event: 'stop', signal: sig }, 'stopping; the bonds stay as they are'); void this.stop(); };
    const hup = () => { this.log.info({ event: 'reload', why: 'SIGHUP' }, 'reloading the configuration'); void this.reload('SIGHUP'); };
    process.on('SIGTERM', term);
    process.on('SIGINT', term);
    process.on('SIGHUP', hup);
    try {
      this.initLines(this.ctx);
      this.monitor = new SupervisedChild({
        file: this.o.ip ?? 'ip', args: ['-o', 'monitor', 'link'], log: this.log,
        onLine: (l, stream) => { if (stream === 'stdout') this.onMonitorLine(l); },
        // Whatever happened while no monitor ran is read whole from the kernel after each start.
        onStart: (restarts) => { void this.resyncLinks(restarts); },
      });
      this.monitor.start();
      this.every(this.ctx.settings.watch.alarmPollMs, () => this.pollAlarms());
      this.every(HEARTBEAT_MS, () => this.writeHealth());
      if (this.o.watchFiles !== false) this.watchFiles();
      this.log.info({ event: 'started', lines: [...this.health.keys()], bonds: this.ctx.desired.bonds.map((b) => b.teql) }, 'watching');
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
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    // A ring change under way finishes (never left half done); bounded by the engine's own timeouts.
    await this.acting?.catch(() => undefined);
    await Promise.all([this.monitor?.stop(), ...[...this.probes.values()].map((p) => p.child.stop())]);
    await this.files?.close().catch(() => undefined);
    await this.writeHealth(new Date().toISOString());
    this.stopped();
  }

  /** The monitor's pid, for the lab's test that kills it. */
  get monitorPid(): number | undefined { return this.monitor?.pid; }

  private every(ms: number, f: () => Promise<void> | void): void {
    this.timers.add(setInterval(() => { void Promise.resolve().then(f).catch(this.onProcessError); }, ms));
  }

  private initLines(ctx: Context): void {
    const now = Date.now();
    const want = new Map<string, string>();
    for (const b of ctx.desired.bonds) for (const s of b.slaves) want.set(s.name, b.teql);
    for (const [name, teql] of want) {
      if (!this.health.has(name)) this.health.set(name, initialHealth(name, now, this.targetFor(name)));
      this.bondOf.set(name, teql);
    }
    for (const name of [...this.health.keys()]) {
      if (want.has(name)) continue;
      this.health.delete(name);
      this.bondOf.delete(name);
      void this.probes.get(name)?.child.stop();
      this.probes.delete(name);
    }
  }

  /** The far end a line's probe asks: settings, then the wanpipe interfaces/ file, then the kernel's peer address. */
  private targetFor(name: string, o?: ObservedState): string | undefined {
    const set = this.ctx.settings.watch.probes[name];
    if (set === null) return undefined;
    if (set !== undefined) return set;
    const p = this.ctx.site?.ipFiles.get(name)?.pointopoint;
    if (p && /^\d+\.\d+\.\d+\.\d+$/.test(p)) return p;
    return o?.addrs.find((a) => a.dev === name && a.peer)?.peer;
  }

  private feed(line: string, sig: Signal): void {
    const h = this.health.get(line);
    if (!h) return;
    if (sig.kind === 'tick' && this.pausedAt !== undefined) return; // held probes are not silence
    const { next, transitions } = step(h, sig, Date.now(), this.cfg);
    this.health.set(line, next);
    if (next.suppressed !== h.suppressed) {
      const rec = { event: next.suppressed ? 'suppressed' : 'reused', line, bond: this.bondOf.get(line), flaps: next.flaps, penalty: Math.round(next.penalty) };
      this.log.warn(rec, next.suppressed ? `${line}: flapping (${next.flaps} flaps, penalty ${rec.penalty}): kept out of the ring until it calms down` : `${line}: calm again, may rejoin`);
    }
    for (const t of transitions) this.logTransition(t);
    if (transitions.some((t) => inRingState(t.from) !== inRingState(t.to))) this.requestAction();
    if (transitions.length > 0) void this.writeHealth();
    this.scheduleTick();
  }

  private logTransition(t: Transition): void {
    const rec = { event: 'health', line: t.line, bond: this.bondOf.get(t.line), from: t.from, to: t.to, signal: t.signal, reason: t.reason, values: t.values };
    if (t.to === 'down') this.log.warn(rec, `${t.line}: ${t.from} -> down: ${t.reason}`);
    else this.log.info(rec, `${t.line}: ${t.from} -> ${t.to}: ${t.reason}`);
  }

  private scheduleTick(): void {
    if (this.stopping) return;
    const now = Date.now();
    const ds = [...this.health.values()].map((h) => nextDeadline(h, now, this.cfg)).filter((x): x is number => x !== undefined);
    // Bounded: even with nothing due, every line is judged again within a second.
    const at = Math.min(now + 1000, ...ds);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      for (const line of [...this.health.keys()]) this.feed(line, { kind: 'tick' });
      this.scheduleTick();
    }, Math.max(1, at - now));
  }

  // --- kernel link events -------------------------------------------------------------------------

  private onMonitorLine(text: string): void {
    const ev = parseMonitorLine(text);
    if (!ev) return;
    // A renamed interface gets no Deleted under its old name: the old name is gone all the same.
    for (const [name, h] of this.health) {
      if (name !== ev.name && h.link?.present && h.link.ifindex === ev.ifindex && !ev.deleted) {
        this.feed(name, { kind: 'link', present: false, up: false, carrier: false });
        this.syncProbe(name, undefined);
      }
    }
    if (!this.health.has(ev.name)) return;
    if (this.resync.running) this.resync.touched.add(ev.name);
    this.feed(ev.name, { kind: 'link', present: !ev.deleted, ifindex: ev.ifindex, up: !ev.deleted && ev.up, carrier: !ev.deleted && ev.carrier });
    // ping cannot start on an interface that is down (it exits); it starts again when the interface is up.
    this.syncProbe(ev.name, ev.deleted || !ev.up ? undefined : ev.ifindex);
  }

  private async resyncLinks(restarts: number): Promise<void> {
    this.resync = { running: true, touched: new Set() };
    try {
      const o = await this.ctx.observe();
      for (const name of this.health.keys()) {
        // An event newer than this read already said more.
        if (this.resync.touched.has(name)) continue;
        const l = o.links.find((x) => x.name === name);
        this.feed(name, l ? { kind: 'link', present: true, ifindex: l.ifindex, up: l.flags.includes('UP'), carrier: l.flags.includes('LOWER_UP') } : { kind: 'link', present: false, up: false, carrier: false });
        this.syncProbe(name, l?.flags.includes('UP') ? l.ifindex : undefined, o);
      }
      if (restarts > 0) this.log.warn({ event: 'monitor-restarted', restarts }, 'the link monitor was restarted; the kernel was read again whole');
      // After a restart of the monitor the bonds may have drifted while nothing watched (a line
      // recreated, a slave removed by hand): they are converged whole. At start `up` just did that.
      if (restarts > 0) this.requestAction('bond');
    } catch (e) {
      this.log.error({ err: errText(e) }, 'cannot read the kernel after starting the link monitor; retrying in 1 s');
      this.later(1000, () => this.resyncLinks(restarts));
    } finally {
      this.resync.running = false;
    }
  }

  private later(ms: number, f: () => Promise<void> | void): void {
    if (this.stopping) return;
    const t = setTimeout(() => { this.timers.delete(t); void Promise.resolve().then(f).catch(this.onProcessError); }, ms);
    this.timers.add(t);
  }

  // --- probes ------------------------------------------------------------------------------------

  /** One ping per line, bound to the line's interface (never routed through teqlN); a new one for a recreated interface. */
  private syncProbe(name: string, ifindex: number | undefined, o?: ObservedState): void {
    if (this.stopping) return;
    const have = this.probes.get(name);
    // A target the kernel told us once (a peer address) is kept until the configuration names one.
    const target = ifindex === undefined || this.ctx.settings.watch.probes[name] === null ? undefined : this.targetFor(name, o) ?? have?.target;
    if (have && (ifindex === undefined || have.ifindex !== ifindex || have.target !== target)) {
      void have.child.stop();
      this.probes.delete(name);
      this.feed(name, { kind: 'probe-stop' });
    }
    if (ifindex === undefined || target === undefined || this.probes.has(name)) return;
    const child = new SupervisedChild({
      file: this.o.ping ?? 'ping',
      args: ['-n', '-O', '-I', name, '-i', (this.cfg.probeIntervalMs / 1000).toFixed(3), target],
      log: this.log, minBackoffMs: 500,
      onLine: (l) => {
        const ev = parsePingLine(l);
        if (ev?.kind === 'reply') this.feed(name, { kind: 'reply', seq: ev.seq, rttMs: ev.rttMs });
        else if (ev?.kind === 'pending') this.feed(name, { kind: 'pending', seq: ev.seq });
      },
      onStart: () => this.feed(name, { kind: 'probe-start', target }),
    });
    this.probes.set(name, { child, ifindex, target });
    child.start();
  }

  private pauseProbes(): void {
    this.pausedAt = Date.now();
    for (const p of this.probes.values()) p.child.pause();
  }

  private resumeProbes(): void {
    const ms = this.pausedAt === undefined ? 0 : Date.now() - this.pausedAt;
    this.pausedAt = undefined;
    for (const [name, p] of this.probes) { p.child.resume(); this.feed(name, { kind: 'probe-paused', ms }); }
  }

  // --- the card's /proc files -------------------------------------------------------------------

  private async pollAlarms(): Promise<void> {
    if (this.alarmBusy || this.stopping) return;
    this.alarmBusy = true;
    try {
      const site = this.ctx.site;
      if (!site) return;
      const proc = this.ctx.wanrouterProc;
      const status = parseWanrouterStatus(await this.ctx.runner.readFile(`${proc}/status`));
      const devices = [...new Set([...this.health.keys()].map((n) => site.interfaces.find((i) => i.name === n)?.device).filter((d): d is string => d !== undefined))];
      for (const device of devices) {
        const text = await this.ctx.runner.readFile(`${proc}/${device}`);
        if (text === undefined) continue; // not running: the link signals say what that means for its lines
        const p = parseDeviceProc(text);
        const active = p.alarms ? Object.entries(p.alarms).filter(([, on]) => on).map(([a]) => a) : [];
        const st = status?.find((d) => d.name === device)?.status;
        if (st === 'Disconnected') active.push('DISCONNECTED');
        const counters = Object.fromEntries(Object.entries(p.counters).filter(([k]) => /crc|error|violation|abort|out of frame/i.test(k)));
        for (const i of site.interfaces.filter((x) => x.device === device && this.health.has(x.name))) this.feed(i.name, { kind: 'alarms', active, counters });
      }
    } catch (e) {
      this.log.error({ err: errText(e) }, 'reading /proc/net/wanrouter failed');
    } finally {
      this.alarmBusy = false;
    }
  }

  // --- ring changes through the engine ------------------------------------------------------------

  private requestAction(mode: Mode = 'ring'): void {
    if (WIDTH[mode] > WIDTH[this.nextMode]) this.nextMode = mode;
    if (this.stopping) return;
    if (this.acting) { this.again = true; return; }
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

  private retryLater(mode: Mode, ms: number): void {
    if (WIDTH[mode] > WIDTH[this.nextMode]) this.nextMode = mode;
    this.later(ms, () => this.requestAction(mode));
  }

  private async converge(mode: Mode): Promise<void> {
    const ctx = this.ctx;
    const t0 = Date.now();
    let lock;
    try {
      lock = await acquireLock(ctx.stateDir, { what: 'watch', waitMs: ctx.lockWaitMs });
    } catch (e) {
      this.log.warn({ err: errText(e) }, e instanceof BusyError ? 'another wanbond holds the lock; trying again in 1 s' : 'cannot take the lock; trying again in 1 s');
      this.retryLater(mode, 1000);
      return;
    }
    try {
      const lean = mode === 'ring';
      const observe = () => ctx.observe([], { lean });
      const o = await observe();
      const decision = ringDecision(ctx.desired, this.health, o);
      this.noteDecision(decision);
      const removed = this.removed;
      // The verify after the apply re-plans with the same decision: health that moved meanwhile is the next change's business.
      const replan = (obs: ObservedState, afterWait = true) => {
        if (mode !== 'reload') return planFor(ctx.desired, decision, obs, removed, lean);
        const r = withRemoved(ctx.desired, removed);
        return enginePlan(afterWait ? { ...r.desired, configFix: [] } : r.desired, obs, { siteDevices: siteDevicesOf(ctx.site), afterWait, out: new Set([...decision.out, ...r.out]), keepAdminState: true });
      };
      const p = replan(o, mode !== 'reload');
      if (p.steps.length === 0) { this.removed = []; this.retryMs = 0; return; }
      const tx = new Transactions(await currentRecord(ctx, this.o.io), {
        runner: ctx.runner, log: this.log, stateDir: ctx.stateDir, observe, fixConfig: ctx.fixConfig,
        onRecordError: (w) => this.log.error({ err: w.message }, 'could not write the record after a rollback'),
      });
      this.pauseProbes();
      let done;
      try {
        done = await tx.run(p, replan, mode === 'reload' ? 'reload' : 'ring change');
      } finally {
        this.resumeProbes();
      }
      this.removed = [];
      this.retryMs = 0;
      this.actions++;
      const left = done.filter((s) => s.kind === 'detach-slave').map((s) => (s as { dev: string }).dev);
      const joined = done.filter((s) => s.kind === 'attach-slave').map((s) => (s as { dev: string }).dev);
      const ms = Date.now() - t0;
      this.log.info({ event: 'ring', mode, left, joined, steps: done.map(describe), ms, out: [...decision.out] },
        `${[...left.map((l) => `${l} left the ring`), ...joined.map((l) => `${l} rejoined the ring`)].join(', ') || `${mode === 'reload' ? 'configuration applied' : 'bond converged'}`} (${ms} ms)`);
      if (mode === 'reload' && tx.last) staleWarning(tx.last.staleDrivers, this.o.io);
    } catch (e) {
      // Never a tight loop: the next try waits longer each time, to a bound.
      this.retryMs = Math.min(30_000, Math.max(1000, this.retryMs * 2));
      this.log.error({ err: errText(e), mode, retryInMs: this.retryMs }, 'changing the bond failed (rolled back); trying again');
      this.retryLater(mode, this.retryMs);
    } finally {
      await lock.release();
    }
  }

  private noteDecision(d: RingDecision): void {
    for (const teql of d.allDown) {
      if (this.allDown.has(teql)) continue;
      this.allDown.add(teql);
      this.log.error({ event: 'all-lines-down', bond: teql, lines: [...this.bondOf].filter(([, t]) => t === teql).map(([l]) => l) },
        `${teql}: EVERY LINE IS DOWN; all stay in the ring (TEQL skips the dead ones itself) and the probes go on`);
    }
    for (const teql of [...this.allDown]) {
      if (d.allDown.includes(teql)) continue;
      this.allDown.delete(teql);
      this.log.warn({ event: 'lines-back', bond: teql }, `${teql}: a line works again`);
    }
    for (const s of d.skipped) {
      if (this.skippedSaid.has(s.teql)) continue;
      this.skippedSaid.add(s.teql);
      this.log.warn({ event: 'bond-skipped', bond: s.teql, why: s.why }, `${s.teql}: left alone (${s.why}); run wanbond up or reload the daemon (SIGHUP) to bring it up`);
    }
    for (const t of [...this.skippedSaid]) if (!d.skipped.some((s) => s.teql === t)) this.skippedSaid.delete(t);
  }

  // --- configuration reload -----------------------------------------------------------------------

  private watchFiles(): void {
    const paths = [this.ctx.settings.file, this.ctx.site?.confDir].filter((p): p is string => p !== undefined);
    if (paths.length === 0) return;
    // Editors write a temporary file and rename it; wanbond's own DYN_INTR_CFG edit does the same.
    this.files = chokidarWatch(paths, { ignoreInitial: true, atomic: true, awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 }, depth: 2,
      ignored: (p: string) => /\.wanbond-(tmp-\d+|\d+T\d+Z\.bak(\.\d+)?)$|\.wanbond-[0-9TZ]+\.bak/.test(p) });
    this.files.on('all', (ev, p) => {
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => { this.reloadTimer = undefined; this.log.info({ event: 'reload', why: `${ev} ${p}` }, 'a configuration file changed; reloading'); void this.reload(`${ev} ${p}`); }, 500);
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
      this.log.error({ event: 'reload-failed', why, err: errText(e) }, 'the configuration does not parse; the running bond is kept as it is');
      return;
    }
    const old = new Map(this.bondOf);
    this.ctx = next;
    this.cfg = next.settings.watch.health;
    const nowIn = new Map<string, string>();
    for (const b of next.desired.bonds) for (const s of b.slaves) nowIn.set(s.name, b.teql);
    this.removed = [...this.removed, ...[...old].filter(([n, t]) => nowIn.get(n) !== t && next.desired.bonds.some((b) => b.teql === t)).map(([name, teql]) => ({ name, teql }))];
    this.initLines(next);
    // Probe targets may have changed; each probe is checked against the new configuration.
    for (const [name, p] of this.probes) this.syncProbe(name, p.ifindex);
    this.log.info({ event: 'reloaded', why, lines: [...this.health.keys()], removed: this.removed }, 'configuration reloaded; applying the difference');
    await this.resyncLinks(0);
    this.requestAction('reload');
  }

  // --- status -------------------------------------------------------------------------------------

  private writing = false;
  private writeAgain = false;

  private async writeHealth(stoppedAt?: string): Promise<void> {
    if (this.writing && !stoppedAt) { this.writeAgain = true; return; }
    this.writing = true;
    try {
      do {
        this.writeAgain = false;
        const now = Date.now();
        const file: HealthFile = {
          version: 1, pid: process.pid, startedAt: this.startedAt, updatedAt: new Date(now).toISOString(), ...(stoppedAt ? { stoppedAt } : {}),
          bonds: this.ctx.desired.bonds.map((b) => ({ teql: b.teql, allDown: this.allDown.has(b.teql), lines: b.slaves.map((s) => this.health.get(s.name)).filter((h): h is LineHealth => h !== undefined).map((h) => summary(h, now, this.cfg)) })),
          memory: { rssKb: Math.round(process.memoryUsage.rss() / 1024), heapUsedKb: Math.round(process.memoryUsage().heapUsed / 1024) },
          actions: this.actions,
        };
        await writeHealthFile(this.ctx.stateDir, file);
      } while (this.writeAgain);
    } catch (e) {
      this.log.error({ err: errText(e) }, 'cannot write the health file for wanbond status');
    } finally {
      this.writing = false;
    }
  }
}

const inRingState = (s: LineHealth['state']) => s === 'up' || s === 'suspect';
