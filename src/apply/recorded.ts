// Transactions that keep the record `down` reads: each plan applied (journal before every batch),
// what it did merged into the record, and on a rollback only what could not be undone kept there.
// `up` runs its plan and each device restart this way; the watch daemon runs its ring changes so.
import type { Log } from '../log.js';
import type { Runner } from '../exec/runner.js';
import type { Plan, Step } from '../plan/steps.js';
import { extendRecord, writeRecord, type Record } from '../state/record.js';
import type { ObservedState } from '../state/types.js';
import { resourceOf, withoutEntries } from '../state/merge.js';
import { apply, ApplyError } from './apply.js';
import type { Inverse } from '../plan/teardown.js';

export interface TransactionDeps {
  runner: Runner;
  log: Log;
  stateDir: string;
  observe: () => Promise<ObservedState>;
  fixConfig: (ifaces: string[]) => Promise<void>;
  signal?: AbortSignal;
  /** Told when the record cannot be written after a rollback (the error itself is rethrown). */
  onRecordError?: (e: Error) => void;
  /** Told when a plan's steps have all run, before its verify (apply.ts). */
  applied?: () => void;
  /** Told after each batch's journal was written, before the batch runs. */
  journaled?: () => void;
}

export class Transactions {
  /** What the last observation showed: each apply's verify reads the kernel last. */
  last: ObservedState | undefined;

  constructor(
    private record: Record,
    private readonly deps: TransactionDeps,
  ) {}

  /** The record as these transactions last wrote it (or were given it). */
  get current(): Record {
    return this.record;
  }

  /** `inverse`: the undo of a step of this plan, where it is not the step's inverse() (see apply.ts). */
  async run(
    plan: Plan,
    replan: (o: ObservedState, afterWait: boolean) => Plan,
    label?: string,
    inverse?: Inverse,
  ): Promise<Step[]> {
    const d = this.deps;
    let journaled: readonly Step[] | undefined;
    /** How many of this run's steps the record on disk already accounts for. */
    let covered = 0;
    try {
      const done = await apply(plan, {
        runner: d.runner,
        log: d.log,
        observe: async () => (this.last = await d.observe()),
        replan,
        fixConfig: d.fixConfig,
        ...(d.signal ? { signal: d.signal } : {}),
        ...(label ? { label } : {}),
        ...(inverse ? { inverse } : {}),
        ...(d.applied ? { applied: d.applied } : {}),
        journal: async (steps) => {
          journaled = undefined;
          // Steps that leave `down` nothing to undo (a hold, a detach) would leave the record as written: no
          // write, so a line leaving the ring waits for none (an atomic write took 33-94 ms under TCG in the lab).
          if (steps.slice(covered).some((s) => resourceOf(s) !== undefined))
            await writeRecord(d.stateDir, extendRecord(this.record, steps));
          covered = steps.length;
          journaled = steps;
          d.journaled?.();
        },
      });
      this.record = extendRecord(this.record, done);
      // The last journal holds exactly what was done (a daemon's one-batch ring change): written already.
      const same = journaled?.length === done.length && journaled.every((s, i) => s === done[i]);
      if (!same) await writeRecord(d.stateDir, this.record);
      return done;
    } catch (e) {
      if (e instanceof ApplyError) {
        // What the rollback could not undo stays recorded for `down`; the rest leaves the record.
        await writeRecord(d.stateDir, extendRecord(this.record, e.remaining)).catch((w: Error) => d.onRecordError?.(w));
      }
      throw e;
    }
  }

  /**
   * The record without the entries of these steps: a bond taken down is no longer `down`'s to undo.
   * By what they changed, as the record keys its entries: the removal's own undo steps were merged there.
   */
  async forget(steps: readonly Step[]): Promise<void> {
    this.record = { ...this.record, steps: withoutEntries(this.record.steps, steps) };
    await writeRecord(this.deps.stateDir, this.record);
  }
}
