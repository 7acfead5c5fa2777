// A ring change under the daemon's held lock does not read wanbond's record again: no one else can have
// written it while the lock was held throughout (one tenure). A lock given up to a waiter starts a new
// tenure, and the record is read anew; so does a change that failed. Fake kernel, the daemon's converge.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../../src/cli/context.js';
import type { Lock } from '../../../src/exec/lock.js';
import { silentLogger } from '../../../src/log.js';
import { recordFile } from '../../../src/state/record.js';
import { converge } from '../../../src/watch/converge.js';
import { initialHealth } from '../../../src/watch/health.js';
import { RecordCache } from '../../../src/watch/record-cache.js';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';

async function site() {
  const dir = await tmpDir();
  const settings = path.join(dir, 'wanbond.conf');
  // A weighted bond is up when the record holds it (its nftables table may have been flushed).
  await fs.writeFile(
    settings,
    '[wbond0]\nslaves = eth1, eth2\nrates = eth1:2M, eth2:1M\naddress = 10.0.0.0/31\nroutes = 198.51.100.0/24\n',
  );
  const kernel = new FakeKernel({ links: ['eth0', 'eth1', 'eth2'].map((name) => ({ name })) });
  const opts = { confDir: path.join(dir, 'none'), settings, stateDir: path.join(dir, 'run') };
  const args = ['--conf-dir', opts.confDir, '--settings', settings, '--state-dir', opts.stateDir];
  assert.equal((await cliWith({ runner: kernel }, 'up', ...args)).code, 0);
  const ctx = await buildContext(opts, silentLogger(), kernel);
  const records = new RecordCache();
  const none = () => undefined;
  /** One change with eth1 judged down or not, under a held lock of this tenure. */
  const change = (tenure: number, eth1Down: boolean) => {
    const h = initialHealth('eth1', 0, undefined);
    const health = new Map([
      ['eth1', eth1Down ? { ...h, state: 'down' as const } : h],
      ['eth2', initialHealth('eth2', 0, undefined)],
    ]);
    const lock = async (): Promise<Lock> => ({ tenure, release: async () => undefined });
    return converge(ctx, {
      mode: 'ring',
      health,
      removed: [],
      io: { out: none, err: none },
      log: silentLogger(),
      decided: none,
      hold: none,
      release: none,
      lock,
      records,
    });
  };
  /** What `down` would find if someone wrote the record without the lock: no bond up. */
  const forgeRecord = async () => {
    const file = recordFile(opts.stateDir);
    const r = JSON.parse(await fs.readFile(file, 'utf8')) as { steps: unknown[] };
    await fs.writeFile(file, JSON.stringify({ ...r, steps: [] }));
  };
  return { change, forgeRecord };
}

const kinds = (r: { done: { kind: string }[] }) => r.done.map((s) => s.kind);

describe("the daemon's record under its held lock", () => {
  it('is read once per tenure: the same tenure goes on from what the last change left', async () => {
    const s = await site();
    assert.ok(kinds(await s.change(1, true)).includes('nft-stripe'));
    await s.forgeRecord();
    // Read again, the forged record would say wbond0 is not up: its draw would be left alone.
    const r = await s.change(1, false);
    assert.ok(kinds(r).includes('nft-stripe'), 'the record kept from the change before');
    assert.ok(r.changedAt !== undefined && r.marks.changed >= r.marks.plan && r.marks.changed <= r.marks.apply);
  });

  it('is read anew in a new tenure (the lock was given to a waiter)', async () => {
    const s = await site();
    await s.change(1, true);
    await s.forgeRecord();
    const r = await s.change(2, false);
    assert.deepEqual(kinds(r), [], 'wbond0 is not up by the record: nothing to change');
    assert.equal(r.decision.skipped[0]?.teql, 'wbond0');
  });
});
