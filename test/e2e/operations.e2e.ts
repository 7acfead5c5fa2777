// The engine under real operations, in a real kernel (issue 13): a DYN_INTR_CFG fix reaching running
// drivers by a rolling restart under traffic, two `up`s at once, SIGTERM in the middle of `up`, a
// multipath default route given back whole, `down` after a reboot with a state dir that survived.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { kernelDump, Lab } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import { destroyTopology, T1_KBIT } from '../../src/lab/topology.js';

const T1 = T1_KBIT * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `up` is inside its lock and has written its journal: the moment to disturb it. */
async function journalWritten(lab: Lab): Promise<void> {
  const file = path.join(lab.dir, 'run', 'applied.json');
  for (let t = 0; t < 200; t++) {
    if (
      await fs.access(file).then(
        () => true,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error('up never wrote its journal');
}

async function withLab(o: Parameters<typeof Lab.create>[0], body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.create(o);
  try {
    await body(lab);
  } finally {
    await lab.destroy();
  }
}

after(async () => {
  await destroyTopology().catch(() => undefined);
});

describe('the engine under real operations', () => {
  it(
    'a DYN_INTR_CFG fix reaches running drivers: each device restarts once, one at a time, and the bundle never ' +
      'stops',
    async () => {
      await withLab({ sample: 's514-chdlc-2xt1' }, async (lab) => {
        // The router booted: wanrouter started the cards with DYN_INTR_CFG = NO, then the bond came up as it was.
        await lab.sim('start');
        const first = await lab.wanbond(['up', '--no-config-fix', '--no-restart']);
        assert.equal(first.code, 0, first.err);
        const before = JSON.parse(await lab.sim('driver')) as {
          driver: Record<string, { dynIntrCfg: string | null }>;
          starts: Record<string, number>;
        };
        assert.deepEqual([before.driver['wan0']?.dynIntrCfg, before.driver['wan1']?.dynIntrCfg], ['NO', 'NO']);
        await lab.attachRouterB('teql1', ['10.0.0.1/31']);
        const samples: Record<string, number>[] = [];
        const result: { up?: { code: number; out: string; err: string } } = {};
        const t = await lab.traffic(
          40,
          async () => {
            await sleep(4000);
            const run = lab.wanbond(['up']);
            let prev = await lab.lineBytes();
            let done = false;
            void run.then((r) => {
              result.up = r;
              done = true;
            });
            while (!done) {
              await sleep(250);
              const now = await lab.lineBytes();
              samples.push(Object.fromEntries(Object.entries(now).map(([n, v]) => [n, v - (prev[n] ?? 0)])));
              prev = now;
            }
            await sleep(2000);
          },
          undefined,
          undefined,
          { stopWhenDone: true },
        );
        const up = result.up;
        assert.ok(up, 'up finished');
        assert.equal(up.code, 0, up.err);
        assert.match(up.err, /restarting wanpipe1, wanpipe2 one at a time/);
        const kb = t.buckets.map((x) => Math.round(x / 1000));
        const outAtOnce = Math.max(...samples.map((s) => Object.values(s).filter((v) => v === 0).length));
        process.stdout.write(
          `measured: rolling restart of 2 devices under traffic: up took ${samples.length * 250} ms; at most ` +
            `${outAtOnce} line(s) idle in any 250 ms; ${(t.rateBps / 1e6).toFixed(3)} Mbit/s over the run; KB per ` +
            `250 ms ${JSON.stringify(kb)}\n`,
        );
        const driver = JSON.parse(await lab.sim('driver')) as {
          driver: Record<string, { dynIntrCfg: string | null }>;
          starts: Record<string, number>;
        };
        assert.deepEqual(driver.starts, { wanpipe1: 2, wanpipe2: 2 }, 'each device restarted exactly once');
        assert.deepEqual(
          [driver.driver['wan0']?.dynIntrCfg, driver.driver['wan1']?.dynIntrCfg],
          ['YES', 'YES'],
          'the drivers run the fixed configuration',
        );
        assert.equal(t.sender.error, undefined, 'the TCP connection broke');
        assert.ok(outAtOnce <= 1, `two lines idle at once: ${JSON.stringify(samples)}`);
        // The bundle never stopped: no second without data from the first byte to the end.
        const perSecond = Math.round(1000 / t.bucketMs);
        for (let k = 0; k + perSecond <= t.buckets.length - 1; k++) {
          assert.ok(
            t.buckets.slice(k, k + perSecond).some((b) => b > 0),
            `the bundle stopped for a second: ${JSON.stringify(kb)}`,
          );
        }
        assert.equal((await lab.wanbond(['config', 'check'])).code, 0, 'check: nothing to fix, drivers included');
        const st = JSON.parse((await lab.wanbond(['status', '--json'])).out) as {
          lines: { name: string; enslaved: boolean; driverConfig: { stale: boolean } }[];
        }[];
        assert.deepEqual(
          st[0]?.lines.map((l) => [l.name, l.enslaved, l.driverConfig.stale]),
          [
            ['wan0', true, false],
            ['wan1', true, false],
          ],
        );
        await lab.detachRouterB();
        assert.equal((await lab.wanbond(['down'])).code, 0);
      });
    },
  );

  it(
    'two ups at once: one changes the kernel, the other waits for it and finds nothing to do; with --lock-wait 0 ' +
      'it exits 75',
    async () => {
      await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
        // A slow card keeps the first `up` inside its lock for seconds: 3 s for each of the 4 devices
        // that its one `wanrouter start` starts.
        const slow = { WANBOND_LAB_START_DELAY_MS: '3000' };
        const a = lab.startWanbond(['up'], slow);
        await journalWritten(lab);
        const busy = await lab.wanbond(['up', '--lock-wait', '0']);
        const b = lab.startWanbond(['up', '--lock-wait', '60']);
        const [ra, rb] = await Promise.all([a, b]);
        assert.equal(busy.code, 75, busy.err);
        assert.match(busy.err, /^error: another wanbond is changing the system \(pid \d+, wanbond up, since /);
        assert.equal(ra.exitCode, 0, String(ra.stderr));
        assert.equal(rb.exitCode, 0, String(rb.stderr));
        assert.match(String(ra.stdout), /: up \(\d+ changes\)/);
        assert.match(String(rb.stdout), /already up, nothing to change/);
        assert.doesNotMatch(String(ra.stderr) + String(rb.stderr), /File exists/);
        assert.match((await lab.wanbond(['plan'])).out, /up to date/);
        assert.equal((await lab.wanbond(['down'])).code, 0);
      });
    },
  );

  it('SIGTERM during up: wanbond stops after the current command, undoes what it did and exits 143', async () => {
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      const pre = await kernelDump();
      // 1.5 s for each of the 4 devices: SIGTERM arrives while `wanrouter start` runs.
      const p = lab.startWanbond(['up'], { WANBOND_LAB_START_DELAY_MS: '1500' });
      await journalWritten(lab);
      p.kill('SIGTERM');
      const r = await p;
      assert.equal(r.exitCode, 143, String(r.stderr));
      assert.match(
        String(r.stderr),
        /wanbond: SIGTERM: stopping after the current command and undoing what was done\n/,
      );
      assert.match(String(r.stderr), /error: interrupted by SIGTERM; rolled back \d+ steps?, the system is as it was/);
      assert.deepEqual(await kernelDump(), pre, 'SIGTERM left changes behind');
      await assert.rejects(fs.access(path.join(lab.dir, 'run', 'applied.json')), 'nothing left to undo, so no record');
    });
  });

  it('a multipath default route with src and onlink comes back whole after down', async () => {
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      for (const [dev, addr] of [
        ['wbl-u1', '192.0.2.10/24'],
        ['wbl-u2', '198.51.100.10/24'],
      ] as const) {
        await sh('ip', ['link', 'add', dev, 'type', 'dummy']);
        await sh('ip', ['addr', 'add', addr, 'dev', dev]);
        await sh('ip', ['link', 'set', dev, 'up']);
      }
      try {
        await sh('ip', [
          'route',
          'add',
          'default',
          'proto',
          'static',
          'src',
          '192.0.2.10',
          'metric',
          '0',
          'nexthop',
          'via',
          '192.0.2.1',
          'dev',
          'wbl-u1',
          'weight',
          '2',
          'nexthop',
          'via',
          '203.0.113.1',
          'dev',
          'wbl-u2',
          'onlink',
        ]);
        const routes = async () => sh('ip', ['-j', '-d', 'route', 'show', 'table', 'main', 'default']);
        const pre = await kernelDump();
        const before = await routes();
        const up = await lab.wanbond(['up']);
        assert.equal(up.code, 0, up.err);
        assert.match(await sh('ip', ['route', 'show', 'default']), /^default dev teql0 /);
        const down = await lab.wanbond(['down']);
        assert.equal(down.code, 0, down.err);
        assert.equal(await routes(), before, 'the multipath route came back different');
        assert.deepEqual(await kernelDump(), pre);
      } finally {
        await sh('ip', ['link', 'del', 'wbl-u1'], { allowFail: true });
        await sh('ip', ['link', 'del', 'wbl-u2'], { allowFail: true });
      }
    });
  });

  it("down after a reboot with a state dir that survived: only this boot's up is undone", async () => {
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      const first = await lab.wanbond(['up']);
      assert.equal(first.code, 0, first.err);
      // Reboot, as far as router A can tell: the cards stop, the module goes, sysctls are back to their
      // boot values, and the kernel has a new boot_id. The state dir under the lab's folder survives.
      await sh('ip', ['route', 'del', 'default'], { allowFail: true });
      await lab.sim('stop');
      await sh('modprobe', ['-r', 'sch_teql']);
      await sh('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=1']);
      const fakeId = path.join(lab.dir, 'boot_id');
      await fs.writeFile(fakeId, '2e4a1c5e-0000-4000-8000-000000000002\n');
      await sh('mount', ['--bind', fakeId, '/proc/sys/kernel/random/boot_id']);
      try {
        assert.equal(
          (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
          '2e4a1c5e-0000-4000-8000-000000000002',
        );
        // This boot's own scripts start the cards and turn forwarding on before wanbond runs.
        await sh('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
        await lab.sim('start');
        const second = await lab.wanbond(['up']);
        assert.equal(second.code, 0, second.err);
        assert.match(second.err, /note: .*applied\.json is from an earlier boot .*: ignored/);
        const down = await lab.wanbond(['down']);
        assert.equal(down.code, 0, down.err);
        assert.equal(
          (await fs.readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim(),
          '1',
          'the boot turned forwarding on, not this up',
        );
        const sim = JSON.parse(await lab.sim('driver')) as { running: string[] };
        assert.deepEqual(
          sim.running.sort(),
          ['wanpipe1', 'wanpipe2', 'wanpipe3', 'wanpipe4'],
          'the boot started the cards, not this up',
        );
        assert.ok(
          !(await fs.readFile('/proc/modules', 'utf8')).split('\n').some((l) => l.startsWith('sch_teql ')),
          'this up loaded sch_teql: down unloads it',
        );
      } finally {
        await sh('umount', ['/proc/sys/kernel/random/boot_id'], { allowFail: true });
      }
    });
  });

  // The finding behind `wanbond watch` (docs/LAB.md): a dead slave left in TEQL's ring skews the
  // traffic onto the slave after it; taking it out of the ring spreads it evenly again.
  it(
    'a dead slave left in the ring skews traffic onto one line; ' + 'out of the ring, the others share evenly',
    async () => {
      await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
        assert.equal((await lab.wanbond(['up'])).code, 0);
        await lab.attachRouterB('teql1', ['10.0.0.1/31']);
        const window = async (ms: number) => {
          const a = await lab.lineBytes();
          await sleep(ms);
          const b = await lab.lineBytes();
          return Object.fromEntries(
            Object.entries(b)
              .map(([n, v]) => [n, v - (a[n] ?? 0)])
              .filter(([n]) => n !== 'w2g1ppp'),
          );
        };
        let inRing: Record<string, number> = {};
        let outOfRing: Record<string, number> = {};
        const t = await lab.traffic(16, async () => {
          await sleep(3000);
          await lab.sim('fault', 'w2g1ppp', 'line-down');
          await sleep(1000);
          inRing = await window(4000);
          await sh('tc', ['qdisc', 'del', 'dev', 'w2g1ppp', 'root']);
          await sleep(1000);
          outOfRing = await window(4000);
        });
        const spread = (x: Record<string, number>) =>
          Math.max(...Object.values(x)) / Math.max(1, Math.min(...Object.values(x)));
        const shares = (x: Record<string, number>) => {
          const sum = Object.values(x).reduce((a, b) => a + b, 0);
          return Object.values(x).map((v) => v / sum);
        };
        process.stdout.write(
          `measured: ring skew: with the dead slave in the ring ${JSON.stringify(inRing)} (max/min ` +
            `${spread(inRing).toFixed(1)}); out of the ring ${JSON.stringify(outOfRing)} (max/min ` +
            `${spread(outOfRing).toFixed(2)})\n`,
        );
        assert.equal(t.sender.error, undefined);
        assert.ok(spread(inRing) > 5, `no skew with the dead slave in the ring: ${JSON.stringify(inRing)}`);
        assert.ok(
          shares(outOfRing).every((x) => x > 0.25 && x < 0.42),
          `uneven with the dead slave out of the ring: ${JSON.stringify(outOfRing)}`,
        );
        assert.ok(
          (Object.values(outOfRing).reduce((a, b) => a + b, 0) * 8) / 4 > 2.5 * T1,
          "three lines carry about three lines' worth",
        );
        await lab.sim('clear', 'w2g1ppp');
        await lab.detachRouterB();
      });
    },
  );
});
