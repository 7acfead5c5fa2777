import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { fileIdOf, HeldLock, waitersOn } from '../../../src/exec/held-lock.js';

const PROC_LOCKS = [
  '1: FLOCK  ADVISORY  WRITE 29135 fe:00:2147859 0 EOF',
  '1: -> FLOCK  ADVISORY  WRITE 29139 fe:00:2147859 0 EOF',
  '1: -> FLOCK  ADVISORY  WRITE 29140 fe:00:2147859 0 EOF',
  '2: POSIX  ADVISORY  WRITE 600 00:1a:2147859 0 EOF',
  '2: -> POSIX  ADVISORY  WRITE 601 00:1a:2147859 0 EOF',
  '3: FLOCK  ADVISORY  WRITE 700 fe:00:12 0 EOF',
  '',
].join('\n');

test('the waiters on a file, from /proc/locks: its device (hex) and inode, blocked entries only', () => {
  assert.deepEqual(fileIdOf(0xfe00, 2147859), { major: 0xfe, minor: 0, ino: 2147859 });
  assert.deepEqual(fileIdOf(0x1a, 5), { major: 0, minor: 0x1a, ino: 5 });
  assert.equal(waitersOn(PROC_LOCKS, fileIdOf(0xfe00, 2147859)), 2);
  assert.equal(waitersOn(PROC_LOCKS, fileIdOf(0x1a, 2147859)), 1, 'another device, same inode number');
  assert.equal(waitersOn(PROC_LOCKS, fileIdOf(0xfe00, 12)), 0, 'held, nobody waiting');
});

async function stateDir(t: { after: (f: () => Promise<void>) => void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-held-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Another process asking for the lock as `wanbond up` does (flock --wait), its exit code once it has it. */
const waiter = (dir: string) => execa('flock', ['--wait', '20', path.join(dir, 'lock'), 'true'], { reject: false });

/** One change under the held lock; its tenure. */
async function change(held: HeldLock): Promise<number | undefined> {
  const l = await held.acquire('watch');
  await l.release();
  return l.tenure;
}

async function untilYields(held: HeldLock): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await held.yieldToWaiters()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the waiter was never seen');
}

test('held between changes: the second change starts no flock, and a waiter gets the lock', async (t) => {
  const dir = await stateDir(t);
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 5000 });
  t.after(() => held.close());
  const tenures = [await change(held)];
  tenures.push(await change(held));
  assert.equal(held.started, 1);
  assert.equal(held.held, true);
  assert.equal(tenures[0], tenures[1], 'one tenure: no one else can have written the record');
  assert.equal(await held.yieldToWaiters(), false, 'nobody waits: kept');
  const w = waiter(dir);
  await untilYields(held);
  assert.equal(held.held, false);
  assert.equal((await w).exitCode, 0);
  tenures.push(await change(held));
  assert.equal(held.started, 2, 'taken again after the waiter');
  assert.notEqual(tenures[2], tenures[1], 'a new tenure after the waiter');
});

test('a waiter seen during a change gets the lock when the change ends, not before', async (t) => {
  const dir = await stateDir(t);
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 5000 });
  t.after(() => held.close());
  const change = await held.acquire('watch');
  let got = false;
  const w = waiter(dir).then((r) => {
    got = true;
    return r;
  });
  await untilYields(held);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(got, false, 'the change keeps the lock');
  assert.equal(held.held, true);
  await change.release();
  assert.equal((await w).exitCode, 0);
  assert.equal(held.held, false);
});

test('one change at a time', async (t) => {
  const dir = await stateDir(t);
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 5000 });
  t.after(() => held.close());
  const a = await held.acquire('watch');
  await assert.rejects(held.acquire('watch'), /twice/);
  await a.release();
});

test('where /proc/locks does not list the lock, it is not kept past a change (its waiters are unseen)', async (t) => {
  const dir = await stateDir(t);
  const said: string[] = [];
  const held = new HeldLock({
    stateDir: () => dir,
    waitMs: () => 5000,
    readLocks: async () => '',
    warn: (w) => said.push(w),
  });
  t.after(() => held.close());
  const first = await change(held);
  assert.equal(held.held, false);
  assert.notEqual(await change(held), first, 'a tenure per change');
  assert.equal(held.started, 2, 'taken for each change');
  assert.equal(said.length, 1, 'said once');
});

test('a lock file replaced (the state folder made again) is locked anew, not trusted', async (t) => {
  const dir = await stateDir(t);
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 5000 });
  t.after(() => held.close());
  const first = await change(held);
  await fs.writeFile(path.join(dir, 'lock.new'), '');
  await fs.rename(path.join(dir, 'lock.new'), path.join(dir, 'lock'));
  const w = await execa('flock', ['--nonblock', path.join(dir, 'lock'), 'true'], { reject: false });
  assert.equal(w.exitCode, 0, 'nobody holds the new file');
  assert.notEqual(await change(held), first, 'a new tenure');
  assert.equal(held.started, 2);
  const busy = await execa('flock', ['--nonblock', path.join(dir, 'lock'), 'true'], { reject: false });
  assert.equal(busy.exitCode, 1, 'the daemon holds the file that is there now');
});

test('not kept (WANBOND_WATCH_PROCESSES): one flock per change, nothing said', async (t) => {
  const dir = await stateDir(t);
  const said: string[] = [];
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 5000, keep: false, warn: (w) => said.push(w) });
  t.after(() => held.close());
  const first = await change(held);
  assert.equal(held.held, false);
  assert.notEqual(await change(held), first, 'a tenure per change');
  assert.equal(held.started, 2);
  assert.deepEqual(said, []);
});

const takenBySomeone = async (dir: string) =>
  (await execa('flock', ['--nonblock', path.join(dir, 'lock'), 'true'], { reject: false })).exitCode === 1;

test("closed during a change (a stop while the start's up rolls back): kept until the change ends", async (t) => {
  const dir = await stateDir(t);
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 5000 });
  const l = await held.acquire('watch (start)');
  await held.close();
  assert.equal(await takenBySomeone(dir), true, 'the change under way still holds it');
  await l.release();
  assert.equal(await takenBySomeone(dir), false, 'given up when the change ended');
  assert.equal(held.held, false);
});

test('closed while flock waited for it: given up after the change that got it', async (t) => {
  const dir = await stateDir(t);
  const held = new HeldLock({ stateDir: () => dir, waitMs: () => 10_000 });
  const other = execa('flock', [path.join(dir, 'lock'), 'sleep', '1'], { reject: false });
  while (!(await takenBySomeone(dir))) await new Promise((r) => setTimeout(r, 20));
  const waiting = held.acquire('watch (start)');
  await held.close();
  const l = await waiting;
  await l.release();
  await other;
  assert.equal(held.held, false);
  assert.equal(await takenBySomeone(dir), false);
});
