// `npm run bench`: boots the real-kernel lab (as the tests do) and runs the lab benchmarks in it.
// Their figures go to docs/BENCHMARKS.md by hand, with this command.
import path from 'node:path';
import { labCacheDir, labMode } from '../src/lab/e2e.js';
import { projectRoot } from '../src/lab/lab.js';
import { runInVm } from '../src/lab/vm.js';
import { execa } from 'execa';
import { calibrate } from './calibrate.js';

const which = process.argv[2] ?? 'watch';
const inside = path.join(projectRoot, 'dist', 'bench', `${which}-inside.js`);
const mode = await labMode({ install: (l) => process.stdout.write(`bench ${l}\n`) });
if (mode.kind === 'none') {
  process.stderr.write(`bench: ${mode.why}\nto set it up: ${mode.install}\n`);
  process.exitCode = 1;
} else if (mode.kind === 'host') {
  process.exitCode = (await execa(process.execPath, [inside], { stdio: 'inherit', reject: false })).exitCode ?? 1;
} else {
  // The same CPU work here and (by the inside script) in the VM: the factor to read lab timings by.
  const env: Record<string, string> = { WANBOND_BENCH_HOST_CPU_MS: calibrate().toFixed(2) };
  for (const k of ['WANBOND_STRESS_CYCLES', 'WANBOND_BENCH_ONLY']) if (process.env[k]) env[k] = process.env[k] as string;
  const r = await runInVm({
    cacheDir: labCacheDir(projectRoot), command: `'${process.execPath}' '${inside}'`, cwd: projectRoot, timeoutMs: 80 * 60_000, env,
    onLine: (l) => { if (!/^\[\s*\d+\.\d+\]/.test(l) && !l.startsWith('lab-job:')) process.stdout.write(l + '\n'); },
  });
  if (r.exitCode !== 0) process.stderr.write(r.timedOut ? 'bench: timed out\n' : r.crashed ? `bench: the lab kernel died:\n${r.console.slice(-3000)}\n` : `bench: failed (exit ${r.exitCode})\n`);
  process.exitCode = r.exitCode ?? 1;
}
