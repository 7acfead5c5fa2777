// Reconcile (issue 22 defect 5): while the daemon runs, it owns the bond. A change made underneath
// without an event it listens to (a slave taken out with `tc qdisc del`) is put back by its periodic
// check; a bond's route deleted by hand is seen from `ip monitor route` and put back. Fake kernel,
// stand-in ip monitor.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { observe } from '../../../src/observe/read.js';
import { daemonSite, until } from '../../helpers/daemon-site.js';

const SETTINGS = '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\nroutes = 198.51.100.0/24\n';

describe('the daemon keeps the bond as it intends', () => {
  it('a slave taken out of the ring by hand (tc qdisc del) is put back', async (t) => {
    const s = await daemonSite(SETTINGS);
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    assert.equal(await s.slaveOf('eth2'), 'teql0');
    // After the start's own second read of the kernel (1 s in), which would put it back too.
    await new Promise((r) => setTimeout(r, 1500));
    await s.kernel.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'eth2', 'root'] });
    assert.notEqual(await s.slaveOf('eth2'), 'teql0');
    await until('eth2 back in teql0', async () => (await s.slaveOf('eth2')) === 'teql0');
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });

  it("the bond's route deleted by hand is seen from ip monitor and put back", async (t) => {
    const s = await daemonSite(SETTINGS);
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    const routed = async () => {
      const o = await observe(s.kernel, { sysctls: [], wanrouterProc: path.join(s.dir, 'no-proc') });
      return o.routes.some((r) => r.dst === '198.51.100.0/24' && r.dev === 'teql0');
    };
    assert.ok(await routed());
    await s.kernel.change({ file: 'ip', args: ['route', 'del', '198.51.100.0/24', 'dev', 'teql0'] });
    assert.ok(!(await routed()));
    await s.monitorSays('Deleted 198.51.100.0/24 dev teql0 scope link');
    await until('the route back', routed);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });
});
