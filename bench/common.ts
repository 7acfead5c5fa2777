// What every benchmark part inside the lab shares: how it reports (one JSON line per result, which
// the host side collects into docs/), the run's options, a lab with N lines, the hand recipe.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, projectRoot } from '../src/lab/lab.js';
import { writeT1Sample, type SampleLine } from '../src/lab/samples.js';
import { sh } from '../src/lab/sh.js';

export const RESULT_PREFIX = 'BENCH-RESULT ';
export const quick = process.env['WANBOND_BENCH_QUICK'] === '1';
export const say = (s: string) => process.stdout.write(`${s}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One part's figures, for the host to store and render. */
export function emit(part: string, data: Record<string, unknown>): void {
  process.stdout.write(`${RESULT_PREFIX + JSON.stringify({ part, ...data })}\n`);
}

/** A lab of T1 lines generated for this run (full T1s, or fractional where `timeslots` is given). */
export async function labOf(lines: readonly SampleLine[]): Promise<Lab> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-bench-sample-'));
  await writeT1Sample(dir, lines);
  const lab = await Lab.create({ sample: dir });
  await fs.rm(dir, { recursive: true, force: true });
  return lab;
}

export const t1s = (n: number): SampleLine[] => Array.from({ length: n }, () => ({}));

/** The seeds' recipe (bench/hand-recipe.sh): wall time and the programs it started. */
export async function handRecipe(
  lab: Lab,
  action: 'up' | 'down',
): Promise<{ ms: number; processes: number; cardMs: number }> {
  const t0 = performance.now();
  const out = await sh('bash', [
    path.join(projectRoot, 'bench', 'hand-recipe.sh'),
    action,
    lab.wanrouterPath,
    ...lab.ifaces,
  ]);
  const ms = performance.now() - t0;
  return {
    ms,
    processes: Number(/processes=(\d+)/.exec(out)?.[1] ?? NaN),
    cardMs: Number(/card_ms=(\d+)/.exec(out)?.[1] ?? NaN),
  };
}

/** The lab's router A starts strict (rp_filter 1), as it does for wanbond: undo what the recipe turned off. */
export async function strictAgain(): Promise<void> {
  await fs.writeFile('/proc/sys/net/ipv4/conf/all/rp_filter', '1');
}

export async function kernelRelease(): Promise<string> {
  return (await fs.readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
}

/** CPU seconds of a process and its children so far (utime + stime), from /proc. */
export async function cpuSeconds(pid: number, withChildren = true): Promise<number> {
  const tick = 100;
  const one = async (p: number) => {
    const f = (await fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / tick;
  };
  let s = await one(pid);
  if (withChildren) {
    const kids = (await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    for (const k of kids) s += await one(k);
  }
  return s;
}
