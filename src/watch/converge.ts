// One change of the bonds by the daemon, through the engine: under the lock, read the kernel, decide
// the ring from the lines' health, plan, apply (journal, verify, rollback) and record, as `up` does.
import { Transactions } from '../apply/recorded.js';
import { currentRecord } from '../cli/commands/engine.js';
import type { Context } from '../cli/context.js';
import type { Io } from '../cli/io.js';
import { acquireLock } from '../exec/lock.js';
import type { Log } from '../log.js';
import type { Plan, Step } from '../plan/steps.js';
import type { DesiredState, ObservedState } from '../state/types.js';
import type { LineHealth } from './health.js';
import { planFor, ringDecision, type RemovedLine, type RingDecision } from './ring.js';

/**
 * ring: slaves only, from a lean read of the kernel (what a line failing or returning needs; fast).
 * bond: the running bonds whole (routes, address, sysctls, lines added or removed by a reload), after
 * the link monitor (re)started and after a reload. Neither starts cards, edits files or brings up a
 * bond that is down: that is `up`'s.
 */
export type Mode = 'ring' | 'bond';
export const WIDTH: Record<Mode, number> = { ring: 0, bond: 1 };

export interface ConvergeResult { decision: RingDecision; done: Step[]; last: ObservedState | undefined }

export async function converge(ctx: Context, o: {
  mode: Mode; health: ReadonlyMap<string, LineHealth>; removed: readonly RemovedLine[]; io: Io; log: Log;
  /** The bonds as the daemon wants them now (a load-balanced bond's measured weights); the context's otherwise. */
  desired?: DesiredState;
  /** Told the decision before anything changes (the loud all-down message comes from it). */
  decided: (d: RingDecision) => void;
  /** Around the apply: the probes are held while the slave list changes. */
  hold: () => void; release: () => void;
}): Promise<ConvergeResult> {
  const lock = await acquireLock(ctx.stateDir, { what: 'watch', waitMs: ctx.lockWaitMs });
  try {
    const lean = o.mode === 'ring';
    const observe = () => ctx.observe([], { lean });
    const before = await observe();
    const desired = o.desired ?? ctx.desired;
    const decision = ringDecision(desired, o.health, before, o.removed);
    o.decided(decision);
    // The verify after the apply re-plans with the same decision: health that moved meanwhile is the next change's business.
    const replan = (obs: ObservedState): Plan => planFor(desired, decision, obs, o.removed, lean);
    const p = replan(before);
    if (p.steps.length === 0) return { decision, done: [], last: before };
    const tx = new Transactions(await currentRecord(ctx, o.io), {
      runner: ctx.runner, log: o.log, stateDir: ctx.stateDir, observe, fixConfig: ctx.fixConfig,
      onRecordError: (w) => o.log.error({ err: w.message }, 'could not write the record after a rollback'),
    });
    o.hold();
    try {
      const done = await tx.run(p, replan, o.mode === 'ring' ? 'ring change' : 'bond change');
      return { decision, done, last: tx.last };
    } finally {
      o.release();
    }
  } finally {
    await lock.release();
  }
}
