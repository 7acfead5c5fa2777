// `npm run bench [-- --quick] [-- --only part,part]`: boots the real-kernel lab (as the tests do),
// runs the benchmark parts in it, stores their figures as JSON (docs/benchmarks.json; a quick run
// in .lab-cache/bench-quick.json) and renders them into docs/BENCHMARKS.md between its markers.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { labCacheDir, labMode } from '../src/lab/e2e.js';
import { projectRoot } from '../src/lab/lab.js';
import { installLabPackages, runInVm } from '../src/lab/vm.js';
import { execa } from 'execa';
import { calibrate } from './calibrate.js';
import { RESULT_PREFIX } from './common.js';
import { mergeResults, ORDER, renderBenchmarks, type BenchResults } from './report.js';

const PARTS: string[] = [...ORDER];
const QUICK_PARTS = ['aggregation', 'control', 'daemon'];

function parseArgs(argv: string[]): { quick: boolean; only: string[] | undefined } {
  let quick = false,
    only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only='))
      only = (a.includes('=') ? a.slice(7) : (argv[++i] ?? '')).split(',').filter(Boolean);
    else throw new Error(`bench: unknown argument ${a} (use --quick, --only ${PARTS.join(',')})`);
  }
  const bad = only?.filter((p) => !PARTS.includes(p)) ?? [];
  if (bad.length > 0) throw new Error(`bench: no part named ${bad.join(', ')} (parts: ${PARTS.join(', ')})`);
  return { quick, only };
}

async function which(bin: string): Promise<boolean> {
  return (await execa('sh', ['-c', 'command -v "$1"', 'sh', bin], { reject: false })).exitCode === 0;
}

const args = parseArgs(process.argv.slice(2));
const parts = args.only ?? (args.quick ? QUICK_PARTS : PARTS);
const started = new Date();
const say = (l: string) => process.stdout.write(`${l}\n`);
// The traffic generator, installed like the lab's other packages.
if (!(await which('iperf3'))) await installLabPackages(['iperf3'], say);
if (!(await which('iperf3'))) {
  process.stderr.write('bench: iperf3 is missing\nto set it up: apt-get install -y iperf3\n');
  process.exit(1);
}
const mode = await labMode({ install: (l) => say(`bench ${l}`) });
if (mode.kind !== 'vm') {
  process.stderr.write(
    mode.kind === 'none'
      ? `bench: ${mode.why}\nto set it up: ${mode.install}\n`
      : 'bench: runs in the qemu lab only (unset WANBOND_LAB)\n',
  );
  process.exit(1);
}
const env: Record<string, string> = {
  WANBOND_BENCH_HOST_CPU_MS: calibrate().toFixed(2),
  WANBOND_BENCH_PARTS: parts.join(','),
  WANBOND_BENCH_QUICK: args.quick ? '1' : '0',
};
if (process.env['WANBOND_STRESS_CYCLES']) env['WANBOND_STRESS_CYCLES'] = process.env['WANBOND_STRESS_CYCLES'];
const results: { part: string; [k: string]: unknown }[] = [];
const inside = path.join(projectRoot, 'dist', 'bench', 'inside.js');
const r = await runInVm({
  cacheDir: labCacheDir(projectRoot),
  command: `'${process.execPath}' '${inside}'`,
  cwd: projectRoot,
  timeoutMs: 120 * 60_000,
  env,
  onLine: (l) => {
    if (l.startsWith(RESULT_PREFIX)) {
      results.push(JSON.parse(l.slice(RESULT_PREFIX.length)) as { part: string });
      return;
    }
    if (!/^\[\s*\d+\.\d+\]/.test(l) && !l.startsWith('lab-job:')) say(l);
  },
});
if (r.exitCode !== 0)
  process.stderr.write(
    r.timedOut
      ? 'bench: timed out\n'
      : r.crashed
        ? `bench: the lab kernel died:\n${r.console.slice(-3000)}\n`
        : `bench: some part failed (exit ${r.exitCode}); what finished is stored\n`,
  );
const command =
  `npm run bench${args.quick ? ' -- --quick' : ''}` + `${args.only ? ` -- --only ${args.only.join(',')}` : ''}`;
const run = { date: started.toISOString(), minutes: (Date.now() - started.getTime()) / 60_000, command, results };
if (args.quick) {
  const file = path.join(labCacheDir(projectRoot), 'bench-quick.json');
  await fs.writeFile(file, `${JSON.stringify(run, null, 1)}\n`);
  say(`\nquick run in ${run.minutes.toFixed(1)} min; figures in ${file}:\n`);
  say(renderBenchmarks('', mergeResults(undefined, run), { sectionsOnly: true }));
} else {
  const jsonFile = path.join(projectRoot, 'docs', 'benchmarks.json');
  const prev = await fs.readFile(jsonFile, 'utf8').then(
    (t) => JSON.parse(t) as BenchResults,
    () => undefined,
  );
  const merged = mergeResults(prev, run);
  await fs.writeFile(jsonFile, `${JSON.stringify(merged, null, 1)}\n`);
  const mdFile = path.join(projectRoot, 'docs', 'BENCHMARKS.md');
  await fs.writeFile(mdFile, renderBenchmarks(await fs.readFile(mdFile, 'utf8'), merged));
  say(`\nfigures stored in docs/benchmarks.json and rendered into docs/BENCHMARKS.md (${run.minutes.toFixed(1)} min)`);
}
process.exitCode = r.exitCode ?? 1;
