// The daemon's changes of the bonds, one at a time through the engine (converge.ts): a change asked
// for while one runs is folded into one more after it, at the widest mode asked; a failed change is
// tried again later, waiting longer each time to a bound; and what each change did is logged. The
// daemon asks; this runs, and knows nothing of signals, probes or files beyond what it is handed.
import type { Context } from '../cli/context.js';
import type { Io } from '../cli/io.js';
import { staleWarning } from '../cli/commands/engine.js';
import { errText } from '../errors.js';
import { BusyError } from '../exec/lock.js';
import type { Log } from '../log.js';
import { describe } from '../plan/steps.js';
import type { DesiredState } from '../state/types.js';
import { converge, removeDeleted, WIDTH, type LockSource, type Mode } from './converge.js';
import type { LineHealth } from './health.js';
import type { Lifecycle } from './lifecycle.js';
import type { LinkEvent } from './parse.js';
import { ReadCache } from './read-cache.js';
import { RecordCache } from './record-cache.js';
import type { RemovedLine, RingDecision } from './ring.js';

/** How long after its start `ip monitor` may still miss an event (the daemon reads the links again then). */
export const MONITOR_SUBSCRIBES_MS = 1000;

export interface RingHost {
  ctx: () => Context;
  health: ReadonlyMap<string, LineHealth>;
  life: Lifecycle;
  io: Io;
  log: Log;
  /** The bonds as the daemon wants them now (a load-balanced bond's measured weights). */
  desired: (ctx: Context) => DesiredState;
  /** Told each decision before anything changes. */
  decided: (d: RingDecision) => void;
  /** Around an apply: the probes are held while the slave list changes. */
  hold: () => void;
  release: () => void;
  /** After a change that did something. */
  changed: () => void;
  /** The daemon's lock, held between changes. */
  lock: LockSource;
  /** Processes the daemon has started so far, and ms spent in commands: each change logs what it cost. */
  started: () => number;
  commandMs: () => number;
}

export class RingDriver {
  private running: Promise<void> | undefined;
  private again = false;
  /** The widest convergence asked for since the last one ran. */
  private nextMode: Mode = 'ring';
  private retryMs = 0;
  /** Lines a reload took out of a bond: they leave its ring with the next change. */
  removed: RemovedLine[] = [];
  /** Bonds a reload deleted from the settings: taken down by the next whole-bond change. */
  deleted = false;
  /** Changes that did something, for health.json and the lab. */
  actions = 0;
  private readonly records = new RecordCache();
  private readonly reads = new ReadCache();

  constructor(private readonly h: RingHost) {}

  /** The change under way, if any (stop lets it finish: never left half done). */
  get acting(): Promise<void> | undefined {
    return this.running;
  }

  /** Each line of the daemon's `ip -o monitor` (and its link event), first thing: it keeps the cached read true. */
  kernelEvent(line: string, ev: LinkEvent | undefined): void {
    this.reads.event(line, ev);
  }

  /**
   * The monitor exited (no more events until it runs again), or it started: it subscribes a moment after, so
   * a read is not kept until a second later.
   */
  monitorGone(): void {
    this.reads.blind(Number.POSITIVE_INFINITY);
  }
  monitorStarted(): void {
    this.reads.blind(Date.now() + MONITOR_SUBSCRIBES_MS);
  }
  /** The monitor said it lost events: the cached read may have missed what they said. */
  eventsLost(): void {
    this.reads.clear();
  }

  request(mode: Mode = 'ring'): void {
    if (WIDTH[mode] > WIDTH[this.nextMode]) this.nextMode = mode;
    if (!this.h.life.live) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          const m = this.nextMode;
          this.nextMode = 'ring';
          await this.converge(m);
        } while (this.again && this.h.life.live);
      } finally {
        this.running = undefined;
      }
    })();
  }

  /**
   * Between events: one ring change, which reads the kernel (and wanbond's nftables table) and puts back what
   * drifted from the daemon's intent; it changes nothing when nothing drifted.
   */
  checkDrift(): void {
    // A failed change waits for its own retry (never a tight loop); one under way reads the kernel itself.
    if (this.running || this.retryMs > 0 || !this.h.life.live) return;
    this.request('ring');
  }

  /** A failed change is tried again later; a failed wide one must not hold up the lines' own changes meanwhile. */
  private retryLater(mode: Mode, ms: number): void {
    this.h.life.later(ms, () => this.request(mode));
    if (mode !== 'ring') this.h.life.later(0, () => this.request('ring'));
  }

  private async converge(mode: Mode): Promise<void> {
    const t0 = Date.now();
    const n0 = this.h.started();
    const c0 = this.h.commandMs();
    const ctx = this.h.ctx();
    try {
      // Bonds whose sections a reload deleted go first, as `up` takes them down.
      if (mode === 'bond' && this.deleted) await this.takeDownDeleted(ctx);
      const removed = this.removed;
      const r = await converge(ctx, {
        mode,
        health: this.h.health,
        removed,
        io: this.h.io,
        log: this.h.log,
        desired: this.h.desired(ctx),
        decided: this.h.decided,
        hold: this.h.hold,
        release: this.h.release,
        lock: this.h.lock,
        records: this.records,
        reads: this.reads,
      });
      // A reload during the change may have added more: only those this change handled are done.
      this.removed = this.removed.filter((x) => !removed.includes(x));
      this.retryMs = 0;
      // A line moving between bonds joins its new bond once the old one has let it go: one more pass.
      if (removed.length > 0 && r.decision.foreign.some((f) => removed.some((x) => x.name === f.line)))
        this.request('bond');
      if (r.done.length === 0) return;
      this.actions++;
      this.h.changed();
      const table = r.done.find((s) => s.kind === 'nft-table');
      if (table && r.lost.length > 0) {
        const bonds = table.bonds.map((b) => b.bond);
        this.h.log.warn(
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
      const processes = this.h.started() - n0;
      // The rest of ms is the daemon's own work: planning, the journal and the record, node's event loop.
      const commandMs = this.h.commandMs() - c0;
      const moved = [...left.map((l) => `${l} left the ring`), ...joined.map((l) => `${l} rejoined the ring`)];
      this.h.log.info(
        {
          event: 'ring',
          mode,
          left,
          joined,
          steps: r.done.map(describe),
          ms,
          commandMs,
          processes,
          marks: r.marks,
          cached: r.cached,
          ...(r.readWhy ? { readWhy: r.readWhy } : {}),
          ...(r.changedAt !== undefined ? { changedAt: r.changedAt } : {}),
          out: [...r.decision.out],
        },
        `${moved.join(', ') || 'bond converged'} (${ms} ms, ${processes} processes started)`,
      );
      if (mode === 'bond' && r.last) staleWarning(r.last.staleDrivers, this.h.io);
    } catch (e) {
      // Never a tight loop: the next try waits longer each time, to a bound. A busy lock is tried again in a second.
      this.retryMs = e instanceof BusyError ? 1000 : Math.min(30_000, Math.max(1000, this.retryMs * 2));
      this.h.log.error(
        { err: errText(e), mode, retryInMs: this.retryMs },
        e instanceof BusyError
          ? 'another wanbond holds the lock; trying again'
          : 'changing the bond failed (rolled back); trying again',
      );
      this.retryLater(mode, this.retryMs);
    }
  }

  /**
   * Bonds a reload deleted, taken down; a failure is logged and tried again with the next whole-bond change,
   * and never keeps the bonds that remain from being converged.
   */
  private async takeDownDeleted(ctx: Context): Promise<void> {
    // Cleared first: a reload that deletes another bond meanwhile asks again.
    this.deleted = false;
    // The removal writes the record under the same held lock, and changes the kernel.
    this.records.clear();
    this.reads.clear();
    try {
      const gone = await removeDeleted(ctx, { io: this.h.io, log: this.h.log, lock: this.h.lock });
      if (gone.length > 0)
        this.h.log.warn(
          { event: 'bonds-removed', bonds: gone },
          `${gone.join(', ')}: no longer in the settings: taken down`,
        );
    } catch (e) {
      this.deleted = true;
      this.h.log.error(
        { event: 'bonds-remove-failed', err: errText(e) },
        'cannot take down the bonds deleted from the settings (rolled back); trying again with the next change',
      );
    }
  }
}
