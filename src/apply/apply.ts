// Run a plan, read the kernel back, verify; on any failure (or SIGINT/SIGTERM) undo the completed
// steps in reverse. Each batch is announced to the journal before it runs, so a crash leaves a
// record that names everything that may have changed.
import { CommandError, VerifyError, WanbondError } from '../errors.js';
import { argvOf, type Runner } from '../exec/runner.js';
import type { Log } from '../log.js';
import { guardSlaveChanges } from '../plan/guard.js';
import {
  bestEffort,
  describe,
  inverse,
  isHoldStep,
  isIrreversible,
  meansDone,
  shellQuote,
  toCommand,
  type Plan,
  type Step,
} from '../plan/steps.js';
import { stillToUndo, undoPairs } from '../plan/teardown.js';
import { refusesStale } from '../bonds/registry.js';
import type { ObservedState } from '../state/types.js';
import { completedBeforeFailure, groupSteps } from './batch.js';
import { plural } from '../text.js';

export interface ApplyDeps {
  runner: Runner;
  log: Log;
  observe: () => Promise<ObservedState>;
  /** The plan again from fresh observation; `afterWait` once the slaves exist. */
  replan: (o: ObservedState, afterWait: boolean) => Plan;
  fixConfig: (ifaces: string[]) => Promise<void>;
  /** Called with every step done so far plus the batch about to run, before it runs. */
  journal?: (steps: readonly Step[]) => Promise<void>;
  /** Aborted by SIGINT/SIGTERM: stop before the next batch and roll back. */
  signal?: AbortSignal;
  /** What this apply is, when it is one of several (`restart of wanpipe2`): it prefixes the error. */
  label?: string;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  batch?: boolean;
  /** The undo of a step this apply ran, where it is not inverse() (a bond's removal runs undo steps). */
  inverse?: (s: Step) => Step | undefined;
  /** Told when every step has run, before the read that verifies them: from here the kernel has the change. */
  applied?: () => void;
}

export class InterruptedError extends WanbondError {
  readonly signalName: string;
  constructor(signalName: string) {
    super(`interrupted by ${signalName}`, 'run the command again when you are ready');
    this.signalName = signalName;
  }
}

export class ApplyError extends WanbondError {
  readonly undone: Step[];
  readonly undoFailures: { step: Step; error: string }[];
  /** Steps done whose undo is still needed: they stay in the record for `down`. */
  readonly remaining: Step[];
  constructor(
    cause: unknown,
    undone: Step[],
    undoFailures: { step: Step; error: string }[],
    remaining: Step[],
    label?: string,
    irreversible: readonly Step[] = [],
  ) {
    const base = (label ? `${label}: ` : '') + (cause instanceof Error ? cause.message : String(cause));
    const hint =
      cause instanceof WanbondError ? cause.hint : 'run `wanbond status` and `wanbond plan` to see the state';
    const except =
      irreversible.length === 0 ? '' : ` except what no undo gives back: ${irreversible.map(describe).join('; ')}`;
    const left = [
      ...undoFailures.map((f) => `${describe(f.step)} (${f.error})`),
      ...(undoFailures.length === 0 ? remaining.map((s) => `not undone: ${describe(s)}`) : []),
    ];
    const tail =
      undoFailures.length === 0 && remaining.length === 0
        ? `; rolled back ${plural(undone.length, 'step')}, the system is as it was${except}`
        : `; rollback incomplete: ${left.join('; ')}; \`wanbond down\` undoes the rest`;
    super(base + tail, hint, { cause });
    this.undone = undone;
    this.undoFailures = undoFailures;
    this.remaining = remaining;
  }
}

const aborted = (signal: AbortSignal | undefined) => {
  if (signal?.aborted) throw new InterruptedError(String(signal.reason ?? 'a signal'));
};

async function waitForLinks(step: Extract<Step, { kind: 'wait-links' }>, deps: ApplyDeps): Promise<ObservedState> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const deadline = now() + step.timeoutMs;
  for (;;) {
    aborted(deps.signal);
    const o = await deps.observe();
    const missing = step.devs.filter((d) => !o.links.some((l) => l.name === d));
    if (missing.length === 0) return o;
    if (now() >= deadline) {
      throw new WanbondError(
        `wanrouter did not create ${missing.join(', ')} within ${step.timeoutMs / 1000}s`,
        `check the card and its configuration: wanrouter status; tail /var/log/wanrouter; ` +
          `raise slave_wait in [global] of the settings if the card is slow`,
      );
    }
    await sleep(100);
  }
}

/** Runs undo steps, batched; a failing one is reported and the rest still run (teardown must not stop halfway). */
export async function runAll(
  steps: readonly Step[],
  deps: Pick<ApplyDeps, 'runner' | 'log' | 'batch' | 'signal'>,
): Promise<{ done: Step[]; failures: { step: Step; error: string }[] }> {
  const done: Step[] = [];
  const failures: { step: Step; error: string }[] = [];
  const one = async (s: Step) => {
    const cmd = toCommand(s);
    try {
      if (cmd) await deps.runner.change(cmd);
      done.push(s);
    } catch (e) {
      failures.push({ step: s, error: e instanceof Error ? e.message : String(e) });
      deps.log.error({ argv: cmd ? argvOf(cmd) : undefined, err: e }, 'undo step failed');
    }
  };
  for (const g of groupSteps(steps, deps.batch ?? true)) {
    if (!g.command) {
      done.push(...g.steps);
      continue;
    }
    // `down` stops between batches on a signal; a hold is always released, or the bond stays stopped.
    if (deps.signal?.aborted && !g.steps.every((s) => s.kind === 'release-bond')) continue;
    try {
      await deps.runner.change(g.command);
      done.push(...g.steps);
    } catch (e) {
      const ok = g.command.file !== 'sysctl' && e instanceof CommandError ? (completedBeforeFailure(e.stderr) ?? 0) : 0;
      done.push(...g.steps.slice(0, ok));
      for (const s of g.steps.slice(ok)) await one(s);
    }
  }
  return { done, failures };
}

/** Undoes the done steps, newest first, where the kernel still shows them (what never took effect is skipped). */
export async function undo(
  all: readonly Step[],
  deps: Pick<ApplyDeps, 'runner' | 'log' | 'observe' | 'batch' | 'inverse'>,
): Promise<{ undone: Step[]; failures: { step: Step; error: string }[]; remaining: Step[] }> {
  // After a device restart, what follows puts its lines back as they were (slave, MTU, rp_filter on
  // the new interfaces): that is kept, never undone; only what led up to the restart is.
  const at = all.findIndex((s) => s.kind === 'restart-device');
  const kept = at >= 0 ? all.slice(at + 1) : [];
  const done = at >= 0 ? all.slice(0, at + 1) : all;
  let todo: Step[];
  const lost: { step: Step; error: string }[] = [];
  try {
    const before = await deps.observe();
    todo = guardSlaveChanges(
      undoPairs(done, before, deps.inverse).map((p) => p.undo),
      before,
    );
    // A line taken out for a device restart whose interface did not come back cannot be put back.
    for (const s of done) {
      if (
        s.kind === 'detach-slave' &&
        !before.links.some((l) => l.name === s.dev) &&
        !kept.some((x) => x.kind === 'attach-slave' && x.dev === s.dev)
      ) {
        lost.push({
          step: { kind: 'attach-slave', dev: s.dev, teql: s.teql },
          error: `${s.dev} is gone (its device did not come back: wanrouter status)`,
        });
      }
    }
  } catch (e) {
    deps.log.error({ err: e }, 'cannot observe before rollback; undoing every step');
    todo = [...done]
      .reverse()
      .map(deps.inverse ?? inverse)
      .filter((s): s is Step => s !== undefined);
  }
  // A rollback is never cut short by a signal: it is what the signal asked for.
  const r = await runAll(todo, {
    runner: deps.runner,
    log: deps.log,
    ...(deps.batch !== undefined ? { batch: deps.batch } : {}),
  });
  r.failures.push(...lost);
  let remaining: Step[] = [];
  try {
    remaining = [...stillToUndo(done, await deps.observe(), deps.inverse), ...kept];
  } catch {
    remaining = [...done, ...kept];
  }
  return { undone: r.done.filter((s) => !isHoldStep(s)), failures: r.failures, remaining };
}

/** A cleanup that failed: said loud, with what it leaves and the command to run by hand; the change stands. */
function cleanupFailed(s: Step, leaves: string, e: unknown, log: Log): void {
  const cmd = toCommand(s);
  const fix = cmd ? shellQuote(argvOf(cmd)) : undefined;
  const err = e instanceof Error ? e.message : String(e);
  log.error(
    { event: 'cleanup-failed', step: describe(s), err, fix },
    `${describe(s)} failed: ${err}; ${leaves}${fix ? `; run by hand: ${fix}` : ''}`,
  );
}

/**
 * How many of a failed command's steps count as done: up to the failing one, itself included unless it is a
 * step the kernel refuses whole (registry.ts refusesStale: one request, nothing changed when refused), named
 * as the one that failed. Undoing a detach the kernel refused would attach a line someone took out.
 */
function ranUpTo(steps: readonly Step[], failedAt: number | undefined, e: unknown): number {
  // A single command failed at its own step. A command that did not exit of itself (killed, a batch child that
  // died) may have had its step done by the kernel all the same.
  const at = failedAt ?? (steps.length === 1 ? 0 : undefined);
  if (at === undefined) return steps.length;
  const refused = e instanceof CommandError && e.exitCode !== undefined && refusesStale(steps[at] as Step);
  return refused ? at : at + 1;
}

/** Runs the plan; returns the steps done, in order (what `down` will undo). */
export async function apply(plan: Plan, deps: ApplyDeps): Promise<Step[]> {
  const done: Step[] = [];
  let queue = [...plan.steps];
  try {
    while (queue.length > 0) {
      aborted(deps.signal);
      const head = queue[0] as Step;
      if (head.kind === 'fix-config') {
        await deps.fixConfig(head.ifaces);
        done.push(head);
        queue.shift();
        continue;
      }
      if (head.kind === 'wait-links') {
        const o = await waitForLinks(head, deps);
        done.push(head);
        // The slaves exist now: plan the rest from what the kernel really shows.
        queue = deps.replan(o, true).steps;
        continue;
      }
      let n = 1;
      while (n < queue.length && !['fix-config', 'wait-links'].includes(queue[n]!.kind)) n++;
      for (const g of groupSteps(queue.slice(0, n), deps.batch ?? true)) {
        if (!g.command) continue;
        aborted(deps.signal);
        await deps.journal?.([...done, ...g.steps]);
        try {
          await deps.runner.change(g.command);
        } catch (e) {
          const only = g.steps.length === 1 ? (g.steps[0] as Step) : undefined;
          if (only && e instanceof CommandError && meansDone(only, e.exitCode, e.stderr)) {
            done.push(only);
            continue;
          }
          const leaves = only ? bestEffort(only) : undefined;
          if (only && leaves !== undefined) {
            cleanupFailed(only, leaves, e, deps.log);
            continue;
          }
          // A command that failed may still have done something (wanrouter that started the cards, then
          // exited 1; the failing line of a batch; a batch killed halfway, which names no line): it all
          // counts as done, and the undo, which reads the kernel, skips whatever had no effect.
          const failedAt = e instanceof CommandError ? completedBeforeFailure(e.stderr) : undefined;
          done.push(...g.steps.slice(0, ranUpTo(g.steps, failedAt, e)));
          throw e;
        }
        done.push(...g.steps);
      }
      queue = queue.slice(n);
    }
    aborted(deps.signal);
    deps.applied?.();
    const after = await deps.observe();
    const left = deps.replan(after, true).steps;
    if (left.length > 0) {
      throw new VerifyError(
        `the kernel does not show what was applied: ${left.map(describe).join('; ')}`,
        'another program may be changing the same links; run `wanbond status` and `wanbond plan`',
      );
    }
    aborted(deps.signal);
    return done;
  } catch (e) {
    deps.log.error({ err: e, done: done.length }, 'apply failed, rolling back');
    const { undone, failures, remaining } = await undo(done, deps);
    throw new ApplyError(e, undone, failures, remaining, deps.label, done.filter(isIrreversible));
  }
}
