// The control plane: `wanbond up` and `down` for 2, 8 and 16 lines (wall time, processes started,
// how much of it the card's start took), a second `up` that has nothing to do, `plan` and
// `status`, beside the seeds' recipe run as a script; and node's own start-up, reported apart.
import { execa } from 'execa';
import path from 'node:path';
import { CountingRunner } from '../../src/lab/counting-runner.js';
import { projectRoot, type Lab } from '../../src/lab/lab.js';
import { makeLoggerTo } from '../../src/log.js';
import { emit, handRecipe, labOf, quick, say, strictAgain, t1s } from '../common.js';

export interface Timed {
  ms: number;
  processes: number;
  cardMs: number;
  ok: boolean;
  programs: string[];
}

/** One wanbond command in this process through a counting runner: +1 process for flock(1), the lock. */
async function timed(lab: Lab, args: string[], locks: boolean): Promise<Timed> {
  const runner = new CountingRunner(
    makeLoggerTo('bench', () => undefined),
    lab.wanrouterPath,
  );
  const t0 = performance.now();
  const r = await lab.wanbond(args, {}, { runner });
  const ms = performance.now() - t0;
  if (r.code !== 0) say(`  wanbond ${args.join(' ')} exited ${r.code}: ${r.err.slice(0, 500)}`);
  const cardMs = runner.commands.filter((c) => c.argv[0] === 'wanrouter').reduce((a, c) => a + c.ms, 0);
  const programs = [
    ...(locks ? ['flock'] : []),
    ...runner.commands.map((c) =>
      c.argv.slice(0, c.argv.includes('-batch') ? c.argv.indexOf('-batch') + 1 : c.argv[1] === '-j' ? 3 : 2).join(' '),
    ),
  ];
  return { ms, processes: programs.length, cardMs, ok: r.code === 0, programs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : NaN;
};

export async function control(): Promise<void> {
  // Node's start-up and module load: the part of every wanbond command that is not its own work.
  const bin = path.join(projectRoot, 'bin', 'wanbond');
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await execa(process.execPath, [bin, '--version']);
    starts.push(performance.now() - t0);
  }
  const nodeStartMs = median(starts);
  say(`node start-up (wanbond --version as its own process): ${nodeStartMs.toFixed(0)} ms`);
  const rows = [];
  for (const n of quick ? [2, 8] : [2, 8, 16]) {
    const lab = await labOf(t1s(n));
    try {
      const reps = quick ? 1 : 3;
      const runs: {
        up: Timed;
        again: Timed;
        plan: Timed;
        status: Timed;
        down: Timed;
        recipeUp: { ms: number; processes: number; cardMs: number };
        recipeDown: { ms: number; processes: number; cardMs: number };
      }[] = [];
      for (let i = 0; i < reps; i++) {
        const up = await timed(lab, ['up'], true);
        const again = await timed(lab, ['up'], true);
        const plan = await timed(lab, ['plan'], false);
        const status = await timed(lab, ['status'], false);
        const down = await timed(lab, ['down'], true);
        const recipeUp = await handRecipe(lab, 'up');
        const recipeDown = await handRecipe(lab, 'down');
        await strictAgain();
        runs.push({ up, again, plan, status, down, recipeUp, recipeDown });
      }
      const pick = <K extends keyof (typeof runs)[number]>(k: K) => runs.map((r) => r[k]);
      const med = (xs: { ms: number }[]) => median(xs.map((x) => x.ms));
      const row = {
        lines: n,
        reps,
        up: {
          ms: med(pick('up')),
          cardMs: median(pick('up').map((x) => x.cardMs)),
          processes: pick('up')[0]?.processes,
          programs: pick('up')[0]?.programs,
          ok: pick('up').every((x) => x.ok),
        },
        again: { ms: med(pick('again')), processes: pick('again')[0]?.processes },
        plan: { ms: med(pick('plan')), processes: pick('plan')[0]?.processes },
        status: { ms: med(pick('status')), processes: pick('status')[0]?.processes },
        down: {
          ms: med(pick('down')),
          cardMs: median(pick('down').map((x) => x.cardMs)),
          processes: pick('down')[0]?.processes,
          programs: pick('down')[0]?.programs,
          ok: pick('down').every((x) => x.ok),
        },
        recipeUp: {
          ms: med(pick('recipeUp')),
          cardMs: median(pick('recipeUp').map((x) => x.cardMs)),
          processes: pick('recipeUp')[0]?.processes,
        },
        recipeDown: {
          ms: med(pick('recipeDown')),
          cardMs: median(pick('recipeDown').map((x) => x.cardMs)),
          processes: pick('recipeDown')[0]?.processes,
        },
      };
      say(
        `control ${n} lines: up ${row.up.ms.toFixed(0)} ms (card start ${row.up.cardMs.toFixed(0)} ms), ` +
          `${row.up.processes} processes; again ${row.again.ms.toFixed(0)} ms; ` +
          `plan ${row.plan.ms.toFixed(0)} ms; status ${row.status.ms.toFixed(0)} ms; down ` +
          `${row.down.ms.toFixed(0)} ms, ${row.down.processes} processes; ` +
          `recipe up ${row.recipeUp.ms.toFixed(0)} ms, ${row.recipeUp.processes} programs, down ` +
          `${row.recipeDown.ms.toFixed(0)} ms`,
      );
      rows.push(row);
    } finally {
      await lab.destroy();
    }
  }
  emit('control', { nodeStartMs, rows });
}
