// What `up` changed in this boot, so `down` undoes exactly that. The record names its boot
// (/proc/sys/kernel/random/boot_id): a record from another boot is never undone. It is written
// before each batch runs (what is about to change) and after (what did), so nothing changed goes
// unrecorded; `down` only undoes what the kernel still shows, so a step recorded but never run is
// skipped.
import path from 'node:path';
import { WanbondError } from '../errors.js';
import { ensureSafeDir, readNoFollowStat, removeFile, writeNoFollow } from '../fsx/safe-files.js';
import { validateStep } from '../plan/validate.js';
import type { Step } from '../plan/steps.js';
import { mergeSteps } from './merge.js';

export const DEFAULT_STATE_DIR = '/run/wanbond';
export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

export interface Record {
  version: 2;
  bootId: string;
  steps: Step[];
}

export const recordFile = (dir: string) => path.join(dir, 'applied.json');

export interface ReadRecord {
  record: Record;
  /** Set when a record was found but belongs to another boot or an older format: nothing of it is undone. */
  ignored?: string;
}

/**
 * The record of this boot; an empty one when there is none, or when the one there is from another boot.
 * A record of wanbond 0.1 names no boot: it is this boot's if it was written after the boot began.
 */
export async function readRecord(dir: string, bootId: string, bootTimeMs?: number): Promise<ReadRecord> {
  const file = recordFile(dir);
  const empty: Record = { version: 2, bootId, steps: [] };
  const found = await readNoFollowStat(file);
  if (found === undefined) return { record: empty };
  const text = found.text;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WanbondError(
      `${file}: not valid JSON (${(e as Error).message})`,
      `the record is damaged: check the kernel by hand (wanbond status), then remove it: rm ${file}`,
    );
  }
  const r = raw as { version?: unknown; bootId?: unknown; steps?: unknown };
  if (r.version === 1 && Array.isArray(r.steps) && bootTimeMs !== undefined && found.mtimeMs >= bootTimeMs)
    r.bootId = bootId;
  else if (r.version === 1)
    return { record: empty, ignored: `${file} is in wanbond 0.1's format and older than this boot: ignored` };
  if ((r.version !== 1 && r.version !== 2) || typeof r.bootId !== 'string' || !Array.isArray(r.steps)) {
    throw new WanbondError(
      `${file}: not a wanbond record (expected version 2 with bootId and steps)`,
      `check the kernel by hand (wanbond status), then remove it: rm ${file}`,
    );
  }
  if (r.bootId !== bootId)
    return {
      record: empty,
      ignored: `${file} is from an earlier boot (${r.bootId}): ignored; what it records was undone by the reboot`,
    };
  const steps = r.steps.map((s, i) => {
    try {
      return validateStep(s);
    } catch (e) {
      throw new WanbondError(
        `${file}: step ${i + 1}: ${(e as Error).message}`,
        `the record is damaged or was edited; nothing was changed. ` +
          `Check the kernel by hand (wanbond status), then remove it: rm ${file}`,
      );
    }
  });
  return { record: { version: 2, bootId, steps } };
}

export async function writeRecord(dir: string, r: Record): Promise<void> {
  await ensureSafeDir(dir);
  if (r.steps.length === 0) {
    await removeFile(recordFile(dir));
    return;
  }
  await writeNoFollow(recordFile(dir), `${JSON.stringify(r, null, 1)}\n`);
}

/** The record after more steps ran: one entry per thing changed (see merge.ts). */
export function extendRecord(r: Record, done: readonly Step[]): Record {
  return { ...r, steps: mergeSteps(r.steps, done) };
}
