// What `up` did, kept under /run/wanbond so `down` undoes exactly that (and nothing after a reboot).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WanbondError } from '../errors.js';
import { writeFileAtomicNew } from '../fsx/atomic-write.js';
import type { Step } from '../plan/steps.js';

export const DEFAULT_STATE_DIR = '/run/wanbond';

export interface Record { version: 1; steps: Step[] }

const file = (dir: string) => path.join(dir, 'applied.json');

export async function readRecord(dir: string): Promise<Record> {
  let text: string;
  try { text = await fs.readFile(file(dir), 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, steps: [] };
    throw e;
  }
  try {
    const r = JSON.parse(text) as Record;
    if (r.version !== 1 || !Array.isArray(r.steps)) throw new Error('unknown format');
    return r;
  } catch (e) {
    throw new WanbondError(`${file(dir)}: unreadable state (${(e as Error).message})`, `inspect it, then remove it: rm ${file(dir)}`);
  }
}

export async function writeRecord(dir: string, r: Record): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  if (r.steps.length === 0) { await fs.rm(file(dir), { force: true }); return; }
  await writeFileAtomicNew(file(dir), Buffer.from(JSON.stringify(r, null, 1) + '\n'));
}
