// A failure at every step k of `up`: the completed steps are undone in reverse, and the kernel ends
// exactly as it began.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel, type FakeKernelInit } from '../../helpers/fake-kernel.js';
import { samplesDir, tmpDir } from '../../helpers/fs.js';

const W4 = {
  wanpipe1: ['w1g1', 'w1g1ppp'],
  wanpipe2: ['w2g1', 'w2g1ppp'],
  wanpipe3: ['w3g1', 'w3g1ppp'],
  wanpipe4: ['w4g1', 'w4g1ppp'],
};

interface Scenario {
  name: string;
  kernel: FakeKernelInit;
  args: (dir: string) => string[];
}

const scenarios: Scenario[] = [
  {
    name: 'A104, four PPP lines, cards stopped, a foreign default route',
    kernel: {
      wanpipe: W4,
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1' }],
    },
    args: () => ['--conf-dir', path.join(samplesDir, 'aft-a104-4xt1-ppp')],
  },
  {
    name: 'Ethernet uplinks with unequal MTUs',
    kernel: {
      links: [
        { name: 'eth1', mtu: 1500 },
        { name: 'eth2', mtu: 1492 },
        { name: 'eth3', up: false },
      ],
    },
    args: (dir) => ['--conf-dir', path.join(dir, 'none'), '--settings', path.join(dir, 'wanbond.conf')],
  },
];

/** What undoes a forward command, written independently of the product's inverse(). */
function undoPattern(argv: string): RegExp | null {
  const q = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let m: RegExpExecArray | null;
  if ((m = /^tc qdisc replace dev (\S+) root (teql\d+)$/.exec(argv)))
    return new RegExp(`^tc qdisc del dev ${q(m[1]!)} root ${m[2]!}$`);
  if ((m = /^ip link set dev (\S+) up$/.exec(argv))) return new RegExp(`^ip link set dev ${q(m[1]!)} down$`);
  if ((m = /^ip link set dev (\S+) mtu \d+$/.exec(argv))) return new RegExp(`^ip link set dev ${q(m[1]!)} mtu \\d+$`);
  if ((m = /^ip addr add (\S+) dev (\S+) noprefixroute$/.exec(argv)))
    return new RegExp(`^ip addr del ${q(m[1]!)} dev ${q(m[2]!)}$`);
  if ((m = /^ip route replace (\S+) dev (\S+)$/.exec(argv)))
    return new RegExp(`^ip route (del ${q(m[1]!)} dev ${q(m[2]!)}|replace ${q(m[1]!)} via \\S+ dev \\S+)$`);
  if ((m = /^sysctl -q -w ([^=]+)=/.exec(argv))) return new RegExp(`^sysctl -q -w ${q(m[1]!)}=\\d+$`);
  if (/^modprobe sch_teql/.test(argv)) return /^modprobe -r sch_teql$/;
  if ((m = /^wanrouter start( \S+)?$/.exec(argv))) return new RegExp(`^wanrouter stop${q(m[1] ?? '')}$`);
  return null;
}

describe('apply rolls back a failure at every step', () => {
  for (const sc of scenarios) {
    it(sc.name, async () => {
      const dir = await tmpDir();
      await (await import('node:fs')).promises.writeFile(
        path.join(dir, 'wanbond.conf'),
        '[teql0]\nslaves = eth1, eth2, eth3\nrp_filter = 2\n',
      );
      const args = [...sc.args(dir), '--state-dir', path.join(dir, 'run')];
      const clean = new FakeKernel(sc.kernel);
      const ok = await cliWith({ runner: clean }, 'up', ...args);
      assert.equal(ok.code, 0, ok.err);
      const forward = clean.changes.map((c) => c.join(' '));
      assert.ok(forward.length >= 10, `${forward.length} changes`);

      for (let k = 0; k < forward.length; k++) {
        const kernel = new FakeKernel(sc.kernel);
        const before = kernel.dump();
        let n = 0;
        kernel.failWhen = () => n++ === k;
        const r = await cliWith({ runner: kernel }, 'up', ...args, '--state-dir', path.join(dir, `run-${k}`));
        assert.equal(r.code, 1, `step ${k}: ${forward[k]}`);
        assert.match(
          r.err,
          /^error: command failed: .*injected failure.*; rolled back \d+ steps?, the system is as it was\nhint: /,
        );
        assert.equal(kernel.dump(), before, `net change after a failure at step ${k} (${forward[k]})`);

        const seen = kernel.changes.map((c) => c.join(' '));
        assert.deepEqual(seen.slice(0, k + 1), forward.slice(0, k + 1), 'same forward order up to the failure');
        const undos = seen.slice(k + 1);
        const expected = forward
          .slice(0, k)
          .map(undoPattern)
          .filter((p): p is RegExp => p !== null)
          .reverse();
        assert.equal(undos.length, expected.length, `undo of step ${k}: ${JSON.stringify(undos)}`);
        for (const [i, u] of undos.entries()) assert.match(u, expected[i]!, `undo #${i} after failure at ${k}`);
      }
    });
  }

  it('a kernel that silently ignores a change fails verification and is rolled back', async () => {
    const dir = await tmpDir();
    const init: FakeKernelInit = { wanpipe: W4, wanrouterRunning: Object.keys(W4) };
    const kernel = new FakeKernel(init);
    const before = kernel.dump();
    const orig = kernel.change.bind(kernel);
    kernel.change = async (cmd) => {
      if (cmd.file === 'ip' && cmd.input?.includes('route replace default')) {
        await orig({
          ...cmd,
          input: cmd.input
            .split('\n')
            .filter((l) => !l.startsWith('route replace default'))
            .join('\n'),
        });
        return;
      }
      await orig(cmd);
    };
    const r = await cliWith(
      { runner: kernel },
      'up',
      '--conf-dir',
      path.join(samplesDir, 'aft-a104-4xt1-ppp'),
      '--state-dir',
      path.join(dir, 'run'),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        '^error: the kernel does not show what was applied: route default dev teql0; rolled back ' +
          String.raw`\d+ steps, the system is as it was\n`,
      ),
    );
    assert.equal(kernel.dump(), before);
  });
});

describe('up, down and the record', () => {
  const args = (dir: string) => [
    '--conf-dir',
    path.join(samplesDir, 'aft-a104-4xt1-ppp'),
    '--state-dir',
    path.join(dir, 'run'),
  ];

  it('down undoes exactly what up did, and a second up or down changes nothing', async () => {
    const dir = await tmpDir();
    const kernel = new FakeKernel({
      wanpipe: W4,
      links: [{ name: 'eth0' }],
      routes: [{ dst: 'default', dev: 'eth0', gateway: '192.168.1.1' }],
    });
    const before = kernel.dump();
    assert.equal((await cliWith({ runner: kernel }, 'up', ...args(dir))).code, 0);
    const upDump = kernel.dump();
    const n = kernel.changes.length;
    const again = await cliWith({ runner: kernel }, 'up', ...args(dir));
    assert.equal(again.out, 'teql0 (w1g1ppp, w2g1ppp, w3g1ppp, w4g1ppp): already up, nothing to change\n');
    assert.equal(kernel.changes.length, n, 'second up ran no changing command');
    assert.equal(kernel.dump(), upDump);
    const down = await cliWith({ runner: kernel }, 'down', ...args(dir));
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
    const down2 = await cliWith({ runner: kernel }, 'down', ...args(dir));
    assert.match(down2.out, /^nothing to undo/);
  });

  it('down leaves alone what the operator changed after up', async () => {
    const dir = await tmpDir();
    const kernel = new FakeKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4) });
    assert.equal((await cliWith({ runner: kernel }, 'up', ...args(dir))).code, 0);
    await kernel.change({ file: 'sysctl', args: ['-q', '-w', 'net/ipv4/conf/w1g1ppp/rp_filter=2'] });
    const r = await cliWith({ runner: kernel }, 'down', ...args(dir));
    assert.equal(r.code, 0, r.err);
    assert.equal(kernel.sysctls.get('net.ipv4.conf.w1g1ppp.rp_filter'), '2');
    assert.equal(kernel.sysctls.get('net.ipv4.conf.w2g1ppp.rp_filter'), '1');
    assert.equal(kernel.teql, undefined);
  });

  it('up --dry-run changes nothing and prints commands that reach the same state', async () => {
    const dir = await tmpDir();
    const init: FakeKernelInit = { wanpipe: W4, links: [{ name: 'eth0' }] };
    const dry = new FakeKernel(init);
    const r = await cliWith({ runner: dry }, 'up', '--dry-run', ...args(dir));
    assert.equal(r.code, 0);
    assert.equal(dry.changes.length, 0);
    const byHand = new FakeKernel(init);
    for (const line of r.out.split('\n').filter((l) => l && !l.startsWith('#'))) {
      const [file, ...rest] = line.split(' ');
      await byHand.change({ file: file as 'ip', args: rest });
    }
    const real = new FakeKernel(init);
    assert.equal((await cliWith({ runner: real }, 'up', ...args(dir), '--state-dir', path.join(dir, 'r2'))).code, 0);
    assert.equal(byHand.dump(), real.dump());
  });

  it('eight lines cost a handful of processes', async () => {
    const dir = await tmpDir();
    const names = Array.from({ length: 8 }, (_, i) => `eth${i + 1}`);
    await (await import('node:fs')).promises.writeFile(
      path.join(dir, 'wanbond.conf'),
      `[teql0]\nslaves = ${names.join(', ')}\n`,
    );
    const kernel = new FakeKernel({ links: names.map((name) => ({ name })) });
    const r = await cliWith(
      { runner: kernel },
      'up',
      '--conf-dir',
      path.join(dir, 'none'),
      '--settings',
      path.join(dir, 'wanbond.conf'),
      '--state-dir',
      path.join(dir, 'run'),
    );
    assert.equal(r.code, 0, r.err);
    assert.ok(kernel.changes.length >= 8 + 8 + 4, `${kernel.changes.length} changes`);
    // observe (ip -batch, tc) + modprobe + tc batch + ip batch + sysctl + verify observe (2)
    assert.equal(kernel.processes, 8);
  });
});
