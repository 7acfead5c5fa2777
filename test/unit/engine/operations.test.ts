// The engine on routers as users really have them (issue 13): a fix that must reach a running
// driver, a state dir that outlives a boot, two `up`s at once, a crash or a signal in the middle,
// odd routes, a built-in TEQL, broken files while the bond is up. Fake kernel; the lab proves the
// same against a real one.
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel, type FakeKernelInit } from '../../helpers/fake-kernel.js';
import { copyDir, samplesDir, tmpDir } from '../../helpers/fs.js';

const CHDLC = { wanpipe1: ['wan0'], wanpipe2: ['wan1'] };
const W4 = {
  wanpipe1: ['w1g1', 'w1g1ppp'],
  wanpipe2: ['w2g1', 'w2g1ppp'],
  wanpipe3: ['w3g1', 'w3g1ppp'],
  wanpipe4: ['w4g1', 'w4g1ppp'],
};

async function site(sample: string): Promise<{ dir: string; conf: string; state: string; args: string[] }> {
  const dir = await tmpDir();
  const conf = path.join(dir, 'wanpipe');
  await copyDir(path.join(samplesDir, sample), conf);
  const state = path.join(dir, 'run');
  return { dir, conf, state, args: ['--conf-dir', conf, '--state-dir', state] };
}

async function ethernet(
  settings = '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n',
): Promise<{ dir: string; state: string; args: string[] }> {
  const dir = await tmpDir();
  await fs.writeFile(path.join(dir, 'wanbond.conf'), settings);
  const state = path.join(dir, 'run');
  return {
    dir,
    state,
    args: ['--conf-dir', path.join(dir, 'none'), '--settings', path.join(dir, 'wanbond.conf'), '--state-dir', state],
  };
}

const cmds = (k: FakeKernel, from = 0) => k.changes.slice(from).map((c) => c.join(' '));

describe('a DYN_INTR_CFG fix reaches the running driver', () => {
  it(
    'up restarts each device whose driver runs the old value, one at a time, each back in the bond before ' +
      'the next',
    async () => {
      const s = await site('s514-chdlc-2xt1');
      const kernel = new FakeKernel({ wanpipe: CHDLC, wanrouterRunning: ['wanpipe1', 'wanpipe2'] });
      const r = await cliWith({ runner: kernel }, 'up', ...s.args);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /restarting wanpipe1, wanpipe2 one at a time/);
      assert.doesNotMatch(r.err, /WARNING/);
      const c = cmds(kernel);
      const at = (re: RegExp) => c.findIndex((x) => re.test(x));
      const r1 = at(/^wanrouter restart wanpipe1$/),
        r2 = at(/^wanrouter restart wanpipe2$/);
      assert.ok(r1 > 0 && r2 > r1, c.join('\n'));
      assert.equal(c.filter((x) => x.startsWith('wanrouter restart')).length, 2, 'each device restarts once');
      // wan0 leaves under a hold before its device restarts, and is back before wanpipe2 restarts.
      const detach0 = at(/^tc qdisc del dev wan0 root teql0$/),
        back0 = c.findIndex((x, i) => i > r1 && x === 'tc qdisc replace dev wan0 root teql0');
      assert.ok(detach0 < r1 && back0 > r1 && back0 < r2, c.join('\n'));
      assert.ok(c.findIndex((x, i) => i > r2 && x === 'tc qdisc replace dev wan1 root teql0') > r2);
      assert.deepEqual(kernel.unguarded, [], 'every slave change on the up bond was made under a hold');
      // The recreated interfaces got their rp_filter again.
      assert.equal(kernel.sysctls.get('net.ipv4.conf.wan0.rp_filter'), '0');
      assert.equal((await cliWith({ runner: kernel }, 'config', 'check', ...s.args)).code, 0);
      const again = await cliWith({ runner: kernel }, 'up', ...s.args);
      assert.match(again.out, /already up, nothing to change/);
      assert.equal(again.err, '');
    },
  );

  it(
    'with --no-restart, up says loudly which device needs a restart; check and status tell file from ' +
      'driver until it happens',
    async () => {
      const s = await site('s514-chdlc-2xt1');
      const kernel = new FakeKernel({ wanpipe: CHDLC, wanrouterRunning: ['wanpipe1', 'wanpipe2'] });
      const r = await cliWith({ runner: kernel }, 'up', '--no-restart', ...s.args);
      assert.equal(r.code, 0, r.err);
      assert.equal(cmds(kernel).filter((x) => x.startsWith('wanrouter')).length, 0);
      assert.match(
        r.err,
        new RegExp(
          'WARNING: wanpipe1 still runs the configuration it read before .*: its driver has ' +
            'DYN_INTR_CFG off for wan0, so a dead line there is not taken out of the bond\\n.*\\n {2}fix: ' +
            'wanrouter restart wanpipe1',
        ),
      );
      assert.match(r.err, /WARNING: wanpipe2 /);
      const check = await cliWith({ runner: kernel }, 'config', 'check', ...s.args);
      assert.equal(check.code, 1);
      assert.match(check.out, /wan0 .* YES \(driver: NO\)/);
      assert.match(
        check.out,
        new RegExp(
          'wanpipe1: the file says DYN_INTR_CFG = YES for wan0, but the driver still runs the ' +
            'configuration it read at its start \\(off\\)',
        ),
      );
      const st = JSON.parse((await cliWith({ runner: kernel }, 'status', '--json', ...s.args)).out) as {
        lines: { name: string; driverConfig: { stale: boolean } }[];
      }[];
      assert.deepEqual(
        st[0]?.lines.map((l) => [l.name, l.driverConfig.stale]),
        [
          ['wan0', true],
          ['wan1', true],
        ],
      );
      // The operator restarts wanpipe1 by hand: its driver has read the file now.
      await kernel.change({ file: 'wanrouter', args: ['restart', 'wanpipe1'] });
      const check2 = await cliWith({ runner: kernel }, 'config', 'check', ...s.args);
      assert.doesNotMatch(check2.out, /wanpipe1: the file says/);
      assert.match(check2.out, /wanpipe2: the file says/);
      // `up` now re-attaches wan0 (its interface was recreated) and still only warns about wanpipe2.
      const up2 = await cliWith({ runner: kernel }, 'up', '--no-restart', ...s.args);
      assert.equal(up2.code, 0, up2.err);
      assert.doesNotMatch(up2.err, /wanpipe1 still runs/);
      assert.match(up2.err, /wanpipe2 still runs/);
    },
  );

  it('config fix on a running device names it and leaves the note that check reads', async () => {
    const s = await site('s514-chdlc-2xt1');
    const kernel = new FakeKernel({ wanpipe: CHDLC, wanrouterRunning: ['wanpipe1'] });
    const r = await cliWith({ runner: kernel }, 'config', 'fix', ...s.args);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /wanpipe1 is running the old configuration: restart it for the driver to read it \(wanrouter restart wanpipe1\)/,
    );
    const check = await cliWith({ runner: kernel }, 'config', 'check', ...s.args);
    assert.equal(check.code, 1);
    assert.match(check.out, /wanpipe1: the file says DYN_INTR_CFG = YES for wan0/);
    assert.doesNotMatch(
      check.out,
      /wanpipe2: the file says/,
      'wanpipe2 was not running: it reads the file when it starts',
    );
  });
});

describe('one record per boot, never undone twice', () => {
  it("up, reboot, up, down: down undoes only this boot's up", async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n');
    const boot1: FakeKernelInit = { links: [{ name: 'eth1' }, { name: 'eth2', up: false }] };
    const kernel = new FakeKernel(boot1);
    assert.equal((await cliWith({ runner: kernel }, 'up', ...e.args)).code, 0);
    assert.equal(kernel.sysctls.get('net.ipv4.ip_forward'), '1');
    // The next boot's own scripts bring eth2 up and turn forwarding on; the state dir survived.
    const boot2: FakeKernelInit = {
      links: [{ name: 'eth1' }, { name: 'eth2', up: true }],
      sysctls: { 'net.ipv4.ip_forward': '1' },
    };
    kernel.reboot(boot2, '99999999-2222-3333-4444-555555555555');
    const up2 = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(up2.code, 0, up2.err);
    assert.match(up2.err, /note: .* is from an earlier boot .*: ignored/);
    const down = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.sysctls.get('net.ipv4.ip_forward'), '1', 'the boot set it, not wanbond');
    assert.ok(kernel.links.get('eth2')?.flags.has('UP'), 'the boot brought eth2 up, not wanbond');
    assert.equal(kernel.teql, undefined);
  });

  it('a slave re-attached by a second up is released once; down leaves the kernel as before the first up', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({
      wanpipe: W4,
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1', protocol: 'dhcp' }],
    });
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    await kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'teql0', 'root', 'handle', 'eb0d:', 'plug'] });
    await kernel.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'w2g1ppp', 'root'] });
    await kernel.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'teql0', 'root', 'handle', 'eb0d:'] });
    const up2 = await cliWith({ runner: kernel }, 'up', ...s.args);
    assert.equal(up2.code, 0, up2.err);
    assert.match(up2.out, /up \(1 change\)/);
    const record = JSON.parse(await fs.readFile(path.join(s.state, 'applied.json'), 'utf8')) as {
      steps: { kind: string; dev?: string }[];
    };
    assert.equal(
      record.steps.filter((x) => x.kind === 'attach-slave' && x.dev === 'w2g1ppp').length,
      1,
      'one entry per thing changed',
    );
    assert.ok(
      record.steps.some((x) => x.kind === 'load-module'),
      'the second up kept what the first recorded',
    );
    const down = await cliWith({ runner: kernel }, 'down', ...s.args);
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });

  it('after a DHCP renew between two ups, down gives back the renewed gateway, not the first one', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({
      wanpipe: W4,
      wanrouterRunning: Object.keys(W4),
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1', protocol: 'dhcp', metric: 0 }],
    });
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    await kernel.change({
      file: 'ip',
      args: ['route', 'replace', 'default', 'via', '192.168.1.254', 'dev', 'eth0', 'proto', 'dhcp'],
    });
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    assert.equal((await cliWith({ runner: kernel }, 'down', ...s.args)).code, 0);
    assert.deepEqual(
      kernel.routes.filter((r) => r.dst === 'default'),
      [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.254', protocol: 'dhcp' }],
    );
  });
});

describe('one change at a time', () => {
  it(
    'a second up while the first holds the lock exits 75 and changes nothing; once free, it finds nothing ' + 'to do',
    async () => {
      const s = await site('aft-a104-4xt1-ppp');
      const kernel = new FakeKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4) });
      const slow = kernel.change.bind(kernel);
      let inside: () => void = () => undefined;
      const started = new Promise<void>((r) => {
        inside = r;
      });
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      kernel.change = async (cmd) => {
        inside();
        await gate;
        await slow(cmd);
      };
      const first = cliWith({ runner: kernel }, 'up', ...s.args);
      await started;
      const n = kernel.changes.length;
      const second = await cliWith(
        { runner: new FakeKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4) }) },
        'up',
        '--lock-wait',
        '0',
        ...s.args,
      );
      assert.equal(second.code, 75, second.err);
      assert.match(
        second.err,
        /^error: another wanbond is changing the system \(pid \d+, wanbond up, since .*\); waited 0 s for it\nhint: /,
      );
      assert.equal(kernel.changes.length, n);
      release();
      assert.equal((await first).code, 0);
      const third = await cliWith({ runner: kernel }, 'up', ...s.args);
      assert.match(third.out, /already up/);
    },
  );

  it('a second up waits for the first when told to', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4) });
    const orig = kernel.change.bind(kernel);
    kernel.change = async (cmd) => {
      await new Promise((r) => setTimeout(r, 50));
      await orig(cmd);
    };
    const [a, b] = await Promise.all([
      cliWith({ runner: kernel }, 'up', ...s.args),
      cliWith({ runner: kernel }, 'up', '--lock-wait', '30', ...s.args),
    ]);
    assert.deepEqual([a.code, b.code], [0, 0], a.err + b.err);
    assert.ok(
      [a.out, b.out].some((o) => /already up, nothing to change/.test(o)),
      a.out + b.out,
    );
    assert.deepEqual(kernel.unguarded, []);
  });
});

describe('nothing changed goes unrecorded', () => {
  it('a crash after any change leaves a record from which down restores the kernel', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const init: FakeKernelInit = {
      wanpipe: W4,
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1' }],
    };
    const probe = new FakeKernel(init);
    const snaps: { kernel: FakeKernelInit; record: string | undefined }[] = [];
    probe.afterChange = () => {
      let record: string | undefined;
      try {
        record = readFileSync(path.join(s.state, 'applied.json'), 'utf8');
      } catch {
        record = undefined;
      }
      snaps.push({ kernel: structuredClone(probe.toInit()), record });
    };
    assert.equal((await cliWith({ runner: probe }, 'up', ...s.args)).code, 0);
    const before = new FakeKernel(init).dump();
    assert.ok(snaps.length >= 10);
    for (const [k, snap] of snaps.entries()) {
      // The process died right after change k: only the record and the kernel remain.
      assert.ok(snap.record !== undefined, `no record on disk while change ${k} ran`);
      const crashed = new FakeKernel({ ...snap.kernel, wanpipe: W4 });
      const dir = await tmpDir();
      await fs.mkdir(path.join(dir, 'run'));
      await fs.writeFile(path.join(dir, 'run', 'applied.json'), snap.record);
      const down = await cliWith({ runner: crashed }, 'down', '--state-dir', path.join(dir, 'run'));
      assert.equal(down.code, 0, `after change ${k}: ${down.err}`);
      assert.equal(crashed.dump(), before, `down after a crash at change ${k}`);
    }
  });

  it('SIGTERM during the wait for slaves rolls back and exits 143', { timeout: 10_000 }, async () => {
    const s = await site('aft-a104-4xt1-ppp');
    // The cards start but their interfaces never appear within the wait.
    const kernel = new FakeKernel({ wanpipe: { wanpipe1: [], wanpipe2: [], wanpipe3: [], wanpipe4: [] } });
    const before = kernel.dump();
    kernel.afterChange = (argv) => {
      if (argv.startsWith('wanrouter start')) setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), 150);
    };
    const r = await cliWith({ runner: kernel }, 'up', ...s.args);
    assert.equal(r.code, 143, r.err);
    assert.match(r.err, /wanbond: SIGTERM: stopping after the current command and undoing what was done/);
    assert.match(r.err, /error: interrupted by SIGTERM; rolled back 1 step, the system is as it was/);
    assert.equal(kernel.dump(), before);
    await assert.rejects(fs.access(path.join(s.state, 'applied.json')), 'nothing left to undo, so no record');
  });

  it('an incomplete rollback keeps what it could not undo in the record; down finishes it later', async () => {
    const e = await ethernet();
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const before = kernel.dump();
    kernel.failWhen = (a) => a.includes('ip_forward=1') || a === 'tc qdisc del dev eth2 root teql0';
    const up = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(up.code, 1);
    assert.match(
      up.err,
      /rollback incomplete: teql0: release eth2 \(.*injected failure.*\); `wanbond down` undoes the rest/,
    );
    const record = JSON.parse(await fs.readFile(path.join(e.state, 'applied.json'), 'utf8')) as {
      steps: { kind: string; dev?: string }[];
    };
    assert.deepEqual(
      record.steps.map((x) => `${x.kind} ${x.dev ?? ''}`.trim()),
      ['load-module', 'attach-slave eth2'],
    );
    kernel.failWhen = undefined;
    const down = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });

  it(
    'a down that fails halfway goes on with the rest, keeps what failed in the record, and a second down ' + 'finishes',
    async () => {
      const s = await site('aft-a104-4xt1-ppp');
      const kernel = new FakeKernel({ wanpipe: W4 });
      const before = kernel.dump();
      assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
      kernel.failWhen = (a) => a === 'modprobe -r sch_teql';
      const d1 = await cliWith({ runner: kernel }, 'down', ...s.args);
      assert.equal(d1.code, 1);
      assert.match(d1.err, /down incomplete: unload sch_teql: .*injected failure/);
      const record = JSON.parse(await fs.readFile(path.join(s.state, 'applied.json'), 'utf8')) as {
        steps: { kind: string }[];
      };
      assert.deepEqual(
        record.steps.map((x) => x.kind),
        ['load-module'],
      );
      kernel.failWhen = undefined;
      const d2 = await cliWith({ runner: kernel }, 'down', ...s.args);
      assert.equal(d2.code, 0, d2.err);
      assert.equal(kernel.dump(), before);
    },
  );

  it('wanrouter that starts the cards and then exits 1 is rolled back like any step', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({ wanpipe: W4 });
    const before = kernel.dump();
    kernel.failAfterWhen = (a) => a === 'wanrouter start';
    const r = await cliWith({ runner: kernel }, 'up', ...s.args);
    assert.equal(r.code, 1);
    assert.match(r.err, /the system is as it was/);
    assert.equal(kernel.dump(), before);
  });

  it('a batch that applied some lines before failing is undone line by line', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2, eth3\nrp_filter = 2\n');
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }, { name: 'eth3' }] });
    const before = kernel.dump();
    kernel.failAfterWhen = (a) => a === 'tc qdisc replace dev eth2 root teql0';
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        '^error: command failed: tc -batch -, line 2 `qdisc replace dev eth2 root teql0`: injected ' +
          'failure after the change took effect; rolled back',
      ),
    );
    assert.equal(kernel.dump(), before);
  });
});

describe('routes: what wanbond replaced comes back whole', () => {
  it('a multipath default route with onlink, src and weights is restored exactly', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const init: FakeKernelInit = {
      wanpipe: W4,
      wanrouterRunning: Object.keys(W4),
      links: [{ name: 'eth0' }, { name: 'eth1' }],
      // The kernel takes a route's src only when it is an address of this host.
      addrs: [{ dev: 'eth0', cidr: '192.0.2.10/24' }],
      routes: [
        {
          dst: 'default',
          protocol: 'static',
          prefsrc: '192.0.2.10',
          nexthops: [
            { gateway: '192.0.2.1', dev: 'eth0', weight: 2 },
            { gateway: '198.51.100.1', dev: 'eth1', onlink: true },
          ],
        },
      ],
    };
    const kernel = new FakeKernel(init);
    const before = kernel.dump();
    const plan = await cliWith({ runner: kernel }, 'plan', ...s.args);
    assert.match(
      plan.out,
      new RegExp(
        'route default dev teql0 \\(replacing default proto static src 192\\.0\\.2\\.10 nexthop via ' +
          '192\\.0\\.2\\.1 dev eth0 weight 2 nexthop via 198\\.51\\.100\\.1 dev eth1 onlink\\)',
      ),
    );
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    assert.equal((await cliWith({ runner: kernel }, 'down', ...s.args)).code, 0);
    assert.equal(kernel.dump(), before);
  });

  it('when the kernel removed our default route with teql0, down still gives the replaced one back', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({
      wanpipe: W4,
      wanrouterRunning: Object.keys(W4),
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1' }],
    });
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'teql0', 'down'] });
    assert.deepEqual(
      kernel.routes.filter((r) => r.dst === 'default'),
      [],
      'the kernel took default dev teql0 with the link',
    );
    assert.equal((await cliWith({ runner: kernel }, 'down', ...s.args)).code, 0);
    assert.deepEqual(
      kernel.routes.filter((r) => r.dst === 'default'),
      [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1' }],
    );
  });

  it('a route wanbond could not give back exactly is not replaced: plan says why and how', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4), links: [{ name: 'eth0' }] });
    const read = kernel.read.bind(kernel);
    kernel.read = async (cmd) => {
      const out = await read(cmd);
      if (cmd.args.join(' ') !== '-j route show table main') return out;
      return JSON.stringify([
        { dst: 'default', gateway: '192.168.1.1', dev: 'eth0', flags: [], metrics: [{ congestion: 'bbr' }] },
      ]);
    };
    const before = kernel.dump();
    const r = await cliWith({ runner: kernel }, 'up', ...s.args);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        '^error: teql0: the route default there now cannot be saved to give it back at `down`: its ' +
          'metric congestion is one wanbond cannot restore exactly\\nhint: note it \\(ip -d route show ' +
          'default\\), then remove it',
      ),
    );
    assert.equal(kernel.dump(), before);
  });
});

describe('down needs only its record', () => {
  it('works while the wanpipe files and the settings are broken', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const settings = path.join(s.dir, 'wanbond.conf');
    await fs.writeFile(settings, '[global]\nmax_equalizers = 1\n');
    const kernel = new FakeKernel({ wanpipe: W4 });
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args, '--settings', settings)).code, 0);
    await fs.writeFile(path.join(s.conf, 'wanpipe2.conf'), '[devices]\nwanpipe2 = WAN_AFT_TE1\n[interfaces\n');
    await fs.writeFile(settings, '[global]\nno_such_key = 1\n');
    assert.equal((await cliWith({ runner: kernel }, 'plan', ...s.args, '--settings', settings)).code, 2);
    const down = await cliWith({ runner: kernel }, 'down', ...s.args, '--settings', settings);
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });
});

describe('state files are never a way in', () => {
  it('refuses a state folder others can write, and one owned by another user', async () => {
    const e = await ethernet();
    await fs.mkdir(e.state, { mode: 0o777 });
    await fs.chmod(e.state, 0o777);
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const before = kernel.dump();
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        '^error: .*\\/run: writable by group or others \\(mode 777\\): another user could plant files ' +
          'for root to overwrite\\nhint: chmod go-w ',
      ),
    );
    assert.equal(kernel.dump(), before);
    if (process.geteuid?.() === 0) {
      await fs.chmod(e.state, 0o755);
      await fs.chown(e.state, 4242, 4242);
      const r2 = await cliWith({ runner: kernel }, 'up', ...e.args);
      assert.equal(r2.code, 1);
      assert.match(r2.err, /owned by uid 4242, not by root/);
      assert.equal(kernel.dump(), before);
    }
  });

  it('never follows a link planted as the record', async () => {
    const e = await ethernet();
    await fs.mkdir(e.state);
    const victim = path.join(e.dir, 'victim');
    await fs.writeFile(victim, 'precious\n');
    await fs.symlink(victim, path.join(e.state, 'applied.json'));
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        '^error: cannot read .*applied\\.json: is a symbolic link, which wanbond refuses to follow ' +
          '\\(ELOOP\\)\\nhint: remove the link',
      ),
    );
    assert.equal(await fs.readFile(victim, 'utf8'), 'precious\n');
  });

  it('a record that is a folder, or damaged, is an answer with exit 1, and the record is kept', async () => {
    const e = await ethernet();
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    await fs.mkdir(path.join(e.state, 'applied.json'), { recursive: true });
    const r = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: .*applied\.json: not a regular file\nhint: remove it/);
    await fs.rm(path.join(e.state, 'applied.json'), { recursive: true });
    const bad = JSON.stringify({
      version: 2,
      bootId: kernel.bootId,
      steps: [{ kind: 'atach-slave', dev: 'eth1', teql: 'teql0' }],
    });
    await fs.writeFile(path.join(e.state, 'applied.json'), bad);
    const r2 = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(r2.code, 1);
    assert.match(
      r2.err,
      new RegExp(
        '^error: .*applied\\.json: step 1: unknown step kind "atach-slave"\\nhint: the record is ' +
          'damaged or was edited; nothing was changed',
      ),
    );
    assert.equal(await fs.readFile(path.join(e.state, 'applied.json'), 'utf8'), bad, 'the record is kept');
    const evil = JSON.stringify({
      version: 2,
      bootId: kernel.bootId,
      steps: [{ kind: 'attach-slave', dev: 'eth1 # x', teql: 'teql0' }],
    });
    await fs.writeFile(path.join(e.state, 'applied.json'), evil);
    const r3 = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(r3.code, 1);
    assert.match(r3.err, /step 1: attach-slave: field dev is "eth1 # x", which is not valid here/);
    assert.equal(kernel.changes.length, 0);
  });

  it('config fix edits a linked configuration where it lives and keeps the link', async () => {
    const s = await site('s514-chdlc-2xt1');
    const real = path.join(s.dir, 'elsewhere');
    await fs.mkdir(real);
    await fs.rename(path.join(s.conf, 'wanpipe1.conf'), path.join(real, 'wanpipe1.conf'));
    await fs.symlink(path.join(real, 'wanpipe1.conf'), path.join(s.conf, 'wanpipe1.conf'));
    const r = await cliWith({ runner: new FakeKernel() }, 'config', 'fix', ...s.args);
    assert.equal(r.code, 0, r.err);
    assert.ok((await fs.lstat(path.join(s.conf, 'wanpipe1.conf'))).isSymbolicLink(), 'still a link');
    assert.match(await fs.readFile(path.join(real, 'wanpipe1.conf'), 'utf8'), /DYN_INTR_CFG\t= YES/);
    assert.ok(
      (await fs.readdir(real)).some((n) => n.endsWith('.bak')),
      'the backup lies beside the real file',
    );
  });
});

describe('every error is an answer', () => {
  it('config fix --only with a name that is not a bonded interface exits 2', async () => {
    const s = await site('s514-chdlc-2xt1');
    for (const [name, re] of [
      ['wan9', /--only wan9: no such interface in .*wanpipe1\.conf/],
      ['WAN0', /--only WAN0: no such interface .*\(names are case-sensitive: did you mean wan0\?\)/],
    ] as const) {
      const r = await cliWith({ runner: new FakeKernel() }, 'config', 'fix', '--only', name, ...s.args);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, re);
      assert.match(r.err, /hint: name IP interfaces of \[interfaces\]: wan0, wan1/);
    }
  });

  it('hints name the settings file given with --settings', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth9\n');
    const r = await cliWith({ runner: new FakeKernel({ links: [{ name: 'eth1' }] }) }, 'plan', ...e.args);
    assert.equal(r.code, 2);
    const file = path.join(e.dir, 'wanbond.conf');
    assert.equal(
      r.err,
      `error: ${file}:2: teql0: unknown interface eth9: the kernel has no such link and the wanpipe configuration ` +
        'does not define it\nhint: check the name with `ip link`, ' +
        `or remove eth9 from the slaves of [teql0] in ${file}\n`,
    );
  });

  it('an OS error on a file is an answer, never "a bug"', async () => {
    const { answer } = await import('../../../src/cli/main.js');
    const e = Object.assign(new Error("EACCES: permission denied, open '/etc/wanpipe/wanpipe1.conf'"), {
      code: 'EACCES',
      syscall: 'open',
      path: '/etc/wanpipe/wanpipe1.conf',
      errno: -13,
    });
    assert.deepEqual(answer(e), {
      text: 'error: cannot open /etc/wanpipe/wanpipe1.conf: permission denied (EACCES)\nhint: run wanbond as root\n',
      code: 1,
    });
    assert.equal(answer(new TypeError('x')).code, 70);
  });
});

describe('TEQL compiled into the kernel', () => {
  it('is never loaded or unloaded, and up converges', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4), teqlBuiltin: 2 });
    const before = kernel.dump();
    const up = await cliWith({ runner: kernel }, 'up', ...s.args);
    assert.equal(up.code, 0, up.err);
    assert.ok(!cmds(kernel).some((c) => c.startsWith('modprobe')), cmds(kernel).join('\n'));
    assert.match((await cliWith({ runner: kernel }, 'plan', ...s.args)).out, /up to date/);
    assert.equal((await cliWith({ runner: kernel }, 'down', ...s.args)).code, 0);
    assert.equal(kernel.dump(), before);
  });

  it('with too few equalizers, says max_equalizers is a boot parameter', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1\n[teql1]\nslaves = eth2\naddress = 10.0.1.0/31\n');
    const r = await cliWith(
      { runner: new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }], teqlBuiltin: 1 }) },
      'up',
      ...e.args,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        '^error: sch_teql is built into this kernel with too few equalizers: teql1 is needed, this ' +
          'namespace has teql0; a built-in TEQL takes max_equalizers from the kernel command ' +
          'line\\nhint: add sch_teql.max_equalizers=2 to the kernel command line',
      ),
    );
  });
});

describe('slave changes on an up bond', () => {
  it('an up teql is lowered to a smaller slave MTU before the slave is attached, under a hold', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n');
    const kernel = new FakeKernel({
      links: [{ name: 'eth1' }, { name: 'eth2', mtu: 1400 }],
      teqlLoaded: 1,
      qdiscs: { eth1: { kind: 'teql0', handle: '8001:' } },
    });
    await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'teql0', 'up'] });
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 0, r.err);
    const c = cmds(kernel);
    assert.ok(
      c.indexOf('ip link set dev teql0 mtu 1400') < c.indexOf('tc qdisc replace dev eth2 root teql0'),
      c.join('\n'),
    );
    assert.deepEqual(kernel.unguarded, []);
    assert.equal(kernel.qdiscs.get('teql0'), undefined, 'the hold was released');
  });

  it('a hold a killed wanbond left behind is released by the next up', async () => {
    const e = await ethernet();
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    assert.equal((await cliWith({ runner: kernel }, 'up', ...e.args)).code, 0);
    await kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'teql0', 'root', 'handle', 'eb0d:', 'plug'] });
    assert.match((await cliWith({ runner: kernel }, 'plan', ...e.args)).out, /teql0: release the queue/);
    assert.equal((await cliWith({ runner: kernel }, 'up', ...e.args)).code, 0);
    assert.equal(kernel.qdiscs.get('teql0'), undefined);
  });

  it('the slave wait gives up after slave_wait', { timeout: 10_000 }, async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const settings = path.join(s.dir, 'wanbond.conf');
    await fs.writeFile(settings, '[global]\nslave_wait = 300ms\n');
    const kernel = new FakeKernel({
      wanpipe: {
        wanpipe1: ['w1g1'],
        wanpipe2: ['w2g1', 'w2g1ppp'],
        wanpipe3: ['w3g1', 'w3g1ppp'],
        wanpipe4: ['w4g1', 'w4g1ppp'],
      },
    });
    const before = kernel.dump();
    const t0 = Date.now();
    const r = await cliWith({ runner: kernel }, 'up', ...s.args, '--settings', settings);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^error: wanrouter did not create w1g1ppp within 0\.3s; rolled back 1 step, the system is as it was/,
    );
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(kernel.dump(), before);
  });
});

describe('operator changes after up are left alone by down', () => {
  it('an MTU or link state the operator changed is not touched', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2, eth3\nrp_filter = 2\n');
    const kernel = new FakeKernel({
      links: [
        { name: 'eth1', mtu: 1500 },
        { name: 'eth2', mtu: 1492 },
        { name: 'eth3', up: false },
      ],
    });
    assert.equal((await cliWith({ runner: kernel }, 'up', ...e.args)).code, 0);
    await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'eth1', 'mtu', '1400'] });
    await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'eth3', 'down'] });
    const n = kernel.changes.length;
    assert.equal((await cliWith({ runner: kernel }, 'down', ...e.args)).code, 0);
    const c = cmds(kernel, n);
    assert.ok(!c.some((x) => /link set dev eth1 mtu/.test(x)), c.join('\n'));
    assert.ok(!c.some((x) => x === 'ip link set dev eth3 down'), c.join('\n'));
    assert.equal(kernel.links.get('eth1')?.mtu, 1400);
    assert.equal(kernel.links.get('eth3')?.mtu, 1500, 'eth3 had 1500 before up: restored');
  });
});

describe('a record that cannot be written', () => {
  const root = process.geteuid?.() === 0;
  it('a full disk stops up before its first change, with the reason', {
    skip: root ? false : 'needs root to mount a small tmpfs',
  }, async () => {
    const { execFileSync } = await import('node:child_process');
    const e = await ethernet();
    await fs.mkdir(e.state);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', e.state]);
    try {
      await fs.writeFile(path.join(e.state, 'lock'), '');
      // Fill it: the lock exists, but nothing more fits.
      await fs.writeFile(path.join(e.state, 'filler'), Buffer.alloc(60 * 1024)).catch(() => undefined);
      for (let i = 0; ; i++) {
        try {
          await fs.writeFile(path.join(e.state, `f${i}`), Buffer.alloc(4096));
        } catch {
          break;
        }
      }
      const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
      const before = kernel.dump();
      const r = await cliWith({ runner: kernel }, 'up', ...e.args);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        new RegExp(
          '^error: cannot write .*applied\\.json: no space left on device \\(ENOSPC\\); rolled back 0 ' +
            'steps, the system is as it was\\nhint: free space on the file system',
        ),
      );
      assert.equal(kernel.dump(), before);
      assert.equal(kernel.changes.length, 0);
    } finally {
      execFileSync('umount', [e.state]);
    }
  });
});

describe('review findings', () => {
  it(
    'a device restart that fails rolls back only itself: the devices done before stay done, its line goes ' + 'back',
    async () => {
      const s = await site('s514-chdlc-2xt1');
      const kernel = new FakeKernel({ wanpipe: CHDLC, wanrouterRunning: ['wanpipe1', 'wanpipe2'] });
      assert.equal((await cliWith({ runner: kernel }, 'up', '--no-restart', ...s.args)).code, 0);
      kernel.failWhen = (a) => a === 'wanrouter restart wanpipe2';
      const r = await cliWith({ runner: kernel }, 'up', ...s.args);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        new RegExp(
          '^error: restart of wanpipe2: command failed: wanrouter restart wanpipe2: injected failure; ' +
            'rolled back 1 step, the system is as it was',
          'm',
        ),
      );
      assert.deepEqual(
        [...kernel.qdiscs.entries()]
          .filter(([, q]) => q.kind === 'teql0')
          .map(([d]) => d)
          .sort(),
        ['wan0', 'wan1'],
        'both lines in the bond',
      );
      assert.equal(kernel.sysctls.get('net.ipv4.conf.wan0.rp_filter'), '0');
      assert.deepEqual(kernel.unguarded, []);
      const check = await cliWith({ runner: kernel }, 'config', 'check', ...s.args);
      assert.doesNotMatch(check.out, /wanpipe1: the file says/, 'wanpipe1 was restarted and stays so');
      assert.match(check.out, /wanpipe2: the file says/);
      kernel.failWhen = undefined;
      const again = await cliWith({ runner: kernel }, 'up', ...s.args);
      assert.equal(again.code, 0, again.err);
      assert.equal(
        cmds(kernel).filter((c) => c === 'wanrouter restart wanpipe1').length,
        1,
        'wanpipe1 is not restarted twice',
      );
    },
  );

  it('a batch killed halfway (no line named) is undone whole', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2, eth3\nrp_filter = 2\n');
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }, { name: 'eth3' }] });
    const before = kernel.dump();
    kernel.killBatchAfterWhen = (a) => a === 'tc qdisc replace dev eth2 root teql0';
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 1);
    assert.match(r.err, /the system is as it was/);
    assert.equal(kernel.dump(), before);
  });

  it(
    'a second up that waited reads the configuration the first one fixed: no "changed on disk", no second ' + 'restart',
    async () => {
      const s = await site('s514-chdlc-2xt1');
      const kernel = new FakeKernel({ wanpipe: CHDLC, wanrouterRunning: ['wanpipe1', 'wanpipe2'] });
      const orig = kernel.change.bind(kernel);
      kernel.change = async (cmd) => {
        await new Promise((res) => setTimeout(res, 20));
        await orig(cmd);
      };
      const [a, b] = await Promise.all([
        cliWith({ runner: kernel }, 'up', ...s.args),
        cliWith({ runner: kernel }, 'up', ...s.args),
      ]);
      assert.deepEqual([a.code, b.code], [0, 0], a.err + b.err);
      assert.equal(cmds(kernel).filter((c) => c.startsWith('wanrouter restart')).length, 2, 'each device once');
      assert.equal((await cliWith({ runner: kernel }, 'config', 'check', ...s.args)).code, 0);
    },
  );

  it('settings changed between two ups: down gives back the values from before the first', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2\nmtu = 1400\nrp_filter = 2\n');
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...e.args)).code, 0);
    await fs.writeFile(path.join(e.dir, 'wanbond.conf'), '[teql0]\nslaves = eth1, eth2\nmtu = 1300\nrp_filter = 0\n');
    const up2 = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(up2.code, 0, up2.err);
    const down = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });

  it('a default route whose link has no carrier (linkdown) is saved and given back', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({
      wanpipe: W4,
      wanrouterRunning: Object.keys(W4),
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1' }],
    });
    const read = kernel.read.bind(kernel);
    kernel.read = async (cmd) => {
      const out = await read(cmd);
      if (cmd.args.join(' ') !== '-j route show table main') return out;
      return JSON.stringify(
        (JSON.parse(out) as { dst: string; dev?: string; flags: string[] }[]).map((r) =>
          r.dev === 'eth0' ? { ...r, flags: ['linkdown'] } : r,
        ),
      );
    };
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    assert.equal((await cliWith({ runner: kernel }, 'down', ...s.args)).code, 0);
    assert.equal(kernel.dump(), before);
  });

  it('an unreachable default route is saved and given back, not lost', async () => {
    const s = await site('aft-a104-4xt1-ppp');
    const kernel = new FakeKernel({
      wanpipe: W4,
      wanrouterRunning: Object.keys(W4),
      routes: [{ type: 'unreachable', dst: 'default' }],
    });
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...s.args)).code, 0);
    assert.deepEqual(
      kernel.routes.filter((r) => r.dst === 'default').map((r) => r.dev),
      ['teql0'],
    );
    assert.equal((await cliWith({ runner: kernel }, 'down', ...s.args)).code, 0);
    assert.equal(kernel.dump(), before);
  });

  it('a signal during the last batch still rolls back and exits 130', async () => {
    const e = await ethernet();
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const before = kernel.dump();
    kernel.afterChange = (a) => {
      if (a.startsWith('sysctl') && a.endsWith('eth2/rp_filter=2')) process.emit('SIGINT', 'SIGINT');
    };
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 130, r.err);
    assert.equal(kernel.dump(), before);
  });

  it("a state folder reached through another user's link is refused", {
    skip: process.geteuid?.() === 0 ? false : 'needs root to own a link as another user',
  }, async () => {
    const e = await ethernet();
    const target = path.join(e.dir, 'root-owned');
    await fs.mkdir(target);
    const link = path.join(e.dir, 'planted');
    await fs.symlink(target, link);
    await fs.lchown(link, 4242, 4242);
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const r = await cliWith({ runner: kernel }, 'up', ...e.args, '--state-dir', link);
    assert.equal(r.code, 1);
    assert.match(r.err, /planted: a symbolic link owned by uid 4242/);
    assert.deepEqual(await fs.readdir(target), []);
  });

  it('down releases a hold a killed wanbond left behind', async () => {
    const e = await ethernet();
    const kernel = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] });
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...e.args)).code, 0);
    await kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'teql0', 'root', 'handle', 'eb0d:', 'plug'] });
    const down = await cliWith({ runner: kernel }, 'down', ...e.args);
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });

  it('a kernel without sch_plug: slave changes on an up bond are made unguarded, and still made', async () => {
    const e = await ethernet('[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n');
    const kernel = new FakeKernel({
      links: [{ name: 'eth1' }, { name: 'eth2' }],
      teqlLoaded: 1,
      qdiscs: { eth1: { kind: 'teql0', handle: '8001:' } },
    });
    kernel.noPlug = true;
    await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'teql0', 'up'] });
    const r = await cliWith({ runner: kernel }, 'up', ...e.args);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(kernel.unguarded, ['tc qdisc replace dev eth2 root teql0']);
  });

  it('--lock-wait that is not a number is a usage error', async () => {
    const e = await ethernet();
    const r = await cliWith(
      { runner: new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }] }) },
      'up',
      '--lock-wait',
      'abc',
      ...e.args,
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /--lock-wait: expected seconds from 0 to 3600, found 'abc'/);
  });
});
