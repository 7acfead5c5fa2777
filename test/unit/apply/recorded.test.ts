// The record `down` reads, as the daemon's transactions keep it: a change of one batch is journaled once,
// and that journal is the record (no second write of the same content, one atomic write less per ring change).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { test } from 'node:test';
import { Transactions } from '../../../src/apply/recorded.js';
import { silentLogger } from '../../../src/log.js';
import type { Plan, Step } from '../../../src/plan/steps.js';
import { readRecord, recordFile } from '../../../src/state/record.js';
import type { ObservedState } from '../../../src/state/types.js';
import { tmpDir } from '../../helpers/fs.js';

const attach = (dev: string): Step => ({ kind: 'attach-slave', dev, teql: 'teql0' });

/** Transactions on an empty record in dir, whose commands and reads are the test's. */
const transactions = (dir: string, o: { change: () => Promise<void>; observe?: () => void; applied?: () => void }) =>
  new Transactions(
    { version: 2, bootId: 'b1', steps: [] },
    {
      runner: { read: async () => '', change: o.change, readFile: async () => undefined },
      log: silentLogger(),
      stateDir: dir,
      observe: async () => {
        o.observe?.();
        return {} as ObservedState;
      },
      fixConfig: async () => undefined,
      ...(o.applied ? { applied: o.applied } : {}),
    },
  );

async function run(steps: Step[][]) {
  const dir = await tmpDir();
  /** The record file's inode as each command ran: an atomic write gives it a new one. */
  const seen: number[] = [];
  const tx = transactions(dir, {
    change: async () => {
      seen.push((await fs.stat(recordFile(dir))).ino);
    },
  });
  const plans = steps.map((s): Plan => ({ version: 1, steps: s }));
  // The verify re-plans from the kernel read back: nothing left to do.
  for (const p of plans) await tx.run(p, () => ({ version: 1, steps: [] }));
  const after = (await fs.stat(recordFile(dir))).ino;
  return { seen, after, record: (await readRecord(dir, 'b1')).record };
}

test('one batch: the journal written before it is the record, not written again', async () => {
  const r = await run([[attach('w1'), attach('w2')]]);
  assert.equal(r.seen.length, 1, 'one tc batch');
  assert.equal(r.after, r.seen[0], 'no write after the batch');
  assert.deepEqual(
    r.record.steps.map((s) => s.kind === 'attach-slave' && s.dev),
    ['w1', 'w2'],
  );
});

test('steps that leave down nothing to undo (hold, detach, release) write neither journal nor record', async () => {
  const hold: Step = { kind: 'hold-bond', teql: 'teql0' };
  const release: Step = { kind: 'release-bond', teql: 'teql0' };
  const r = await run([
    [attach('w1'), attach('w2')],
    [hold, { kind: 'detach-slave', dev: 'w1', teql: 'teql0' }, release],
  ]);
  assert.equal(r.seen.length, 2);
  assert.equal(r.seen[1], r.seen[0], 'no journal before the second batch');
  assert.equal(r.after, r.seen[0], 'nor a record after it');
  assert.deepEqual(
    r.record.steps.map((s) => s.kind === 'attach-slave' && s.dev),
    ['w1', 'w2'],
    'the attach stays recorded: down undoes it only where the kernel still shows it',
  );
});

test('in one change, a batch after the first that adds nothing to undo is not journaled again', async () => {
  const mtu: Step = { kind: 'set-mtu', dev: 'w1', mtu: 1400, was: 1500 };
  const detach: Step = { kind: 'detach-slave', dev: 'w2', teql: 'teql0' };
  const r = await run([[mtu, { kind: 'hold-bond', teql: 'teql0' }, detach, { kind: 'release-bond', teql: 'teql0' }]]);
  assert.equal(r.seen.length, 2, 'an ip batch, then a tc batch');
  assert.equal(r.seen[1], r.seen[0], 'the tc batch waited for no write');
  assert.equal(r.after, r.seen[0]);
  assert.deepEqual(
    r.record.steps.map((s) => s.kind),
    ['set-mtu'],
  );
});

test('each change journaled; the record holds them all', async () => {
  const r = await run([[attach('w1')], [attach('w2')]]);
  assert.deepEqual(
    r.record.steps.map((s) => s.kind === 'attach-slave' && s.dev),
    ['w1', 'w2'],
  );
});

test('told the kernel has the change after its last batch, before the read that verifies it', async () => {
  const seen: string[] = [];
  const tx = transactions(await tmpDir(), {
    change: async () => void seen.push('batch'),
    observe: () => void seen.push('read'),
    applied: () => void seen.push('applied'),
  });
  await tx.run({ version: 1, steps: [attach('w1')] }, () => ({ version: 1, steps: [] }));
  assert.deepEqual(seen, ['batch', 'applied', 'read']);
  assert.deepEqual(
    tx.current.steps.map((s) => s.kind === 'attach-slave' && s.dev),
    ['w1'],
    'the record as written',
  );
});
