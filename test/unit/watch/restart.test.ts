// Health that survives a restart (issue 22 defects 3 and 5): a daemon started after another one of the
// same boot (crashed, killed, upgraded) keeps out the line that one had taken out, from its very start
// (its `up` does not put it back), until that line's far end answers; and `wanbond up` run by hand while
// a daemon runs keeps the daemon's judged-out lines out and says so. Fake kernel, stand-in ping.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliWith } from '../../helpers/cli.js';
import { daemonSite, until } from '../../helpers/daemon-site.js';
import type { HealthFile } from '../../../src/watch/health-file.js';
import type { LineSummary } from '../../../src/watch/health.js';

const SETTINGS =
  '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n\n[watch]\nprobe.eth1 = 192.0.2.9\nprobe.eth2 = 192.0.2.9\n';

const line = (name: string, o: Partial<LineSummary> = {}): LineSummary => ({
  line: name,
  state: 'up',
  verified: true,
  since: '2026-12-07T10:00:00.000Z',
  reason: 'answers 192.0.2.9',
  inRing: true,
  penalty: 0,
  suppressed: false,
  flaps: 0,
  probe: '192.0.2.9',
  rttMs: 1,
  loss: 0,
  alarms: [],
  ...o,
});

/** What a daemon of this boot left: eth2 taken out, its far end silent. */
const left = (pid: number, bootId: string): HealthFile => ({
  version: 1,
  pid,
  bootId,
  startedAt: '2026-12-07T10:00:00.000Z',
  updatedAt: new Date().toISOString(),
  probesOff: null,
  bonds: [
    {
      teql: 'teql0',
      allDown: false,
      lines: [
        line('eth1'),
        line('eth2', { state: 'down', inRing: false, reason: 'no answer from 192.0.2.9 for 700 ms', flaps: 1 }),
      ],
    },
  ],
  memory: { rssKb: 0, heapUsedKb: 0 },
  actions: 1,
  metrics: null,
});

describe('the judgement of the daemon before', () => {
  it('a daemon restarted after a crash keeps out the line its predecessor took out, until it answers', async (t) => {
    const s = await daemonSite(SETTINGS);
    await s.answer('eth1');
    // A pid that ran and is gone: the predecessor was killed (kill -9, no stoppedAt).
    const dead = spawnSync('true').pid;
    await fs.mkdir(s.stateDir, { recursive: true });
    await fs.writeFile(path.join(s.stateDir, 'health.json'), JSON.stringify(left(dead, s.kernel.bootId)));
    const d = s.daemon(undefined, true);
    const running = d.run();
    // A failed assertion must not leave the daemon (and its children) keeping the test process alive.
    t.after(() => d.stop());
    const health = async () =>
      JSON.parse(await fs.readFile(path.join(s.stateDir, 'health.json'), 'utf8')) as HealthFile;
    await until('the daemon running, eth1 answering', async () => {
      const h = await health().catch(() => undefined);
      return d.phase === 'running' && h?.bonds[0]?.lines[0]?.verified === true;
    });
    assert.equal(await s.slaveOf('eth1'), 'teql0');
    assert.notEqual(await s.slaveOf('eth2'), 'teql0', "the start-up `up` did not put back the predecessor's dead line");
    const eth2 = (await health()).bonds[0]?.lines[1];
    assert.equal(eth2?.state, 'down');
    assert.match(eth2?.reason ?? '', new RegExp(`held out by the previous daemon \\(pid ${dead}\\)`));
    // Its far end answers: it rejoins after the hold-down.
    await s.answer('eth2');
    await until('eth2 back in the ring', async () => (await s.slaveOf('eth2')) === 'teql0', 15_000);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });

  it('`wanbond up` by hand while a daemon runs keeps its judged-out lines out, and says so', async () => {
    const s = await daemonSite(SETTINGS);
    // This process stands for the running daemon: its pid is alive.
    await fs.mkdir(s.stateDir, { recursive: true });
    await fs.writeFile(path.join(s.stateDir, 'health.json'), JSON.stringify(left(process.pid, s.kernel.bootId)));
    const r = await cliWith({ runner: s.kernel }, 'up', ...s.args);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /eth2 stays out of its bond: the watch daemon judged it unfit \(down: no answer from/);
    assert.equal(await s.slaveOf('eth1'), 'teql0');
    assert.notEqual(await s.slaveOf('eth2'), 'teql0');
    // Set down by hand (the daemon then judged it down): `up` still brings it up, only not into the ring.
    s.kernel.links.get('eth2')?.flags.delete('UP');
    assert.equal((await cliWith({ runner: s.kernel }, 'up', ...s.args)).code, 0);
    assert.ok(s.kernel.links.get('eth2')?.flags.has('UP'), 'a line held out is still brought up');
    assert.notEqual(await s.slaveOf('eth2'), 'teql0');
    // Without a running daemon, `up` puts every line in.
    await fs.rm(path.join(s.stateDir, 'health.json'));
    assert.equal((await cliWith({ runner: s.kernel }, 'up', ...s.args)).code, 0);
    assert.equal(await s.slaveOf('eth2'), 'teql0');
  });
});
