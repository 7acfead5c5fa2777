// Inside the lab: the benchmark parts WANBOND_BENCH_PARTS names (all by default), each printing its
// figures as it goes and one BENCH-RESULT line that the host side (bench/run.ts) stores and renders.
import { execa } from 'execa';
import { calibrate } from './calibrate.js';
import { emit, kernelRelease, quick, say } from './common.js';
import { aggregation } from './parts/aggregation.js';
import { control } from './parts/control.js';
import { daemon } from './parts/daemon.js';
import { faults } from './parts/faults.js';
import { singleFlow } from './parts/single-flow.js';
import { unequal } from './parts/unequal.js';
import { ORDER } from './report.js';

const want = new Set((process.env['WANBOND_BENCH_PARTS'] ?? ORDER.join(',')).split(','));
const hostMs = Number(process.env['WANBOND_BENCH_HOST_CPU_MS'] ?? NaN);
const vmMs = calibrate();
const time = async (f: () => Promise<unknown>, n = 10) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  return (performance.now() - t0) / n;
};
const spawnMs = await time(() => execa('true'));
say(
  `qemu/TCG slowdown: the same CPU work takes ${vmMs.toFixed(1)} ms here and ${hostMs.toFixed(1)} ms on the ` +
    `host: x${(vmMs / hostMs).toFixed(1)}; a process start from node costs ${spawnMs.toFixed(0)} ms here`,
);
emit('env', {
  kernel: await kernelRelease(),
  slowdown: vmMs / hostMs,
  spawnMs,
  quick,
  cpus: (await import('node:os')).cpus().length,
});

const parts: [string, () => Promise<void>][] = [
  ['aggregation', aggregation],
  ['single-flow', singleFlow],
  ['unequal', unequal],
  ['control', control],
  ['daemon', daemon],
  ['faults', () => faults({ faults: true, stress: want.has('stress') })],
];
if (want.has('stress') && !want.has('faults')) parts.push(['stress', () => faults({ faults: false, stress: true })]);
let failed = 0;
for (const [name, run] of parts) {
  if (!want.has(name)) continue;
  const t0 = Date.now();
  say(`== ${name}`);
  try {
    await run();
  } catch (e) {
    failed++;
    say(`bench: ${name} failed: ${(e as Error).stack ?? String(e)}`);
  }
  say(`== ${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
process.exitCode = failed > 0 ? 1 : 0;
