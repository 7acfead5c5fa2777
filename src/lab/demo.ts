// `npm run lab`: sets up the real-kernel lab (qemu with a Debian kernel unless this host has
// sch_teql) and runs the demo in it.
import path from 'node:path';
import { execa } from 'execa';
import { labCacheDir, labMode } from './e2e.js';
import { projectRoot } from './lab.js';
import { runInVm } from './vm.js';

const inside = path.join(projectRoot, 'dist', 'src', 'lab', 'demo-inside.js');
const mode = await labMode({ install: (l) => process.stdout.write(`wanbond ${l}\n`) });
if (mode.kind === 'none') {
  process.stderr.write(`wanbond lab: ${mode.why}\nto set it up: ${mode.install}\n`);
  process.exitCode = 1;
} else if (mode.kind === 'host') {
  const r = await execa(process.execPath, [inside], { stdio: 'inherit', reject: false });
  process.exitCode = r.exitCode ?? 1;
} else {
  process.stdout.write('wanbond lab: booting a Debian kernel under qemu (the first run downloads it) ...\n');
  let started = false;
  const r = await runInVm({
    cacheDir: labCacheDir(projectRoot),
    command: `'${process.execPath}' '${inside}'`,
    cwd: projectRoot,
    timeoutMs: 15 * 60_000,
    onLine: (l) => {
      if (l.includes('lab-job: start')) {
        started = true;
        process.stdout.write('wanbond lab: kernel up\n');
        return;
      }
      if (l.startsWith('lab: downloading')) process.stdout.write(`wanbond ${l}\n`);
      if (started && !l.startsWith('lab-job:') && !/^\[\s*\d+\.\d+\]/.test(l)) process.stdout.write(`${l}\n`);
    },
  });
  if (r.exitCode !== 0)
    process.stderr.write(
      r.timedOut
        ? 'wanbond lab: timed out\n'
        : r.crashed
          ? `wanbond lab: the lab kernel died:\n${r.console.slice(-2000)}\n`
          : `wanbond lab: failed (exit ${r.exitCode})\n`,
    );
  process.exitCode = r.exitCode ?? 1;
}
