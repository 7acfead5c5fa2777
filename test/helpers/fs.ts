import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root, from dist/test/helpers/. */
export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const samplesDir = path.join(projectRoot, 'wanpipe-conf');
export const sharedSamplesDir = path.join(projectRoot, '..', 'shared', 'wanpipe-samples');

export async function tmpDir(prefix = 'wanbond-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function copyDir(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true });
}

/** Every file below dir with its bytes: proof that nothing was written. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.set(path.relative(dir, p), (await fs.readFile(p)).toString('base64'));
  }
  return out;
}

export async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
