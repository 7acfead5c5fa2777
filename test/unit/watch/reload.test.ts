// Reloads (issue 22 defect 6): a reload that deletes a bond's section takes that bond down as `up`
// would (it never runs on unwatched, unknown to status and doctor); the files are watched where they
// will be (a settings file created after the start is seen); and the bond a reload removed is
// forgotten without a "lines back" for it. Fake kernel; the file watch on a real temporary folder.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeLoggerTo } from '../../../src/log.js';
import { recordFile } from '../../../src/state/record.js';
import type { DesiredBond } from '../../../src/state/types.js';
import { ConfigFiles } from '../../../src/watch/config-files.js';
import { DecisionLog } from '../../../src/watch/decision-log.js';
import type { HealthFile } from '../../../src/watch/health-file.js';
import type { RingDecision } from '../../../src/watch/ring.js';
import { daemonSite, until } from '../../helpers/daemon-site.js';
import { tmpDir } from '../../helpers/fs.js';

const TWO_BONDS =
  '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n\n' +
  '[teql1]\nslaves = eth3, eth4\naddress = 10.0.1.0/31\nroutes = 198.51.100.0/24\n';

const decision = (o: Partial<RingDecision> = {}): RingDecision => ({
  out: new Set(),
  allDown: [],
  skipped: [],
  foreign: [],
  held: [],
  ...o,
});

describe('reloads', () => {
  it("a reload that deletes a bond's section takes that bond down, and status then knows only the other", async (t) => {
    const s = await daemonSite(TWO_BONDS, ['eth1', 'eth2', 'eth3', 'eth4']);
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    assert.equal(await s.slaveOf('eth3'), 'teql1');
    await fs.writeFile(s.settings, '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n');
    await d.reload('test');
    // The kernel first, then the record that forgets it.
    const recorded = async () => (await fs.readFile(recordFile(s.stateDir), 'utf8')).includes('teql1');
    await until('teql1 taken down', async () => (await s.slaveOf('eth3')) !== 'teql1' && !(await recorded()));
    assert.equal(await s.slaveOf('eth1'), 'teql0', 'the other bond stays as it was');
    const health = JSON.parse(await fs.readFile(path.join(s.stateDir, 'health.json'), 'utf8')) as HealthFile;
    assert.deepEqual(
      health.bonds.map((b) => b.teql),
      ['teql0'],
    );
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });

  it('a settings file deleted, or a bond renamed, takes nothing down', async (t) => {
    const s = await daemonSite(TWO_BONDS, ['eth1', 'eth2', 'eth3', 'eth4']);
    const said: string[] = [];
    const d = s.daemon(makeLoggerTo('watch', (l) => said.push(l), 'info'));
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    await fs.rm(s.settings);
    await d.reload('deleted');
    assert.ok(
      said.some((l) => l.includes('reload-failed')),
      'the running bonds kept',
    );
    // Renamed: teql1 becomes teql2. Neither taken down nor brought up by the daemon; `up` does both.
    await fs.writeFile(s.settings, TWO_BONDS.replace('[teql1]', '[teql2]'));
    await d.reload('renamed');
    assert.ok(said.some((l) => l.includes('bonds-replaced')));
    await d.reload('again');
    assert.equal(await s.slaveOf('eth3'), 'teql1', 'the renamed bond was not taken down');
    assert.equal(await s.slaveOf('eth1'), 'teql0');
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });

  it('a settings file that does not exist at start is watched: its creation is a reload', async (t) => {
    const dir = await tmpDir();
    const settings = path.join(dir, 'etc', 'wanbond', 'wanbond.conf');
    const seen: string[] = [];
    const files = new ConfigFiles({
      log: makeLoggerTo('t', () => undefined),
      changed: (w) => seen.push(w),
      quietMs: 50,
    });
    t.after(() => files.close());
    await files.watch([settings, path.join(dir, 'etc', 'wanpipe')]);
    // Its folder too is created after the start.
    await fs.mkdir(path.dirname(settings), { recursive: true });
    await fs.writeFile(settings, '[teql0]\nslaves = eth1\n');
    await until('the creation seen', () => seen.some((w) => w.includes('wanbond.conf')));
    // Files beside it are not the configuration.
    seen.length = 0;
    await fs.writeFile(path.join(dir, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    await fs.writeFile(settings, '[teql0]\nslaves = eth1, eth2\n');
    await until('the edit seen', () => seen.length > 0);
    assert.ok(
      seen.every((w) => w.includes('wanbond.conf')),
      seen.join('; '),
    );
    // Deleted (a reload that finds no file), then created again (a reload that reads it).
    seen.length = 0;
    await fs.rm(settings);
    await until('the deletion seen', () => seen.some((w) => w.startsWith('unlink')));
    await new Promise((r) => setTimeout(r, 300));
    seen.length = 0;
    await fs.writeFile(settings, '[teql0]\nslaves = eth1\n');
    await until('the file created again seen', () => seen.some((w) => w.startsWith('add')));
  });

  it('a bond a reload removed is forgotten: no "a line works again" for it', () => {
    const said: string[] = [];
    let bonds: DesiredBond[] = [{ name: 'teql1', kind: 'teql', slaves: [{ name: 'eth3' }] } as DesiredBond];
    const log = new DecisionLog(
      makeLoggerTo('t', (l) => said.push(l), 'info'),
      () => bonds,
    );
    log.note(decision({ allDown: ['teql1'] }));
    assert.ok(said.some((l) => l.includes('all-lines-down')));
    bonds = [];
    said.length = 0;
    log.note(decision());
    assert.deepEqual(said, [], 'nothing said of a bond that is gone');
    assert.equal(log.isAllDown('teql1'), false);
  });
});
