// The daemon's hold on wanbond's lock: taken for its start's `up` and kept between changes, so a ring
// change costs no flock(1) start, and given up as soon as another process waits for it (`wanbond up` by
// hand, `down`, a script's `flock /run/wanbond/lock`): the kernel lists such a waiter in /proc/locks,
// read every LOCK_POLL_MS. The next change takes the lock again, after whoever waited.
import { promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { acquireLock, LOCK_FILE, type Lock } from './lock.js';

/** How soon a waiting `wanbond up` gets the lock from an idle daemon (a file read each time, no process). */
export const LOCK_POLL_MS = 250;

export interface FileId {
  major: number;
  minor: number;
  ino: number;
}

/** Linux's dev_t as node's stat gives it, split as /proc/locks prints it. */
export const fileIdOf = (dev: number, ino: number): FileId => ({
  major: Math.floor(dev / 256) & 0xfff,
  minor: (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00),
  ino,
});

/**
 * The locks on this file in /proc/locks: those held, and the requests waiting for them, each listed under
 * the lock it waits for as `N: -> FLOCK  ADVISORY  WRITE pid maj:min:ino start end` (fs/locks.c,
 * lock_get_status; the device's numbers in hex). Pure.
 */
export function locksOn(procLocks: string, f: FileId): { held: number; waiting: number } {
  const n = { held: 0, waiting: 0 };
  for (const l of procLocks.split('\n')) {
    const m = /^\d+:\s*(->)?\s*\S+\s+\S+\s+\S+\s+-?\d+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(l);
    if (!m || parseInt(m[2]!, 16) !== f.major || parseInt(m[3]!, 16) !== f.minor || Number(m[4]) !== f.ino) continue;
    if (m[1]) n.waiting++;
    else n.held++;
  }
  return n;
}

/** How many processes wait for a lock on this file. Pure. */
export const waitersOn = (procLocks: string, f: FileId): number => locksOn(procLocks, f).waiting;

export interface HeldLockOptions {
  stateDir: () => string;
  waitMs: () => number;
  /** /proc/locks (tests give their own). */
  readLocks?: () => Promise<string>;
  /** Said once when the lock cannot be kept between changes (its waiters would not be seen). */
  warn?: (why: string) => void;
  /** false: never kept past a change, one flock(1) per change as before (WANBOND_WATCH_PROCESSES). */
  keep?: boolean;
}

const sameFile = (a: FileId | undefined, b: FileId | undefined) =>
  a !== undefined && b !== undefined && a.major === b.major && a.minor === b.minor && a.ino === b.ino;

export class HeldLock {
  private lock: Lock | undefined;
  private id: FileId | undefined;
  private busy = false;
  /** A waiter seen during a change: the lock goes to it when the change ends. */
  private owed = false;
  /** flock(1) processes started: each starts a new tenure. */
  started = 0;
  private warned = false;
  /** The daemon stops: the lock is given up as soon as no change holds it, and never kept again. */
  private closed = false;

  constructor(private readonly o: HeldLockOptions) {}

  get held(): boolean {
    return this.lock !== undefined;
  }

  /** The lock for one change; its release keeps it held unless someone waits. One change at a time. */
  async acquire(what: string): Promise<Lock> {
    if (this.busy) throw new Error('the held lock was asked for twice at once');
    this.busy = true;
    try {
      // A lock file deleted or replaced (the state folder recreated) is no longer the one others lock. One stat,
      // made synchronously: awaiting it let the event loop add 4-54 ms to a line's way out of the ring (TCG).
      if (this.lock && !sameFile(this.id, this.fileId())) await this.give();
      if (!this.lock) {
        this.started++;
        const keep = this.o.keep !== false;
        const lock = await acquireLock(this.o.stateDir(), {
          what: keep ? `${what}, which gives way to any wanbond waiting` : what,
          waitMs: this.o.waitMs(),
        });
        this.lock = lock;
        this.id = keep ? this.fileId() : undefined;
        // Kept only where its waiters can be seen: /proc/locks must list this lock itself (it does not in
        // a pid namespace where flock(1)'s pid is gone, nor where stat's device is not the lock's).
        const seen = this.id ? locksOn(await this.readLocks(), this.id).held > 0 : false;
        if (!seen) this.owed = true;
        if (keep && !seen && !this.warned) {
          this.o.warn?.(`${path.join(this.o.stateDir(), LOCK_FILE)} is not in /proc/locks as held`);
          this.warned = true;
        }
      }
    } catch (e) {
      this.busy = false;
      throw e;
    }
    return this.release();
  }

  /** The change's handle: its release ends the change, and gives the lock up if it is owed or closed. */
  private release(): Lock {
    let done = false;
    return {
      tenure: this.started,
      release: async () => {
        if (done) return;
        done = true;
        this.busy = false;
        if (this.owed || this.closed) await this.give();
      },
    };
  }

  private fileId(): FileId | undefined {
    try {
      const st = statSync(path.join(this.o.stateDir(), LOCK_FILE));
      return fileIdOf(st.dev, st.ino);
    } catch {
      return undefined;
    }
  }

  private readLocks(): Promise<string> {
    return (this.o.readLocks ?? (() => fs.readFile('/proc/locks', 'utf8')))().catch(() => '');
  }

  /** Gives the lock up if a process waits for it; a change under way gives it up when it ends. */
  async yieldToWaiters(): Promise<boolean> {
    if (!this.lock || !this.id) return false;
    if (waitersOn(await this.readLocks(), this.id) === 0) return false;
    if (this.busy) this.owed = true;
    else await this.give();
    return true;
  }

  /** At the daemon's stop: a change under way (the start's `up` rolling back) keeps the lock until it ends. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.busy) await this.give();
  }

  private async give(): Promise<void> {
    const l = this.lock;
    this.lock = undefined;
    this.id = undefined;
    this.owed = false;
    await l?.release();
  }
}
