// One change of the bonds by the daemon, through the engine: under the lock, read the kernel, decide
// the ring from the lines' health, plan, apply (journal, verify, rollback) and record, as `up` does.
import { Transactions, type TransactionDeps } from '../apply/recorded.js';
import { currentRecord, removedBonds } from '../cli/commands/engine.js';
import { orphanTeardown, rollbackOf } from '../plan/orphans.js';
import { withoutEntries } from '../state/merge.js';
import type { Context } from '../cli/context.js';
import type { Io } from '../cli/io.js';
import { acquireLock, type Lock } from '../exec/lock.js';
import type { Log } from '../log.js';
import type { Plan, Step } from '../plan/steps.js';
import { writeRecord, type Record as WanbondRecord } from '../state/record.js';
import type { DesiredState, ObservedState } from '../state/types.js';
import { nftLost } from '../bonds/weighted/plan.js';
import { plannableFromCache } from '../bonds/registry.js';
import { ApplyError } from '../apply/apply.js';
import { CommandError, errText, VerifyError } from '../errors.js';
import type { LineHealth } from './health.js';
import type { ReadCache } from './read-cache.js';
import type { RecordCache } from './record-cache.js';
import { planFor, ringDecision, watchDesired, type RemovedLine, type RingDecision } from './ring.js';

/**
 * ring: slaves only, from a lean read of the kernel (what a line failing or returning needs; fast).
 * bond: the running bonds whole (routes, address, sysctls, lines added or removed by a reload), after
 * the link monitor (re)started and after a reload. Neither starts cards, edits files or brings up a
 * bond that is down: that is `up`'s.
 */
export type Mode = 'ring' | 'bond';
export const WIDTH: Record<Mode, number> = { ring: 0, bond: 1 };

/** Where a change takes wanbond's lock from. */
export type LockSource = (what: string) => Promise<Lock>;
const ownLock =
  (ctx: Context): LockSource =>
  (what) =>
    acquireLock(ctx.stateDir, { what, waitMs: ctx.lockWaitMs });

export interface ConvergeResult {
  decision: RingDecision;
  done: Step[];
  last: ObservedState | undefined;
  /** What the bonds that are up lacked of wanbond's nftables table before the change (a firewall reload took it). */
  lost: string[];
  /**
   * Where the change's time went, in ms from its start: lock taken, record read, kernel read, planned, the
   * first batch journaled, the kernel changed (every batch answered; 0 when nothing was applied), applied
   * (verified and recorded).
   */
  marks: Record<'lock' | 'record' | 'read' | 'plan' | 'journal' | 'changed' | 'apply', number>;
  /** When the kernel had the change (Date.now(), before its verify); undefined when nothing was applied. */
  changedAt?: number;
  /** Planned from the daemon's cached read of the kernel (read-cache.ts), not a read of its own. */
  cached: boolean;
  /** A ring change that read the kernel first: why not from the cached read. */
  readWhy?: 'none kept' | 'a plan it cannot make' | 'stale';
}

/**
 * A change planned from the cached read that the kernel refused (a command that exited failing: a step refused
 * when stale counts as not done) or that its verify found wrong, and that was rolled back whole: what a stale read
 * costs. Anything else (a rollback left incomplete, a child that died) is not the cache's to try again.
 */
const staleShown = (e: unknown): boolean =>
  e instanceof ApplyError &&
  e.undoFailures.length === 0 &&
  e.remaining.length === 0 &&
  ((e.cause instanceof CommandError && e.cause.exitCode !== undefined) || e.cause instanceof VerifyError);

/** The engine's transactions as the daemon runs them: a record write that fails after a rollback is logged. */
function daemonTransactions(
  ctx: Context,
  record: WanbondRecord,
  log: Log,
  observe: () => Promise<ObservedState>,
  told: Pick<TransactionDeps, 'applied' | 'journaled'> = {},
): Transactions {
  return new Transactions(record, {
    ...told,
    runner: ctx.runner,
    log,
    stateDir: ctx.stateDir,
    observe,
    fixConfig: ctx.fixConfig,
    onRecordError: (w) => log.error({ err: w.message }, 'could not write the record after a rollback'),
  });
}

export async function converge(
  ctx: Context,
  o: {
    mode: Mode;
    health: ReadonlyMap<string, LineHealth>;
    removed: readonly RemovedLine[];
    io: Io;
    log: Log;
    /** The bonds as the daemon wants them now (a load-balanced bond's measured weights); the context's otherwise. */
    desired?: DesiredState;
    /** Told the decision before anything changes (the loud all-down message comes from it). */
    decided: (d: RingDecision) => void;
    /** Around the apply: the probes are held while the slave list changes. */
    hold: () => void;
    release: () => void;
    /** The daemon's lock, held between its changes; a lock of its own otherwise. */
    lock?: LockSource;
    /** The record as the last change under the same held lock left it. */
    records?: RecordCache;
    /** The kernel as the last ring change read it, kept true by the monitor's events since. */
    reads?: ReadCache;
  },
): Promise<ConvergeResult> {
  const t0 = Date.now();
  const marks = { lock: 0, record: 0, read: 0, plan: 0, journal: 0, changed: 0, apply: 0 };
  const mark = (k: keyof typeof marks) => {
    marks[k] = Date.now() - t0;
  };
  const lock = await (o.lock ?? ownLock(ctx))('watch');
  mark('lock');
  const lean = o.mode === 'ring';
  // A whole-bond change reads everything and may change what a lean read holds: the next ring change reads anew.
  if (!lean) o.reads?.clear();
  const own = () => ctx.observe([], { lean });
  const reads = lean ? o.reads : undefined;
  const observe = reads ? () => reads.read(lock.tenure, own) : own;
  const desired = o.desired ?? ctx.desired;
  // Which bonds are up is the record's answer, read under the lock that `up` and `down` write it under.
  // Kept, it is taken without an await: one lets the event loop run whatever is due before the change goes on.
  const kept = () => o.records?.get(lock.tenure);
  const record = async () => {
    const r = await currentRecord(ctx, o.io);
    o.records?.set(lock.tenure, r);
    return r;
  };
  /** The change from this read of the kernel; undefined when `cached` and its plan is not one to make from a cache. */
  const attempt = async (
    before: ObservedState,
    rec: WanbondRecord,
    cached: boolean,
  ): Promise<ConvergeResult | undefined> => {
    const decision = ringDecision(desired, o.health, before, o.removed, rec.steps);
    // The verify after the apply re-plans with the same decision: health that moved meanwhile is the next
    // change's business.
    const replan = (obs: ObservedState): Plan => planFor(desired, decision, obs, o.removed, lean);
    const p = replan(before);
    // Nothing to do by the cache may be news it missed (a slave re-attached by hand): that is for a read to say.
    if (cached && !plannableFromCache(p.steps)) return undefined;
    o.decided(decision);
    const w = before.policy;
    const lost = w?.nftAvailable ? nftLost(watchDesired(desired, before, decision, o.removed).bonds, w.nft) : [];
    mark('plan');
    if (p.steps.length === 0) return { decision, done: [], last: before, lost, marks, cached };
    let changedAt: number | undefined;
    const tx = daemonTransactions(ctx, rec, o.log, observe, {
      applied: () => {
        mark('changed');
        changedAt = Date.now();
      },
      journaled: () => {
        if (marks.journal === 0) mark('journal');
      },
    });
    o.hold();
    try {
      const done = await tx.run(p, replan, o.mode === 'ring' ? 'ring change' : 'bond change');
      mark('apply');
      o.records?.set(lock.tenure, tx.current);
      const at = changedAt !== undefined ? { changedAt } : {};
      return { decision, done, last: tx.last, lost, marks: { ...marks }, cached, ...at };
    } finally {
      o.release();
    }
  };
  try {
    let rec = kept() ?? (await record());
    mark('record');
    const cached = reads?.get(lock.tenure);
    let readWhy: ConvergeResult['readWhy'] = 'none kept';
    if (cached) {
      mark('read');
      try {
        const r = await attempt(cached, rec, true);
        if (r) return r;
        readWhy = 'a plan it cannot make';
      } catch (e) {
        if (!staleShown(e)) throw e;
        readWhy = 'stale';
        o.records?.clear();
        marks.journal = 0;
        reads?.clear();
        o.log.warn(
          { event: 'stale-read', err: errText(e) },
          'the kernel was not as the daemon last saw it; reading it again',
        );
        rec = await record();
      }
    }
    const before = await observe();
    mark('read');
    const r = (await attempt(before, rec, false)) as ConvergeResult;
    return reads ? { ...r, readWhy } : r;
  } catch (e) {
    // A failed change may have left the record written in part (its journal, a rollback's remains).
    o.records?.clear();
    reads?.clear();
    throw e;
  } finally {
    await lock.release();
  }
}

/**
 * After a reload that deleted bond sections: those bonds taken down as `up` takes them down (what this
 * boot's record holds of them, undone), so no bond runs unwatched and unknown to status and doctor.
 * Returns the bonds taken down.
 */
export async function removeDeleted(ctx: Context, o: { io: Io; log: Log; lock?: LockSource }): Promise<string[]> {
  const lock = await (o.lock ?? ownLock(ctx))('watch (reload)');
  try {
    const record = await currentRecord(ctx, o.io);
    const { orphans, observe } = removedBonds(ctx, record);
    if (orphans.steps.length === 0) return [];
    const before = await observe();
    const removal = orphanTeardown(orphans, before);
    if (removal.steps.length === 0) {
      // Nothing of them is left in the kernel: only the record still names them.
      await writeRecord(ctx.stateDir, { ...record, steps: withoutEntries(record.steps, orphans.steps) });
      return orphans.bonds;
    }
    const tx = daemonTransactions(ctx, record, o.log, observe);
    const replan = (obs: ObservedState): Plan => ({ version: 1, steps: orphanTeardown(orphans, obs).steps });
    await tx.run(
      { version: 1, steps: removal.steps },
      replan,
      `taking down ${orphans.bonds.join(', ')}`,
      rollbackOf(removal.pairs),
    );
    await tx.forget(orphans.steps);
    return orphans.bonds;
  } finally {
    await lock.release();
  }
}
