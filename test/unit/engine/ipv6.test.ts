// IPv6 beside the bonds (issue 21, defect 12): wanbond bonds IPv4 only, so a bonded line that
// carries IPv6 carries it unbonded and without failover. up warns once, status shows a line per
// bond, doctor says what and how to fix it; the reads cost nothing where no line has IPv6, and the
// daemon's lean ring read never makes them. Fake kernel.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from '../../../src/exec/runner.js';
import { observe } from '../../../src/observe/read.js';
import { parseAddrs6, parseRoutes6 } from '../../../src/observe/parse.js';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel, type FakeKernelInit } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';

async function site(init: FakeKernelInit) {
  const dir = await tmpDir();
  await fs.writeFile(path.join(dir, 'wanbond.conf'), '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n');
  const kernel = new FakeKernel({ links: ['eth0', 'eth1', 'eth2'].map((name) => ({ name })), ...init });
  const reads: string[] = [];
  const read = kernel.read.bind(kernel);
  kernel.read = (c: Command) => {
    reads.push([c.file, ...c.args].join(' '));
    return read(c);
  };
  const args = [
    '--conf-dir',
    path.join(dir, 'none'),
    '--settings',
    path.join(dir, 'wanbond.conf'),
    '--state-dir',
    path.join(dir, 'run'),
  ];
  return { kernel, reads, dir, run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args) };
}

type Finding = { id: string; line?: string; what: string; fix: string[]; severity: string };
const findings = async (run: (...a: string[]) => Promise<{ out: string }>): Promise<Finding[]> => {
  const out = (await run('doctor', '--json', '--window', '0s')).out;
  const j = JSON.parse(out) as { findings: Finding[]; bonds: { findings: Finding[] }[] };
  return [...j.findings, ...j.bonds.flatMap((b) => b.findings)].filter((f) => f.id === 'bond.ipv6-unbonded');
};

// eth2 as a PPPoE-like uplink with DHCPv6-PD: its link-local address and a default via the provider,
// nothing global; eth0 the LAN with the delegated prefix.
const V6: FakeKernelInit = {
  addrs6: [
    { dev: 'eth2', cidr: 'fe80::2/64', scope: 'link' },
    { dev: 'eth0', cidr: '2001:db8:1::1/64' },
  ],
  routes6: [
    { dst: 'fe80::/64', dev: 'eth2' },
    { dst: 'default', dev: 'eth2', gateway: 'fe80::1' },
    { dst: '2001:db8:1::/64', dev: 'eth0' },
  ],
};

describe('IPv6 beside the bonds', () => {
  it('a line with an IPv6 default: up warns once, status says it in a line, doctor names it and the fix', async () => {
    const { kernel, run } = await site(V6);
    const up = await run('up');
    assert.equal(up.code, 0, up.err);
    assert.equal(up.err.match(/WARNING: IPv6/g)?.length, 1, up.err);
    assert.match(up.err, /WARNING: IPv6 is not bonded: eth2 beside teql0 \(route default via fe80::1\)\n/);
    assert.match(up.err, /\n {2}why: wanbond bonds IPv4 only/);
    assert.match(up.err, /fix: .*net\.ipv6\.conf\.<line>\.disable_ipv6=1/);
    const st = await run('status');
    const line = /^ {2}ipv6: eth2 carries IPv6 that wanbond neither bonds nor fails over \(see wanbond doctor\)$/m;
    assert.match(st.out, line, st.out);
    const j = JSON.parse((await run('status', '--json')).out) as { ipv6Unbonded: unknown }[];
    assert.deepEqual(j[0]?.ipv6Unbonded, [{ line: 'eth2', addresses: [], routes: ['default via fe80::1'] }]);
    const [f, ...more] = await findings(run);
    assert.deepEqual(more, []);
    assert.equal(f?.severity, 'warning');
    assert.equal(f?.what, 'eth2 carries IPv6 outside teql0: route default via fe80::1');
    assert.equal(f?.fix[0], 'sysctl -q -w net/ipv6/conf/eth2/disable_ipv6=1');
    assert.match(f?.fix.join('\n') ?? '', /net\.ipv6\.conf\.eth2\.disable_ipv6 = 1 in \/etc\/sysctl\.d\//);
    // The fix as the kernel answers it: disable_ipv6 takes the line's IPv6 addresses and routes away.
    kernel.addrs6 = kernel.addrs6.filter((a) => a.dev !== 'eth2');
    kernel.routes6 = kernel.routes6.filter((r) => r.dev !== 'eth2');
    assert.deepEqual(await findings(run), []);
    assert.doesNotMatch((await run('status')).out, /ipv6/);
    const again = await run('up');
    assert.doesNotMatch(again.err, /IPv6/, "the LAN's own IPv6 (eth0) is none of wanbond's business");
  });

  it("a global address on a line is reported with its prefix route; the LAN's IPv6 is not", async () => {
    const { run } = await site({
      addrs6: [
        { dev: 'eth1', cidr: '2001:db8:9::2/64' },
        { dev: 'eth1', cidr: 'fe80::9/64', scope: 'link' },
      ],
      routes6: [
        { dst: '2001:db8:9::/64', dev: 'eth1' },
        { dst: 'fe80::/64', dev: 'eth1' },
        { dst: 'ff00::/8', dev: 'eth1', table: 'local', type: 'multicast' },
      ],
    });
    assert.deepEqual(
      (await findings(run)).map((f) => f.what),
      ['eth1 carries IPv6 outside teql0: address 2001:db8:9::2/64, route 2001:db8:9::/64'],
    );
  });

  it("the reads: none without IPv6 on a line, one route read with it, never in the daemon's lean read", async () => {
    const none = await site({});
    assert.equal((await none.run('up')).code, 0);
    await none.run('status');
    assert.deepEqual(
      none.reads.filter((r) => r.startsWith('ip -6')),
      [],
      'no line has IPv6: no IPv6 route read',
    );
    // A link-local address alone carries nothing beyond the link: read, and nothing reported.
    const local = await site({
      addrs6: [{ dev: 'eth1', cidr: 'fe80::1/64', scope: 'link' }],
      routes6: [{ dst: 'fe80::/64', dev: 'eth1' }],
    });
    assert.doesNotMatch((await local.run('status')).out, /ipv6/);
    assert.deepEqual(
      local.reads.filter((r) => r.startsWith('ip -6')),
      ['ip -6 -j route show table all'],
    );
    const wanrouterProc = path.join(local.dir, 'none');
    const lean = await observe(local.kernel, { sysctls: [], wanrouterProc, lean: true, ipv6Lines: ['eth1'] });
    assert.equal(lean.ipv6, undefined);
    assert.equal(local.reads.filter((r) => r.startsWith('ip -6')).length, 1, 'the lean read made no IPv6 read');
  });

  it('parses iproute2 6.1: IPv6 from ip -j addr; ip -6 -j route show table all without the local table', () => {
    // As this host's iproute2 6.1 printed them (the multipath route added by hand; fields trimmed).
    const addrs = JSON.stringify([
      {
        ifindex: 4,
        ifname: 'eth0',
        addr_info: [
          { family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global' },
          { family: 'inet6', local: 'fd00::2', prefixlen: 64, scope: 'global', nodad: true },
          { family: 'inet6', local: 'fe80::fc:ff:fe00:1', prefixlen: 64, scope: 'link' },
        ],
      },
    ]);
    assert.deepEqual(parseAddrs6(addrs), [
      { dev: 'eth0', local: 'fd00::2', prefixlen: 64, scope: 'global' },
      { dev: 'eth0', local: 'fe80::fc:ff:fe00:1', prefixlen: 64, scope: 'link' },
    ]);
    const m = { flags: [], pref: 'medium' };
    const routes = JSON.stringify([
      { dst: 'fd00::/64', dev: 'eth0', protocol: 'kernel', metric: 256, ...m },
      { dst: 'default', gateway: 'fd00::1', dev: 'eth0', metric: 1024, ...m },
      {
        dst: 'default',
        metric: 1024,
        ...m,
        nexthops: [
          { gateway: 'fe80::1', dev: 'eth1', weight: 1, flags: [] },
          { gateway: 'fe80::1', dev: 'eth2', weight: 1, flags: [] },
        ],
      },
      { type: 'local', dst: 'fd00::2', dev: 'eth0', table: 'local', protocol: 'kernel', metric: 0, ...m },
      { type: 'multicast', dst: 'ff00::/8', dev: 'eth0', table: 'local', protocol: 'kernel', metric: 256, ...m },
    ]);
    assert.deepEqual(parseRoutes6(routes), [
      { dst: 'fd00::/64', gateway: undefined, devs: ['eth0'], table: undefined },
      { dst: 'default', gateway: 'fd00::1', devs: ['eth0'], table: undefined },
      { dst: 'default', gateway: 'fe80::1', devs: ['eth1', 'eth2'], table: undefined },
    ]);
  });
});
