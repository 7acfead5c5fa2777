// Runs the end-to-end test files in a kernel that has sch_teql: on the host when it can load the
// module, else in the qemu lab. Used by test/lab.test.ts and documented in README.md.
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { installLabPackages, labPrerequisites, runInVm } from './vm.js';

export type LabMode = { kind: 'host' } | { kind: 'vm' } | { kind: 'none'; why: string; install: string };

export async function hostHasTeql(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  if (
    await fs.access('/sys/module/sch_teql').then(
      () => true,
      () => false,
    )
  )
    return true;
  const r = await execa('modprobe', ['-n', '-q', 'sch_teql'], { reject: false }).catch(() => ({ exitCode: 1 }));
  return r.exitCode === 0;
}

/**
 * Where the lab runs: always in qemu, so a test never touches this machine's own network (an `up`
 * replaces the default route). Only WANBOND_LAB=host, on a disposable machine whose kernel has
 * sch_teql, runs it on the host. With `install`, missing packages are installed when root has apt.
 */
export async function labMode(o: { install?: (line: string) => void } = {}): Promise<LabMode> {
  if (process.env['WANBOND_LAB'] === 'host') {
    if (await hostHasTeql()) return { kind: 'host' };
    return {
      kind: 'none',
      why: 'WANBOND_LAB=host, but this host cannot load sch_teql',
      install: 'unset WANBOND_LAB to use the qemu lab',
    };
  }
  if (process.getuid?.() !== 0)
    return {
      kind: 'none',
      why: 'the lab needs root (network namespaces, and qemu reading the host root)',
      install: 'run the tests as root',
    };
  let p = await labPrerequisites();
  if (!p.ok && o.install) {
    await installLabPackages(p.missing, o.install);
    p = await labPrerequisites();
  }
  if (!p.ok) return { kind: 'none', why: `the qemu lab is missing ${p.missing.join(', ')}`, install: p.install };
  return { kind: 'vm' };
}

export const labCacheDir = (root: string) => process.env['WANBOND_LAB_CACHE'] ?? path.join(root, '.lab-cache');

export interface E2eRun {
  mode: 'host' | 'vm';
  exitCode: number | null;
  output: string;
  console: string;
  crashed: boolean;
  timedOut: boolean;
  bootMs: number | undefined;
  ms: number;
}

export async function runE2e(
  root: string,
  files: string[],
  mode: 'host' | 'vm',
  timeoutMs: number,
  onLine?: (l: string) => void,
): Promise<E2eRun> {
  const started = Date.now();
  const args = ['--test', '--test-reporter=tap', '--test-concurrency=1', ...files];
  if (mode === 'host') {
    const r = await execa(process.execPath, args, { cwd: root, reject: false, all: true, timeout: timeoutMs });
    return {
      mode,
      exitCode: r.exitCode ?? null,
      output: String(r.all ?? ''),
      console: '',
      crashed: false,
      timedOut: r.timedOut === true,
      bootMs: undefined,
      ms: Date.now() - started,
    };
  }
  const command = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await runInVm({
    cacheDir: labCacheDir(root),
    command,
    cwd: root,
    timeoutMs,
    ...(onLine ? { onLine } : {}),
  });
  return { mode, ...r, ms: Date.now() - started };
}

export interface TapResult {
  name: string;
  ok: boolean;
  skip: boolean;
  detail: string;
}

/** Leaf results of Node's TAP reporter (suites left out), with each failure's YAML block. */
export function parseTap(text: string): TapResult[] {
  const lines = text.split('\n');
  const out: TapResult[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^( *)(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/.exec(lines[i] as string);
    if (!m) continue;
    const indent = (m[1] as string).length;
    const block: string[] = [];
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j]?.trim() !== '...'; j++)
        block.push((lines[j] as string).slice(indent + 2));
    }
    if (block.some((b) => /^type: 'suite'/.test(b))) continue;
    out.push({ name: m[3] as string, ok: m[2] === 'ok', skip: m[4] === 'SKIP', detail: block.join('\n') });
  }
  return out;
}
