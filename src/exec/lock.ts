// One wanbond at a time changes the system: `up`, `down`, `config fix` and the daemon's changes
// take an exclusive flock(2) on <state-dir>/lock. Node has no flock, so flock(1) (util-linux) takes
// it on a descriptor we opened and pass down; the lock belongs to that open file, so it is ours once
// flock exits 0 and is released when we close it or die, however we die. Shell scripts can take the
// same lock: flock /run/wanbond/lock CMD.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { WanbondError } from '../errors.js';
import { ensureSafeDir, fileError } from '../fsx/safe-files.js';

export const LOCK_FILE = 'lock';

/** Another wanbond holds the lock past the wait: exit 75 (EX_TEMPFAIL), nothing changed. */
export class BusyError extends WanbondError {}

export interface Lock {
  release(): Promise<void>;
  /**
   * The same number for every change made while the lock was held throughout (held-lock.ts): no other
   * process can have written wanbond's record in between. A new number each time HeldLock takes the
   * lock; undefined for acquireLock's own.
   */
  readonly tenure?: number;
}

export interface LockOptions {
  /** What this process is doing, shown to whoever waits for it. */
  what: string;
  waitMs: number;
}

async function holderOf(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  try {
    const h = JSON.parse(text) as { pid?: number; what?: string; since?: string };
    return `pid ${h.pid ?? '?'}, wanbond ${h.what ?? '?'}, since ${h.since ?? '?'}`;
  } catch {
    return 'another process';
  }
}

export async function acquireLock(stateDir: string, o: LockOptions): Promise<Lock> {
  await ensureSafeDir(stateDir);
  const file = path.join(stateDir, LOCK_FILE);
  let h: fs.FileHandle;
  try {
    h = await fs.open(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    throw fileError(file, e as NodeJS.ErrnoException, 'open the lock');
  }
  const seconds = Math.max(0, o.waitMs / 1000);
  const r = await execa(
    'flock',
    ['--exclusive', ...(seconds === 0 ? ['--nonblock'] : ['--wait', seconds.toFixed(1)]), '3'],
    {
      stdio: ['ignore', 'pipe', 'pipe', h.fd] as never,
      reject: false,
      timeout: o.waitMs + 10_000,
    },
  ).catch((e: unknown) => ({
    exitCode: undefined,
    failed: true,
    code: (e as NodeJS.ErrnoException).code,
    stderr: String(e),
  }));
  if (r.exitCode !== 0) {
    const missing = (r as { code?: string }).code === 'ENOENT';
    const holder = missing ? '' : await holderOf(file);
    await h.close();
    if (missing)
      throw new WanbondError('flock: command not found (wanbond takes its lock with it)', 'install util-linux');
    if (r.exitCode === 1) {
      throw new BusyError(
        `another wanbond is changing the system (${holder}); waited ${seconds} s for it`,
        `let it finish and try again, or see what it is doing: ` +
          `ps -p ${/pid (\d+)/.exec(holder)?.[1] ?? '<pid>'} -o args`,
      );
    }
    throw new WanbondError(
      `cannot lock ${file}: flock exited ${r.exitCode ?? 'abnormally'}: ` +
        `${String((r as { stderr?: unknown }).stderr ?? '').trim()}`,
      'check the state folder and util-linux',
    );
  }
  // Who holds it, for the message another wanbond prints while it waits (not needed for the lock itself).
  await h.truncate(0).catch(() => undefined);
  await h
    .write(`${JSON.stringify({ pid: process.pid, what: o.what, since: new Date().toISOString() })}\n`, 0)
    .catch(() => undefined);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await h.truncate(0).catch(() => undefined);
      await h.close();
    },
  };
}
