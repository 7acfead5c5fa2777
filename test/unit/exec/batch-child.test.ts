import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BatchChild, BatchChildError } from '../../../src/exec/batch-child.js';
import { fakeBatch } from '../../helpers/fake-batch.js';

async function child(t: { after: (f: () => Promise<void>) => void }, timeoutMs = 5000) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-batch-'));
  const file = await fakeBatch(dir);
  let spawns = 0;
  const c = new BatchChild({ file, options: ['-j'], timeoutMs, onSpawn: () => spawns++ });
  t.after(async () => {
    await c.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const lines = async () => (await fs.readFile(path.join(dir, 'lines'), 'utf8')).trim().split('\n');
  return { c, spawns: () => spawns, lines };
}

test('a read waits for its whole document, even when it arrives after the sentinel has answered', async (t) => {
  const { c, spawns } = await child(t);
  const a = await c.run('addr show', { json: true });
  assert.deepEqual(a, { failed: false, stdout: '[{"ifname":"lo","n":1}]\n', stderr: '' });
  const b = await c.run('addr show', { json: true });
  assert.equal(b.stdout, '[{"ifname":"lo","n":3}]\n', 'the second read is numbered after two lines');
  assert.equal(spawns(), 1, 'one process for every command');
});

test('commands asked at once are answered in order, each with its own outcome', async (t) => {
  const { c, lines } = await child(t);
  const all = await Promise.all([
    c.run('qdisc add dev a root teql0', { json: false }),
    c.run('fail qdisc add dev b root teql0', { json: false }),
    c.run('addr show', { json: true }),
  ]);
  assert.deepEqual(
    all.map((a) => a.failed),
    [false, true, false],
  );
  assert.equal(all[1]?.stderr, 'RTNETLINK answers: File exists\n', "the tool's error, without its batch lines");
  assert.equal(all[2]?.stdout, '[{"ifname":"lo","n":5}]\n');
  assert.deepEqual(await lines(), [
    'qdisc add dev a root teql0',
    'wanbond-sentinel',
    'fail qdisc add dev b root teql0',
    'wanbond-sentinel',
    'addr show',
    'wanbond-sentinel',
  ]);
});

test('a child that hangs is killed at the bound and the next command gets a new one', async (t) => {
  const { c, spawns } = await child(t, 300);
  await assert.rejects(
    c.run('hang', { json: false }),
    (e) => e instanceof BatchChildError && /no answer/.test(e.message),
  );
  const a = await c.run('addr show', { json: true });
  assert.equal(a.stdout, '[{"ifname":"lo","n":1}]\n', 'a fresh child numbers from 1');
  assert.equal(spawns(), 2);
});

test('a child that exits fails its command, and the next command gets a new one', async (t) => {
  const { c, spawns } = await child(t);
  await assert.rejects(c.run('die', { json: false }), (e) => e instanceof BatchChildError && /exited/.test(e.message));
  assert.equal((await c.run('x', { json: false })).failed, false);
  assert.equal(spawns(), 2);
});

test('a program that is not there is a failed command, not a crash', async (t) => {
  const c = new BatchChild({ file: '/nonexistent/ip', options: [], timeoutMs: 5000 });
  t.after(() => c.close());
  await assert.rejects(c.run('link show', { json: false }), /command not found/);
});

test('a closed child starts nothing', async (t) => {
  const { c, spawns } = await child(t);
  await c.run('x', { json: false });
  await c.close();
  await assert.rejects(c.run('x', { json: false }), /closed/);
  assert.equal(spawns(), 1);
});

test('a failed read that printed part of a document: the next read gets a fresh child, a clean read', async (t) => {
  const { c, spawns } = await child(t);
  const a = await c.run('broken', { json: true });
  assert.equal(a.failed, true);
  assert.equal(a.stderr, 'Error: dump interrupted\n');
  assert.equal((await c.run('addr show', { json: true })).stdout, '[{"ifname":"lo","n":1}]\n');
  assert.equal(spawns(), 2);
});

test('a read that prints what is not JSON fails at once, not at the bound', async (t) => {
  const { c } = await child(t, 60_000);
  const t0 = Date.now();
  await assert.rejects(c.run('garbage', { json: true }), /not JSON/);
  assert.ok(Date.now() - t0 < 30_000);
  assert.equal((await c.run('addr show', { json: true })).failed, false);
});
