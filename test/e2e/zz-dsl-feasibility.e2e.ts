// FEASIBILITY PROBE for issue 12 part 1 (not a product test; branch `sites` only): by hand, the
// DSL-router site of the seed: two Ethernet slaves to two routers that share one LAN address, a real
// /29 on teql0, `default via` the shared address. Does TEQL resolve the gateway on each slave and
// use both? Does a per-line table + `oif` rule let a probe bound to a slave leave by its router?
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ip, sh, sysctlIn } from '../../src/lab/sh.js';

const NS = ['wbx-r1', 'wbx-r2', 'wbx-isp'];
const log = (m: string) => process.stdout.write(`measured: dsl-probe: ${m}\n`);

after(async () => {
  for (const n of NS) await sh('ip', ['netns', 'del', n], { allowFail: true });
  await sh('ip', ['link', 'del', 'wbx-a1'], { allowFail: true });
  await sh('ip', ['link', 'del', 'wbx-a2'], { allowFail: true });
  await sh('modprobe', ['-r', 'sch_teql'], { allowFail: true });
});

describe('DSL routers on Ethernet (feasibility)', () => {
  it('TEQL over two slaves, default via the routers\' shared address; probes by oif rules', async () => {
    for (const n of NS) await sh('ip', ['netns', 'add', n]);
    for (const [k, r] of [[1, 'wbx-r1'], [2, 'wbx-r2']] as const) {
      const a = `wbx-a${k}`, mg = k === 1 ? ['172.16.8.1/30', '172.16.8.2/30'] : ['172.16.8.5/30', '172.16.8.6/30'];
      await ip(undefined, 'link', 'add', a, 'type', 'veth', 'peer', 'name', 'lan', 'netns', r);
      await ip(undefined, 'addr', 'add', mg[0]!, 'dev', a);
      await ip(undefined, 'link', 'set', a, 'up');
      await ip(r, 'addr', 'add', mg[1]!, 'dev', 'lan');
      await ip(r, 'addr', 'add', '203.0.113.9/29', 'dev', 'lan');
      await ip(r, 'link', 'set', 'lan', 'up');
      await ip(r, 'link', 'set', 'lo', 'up');
      await ip(r, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', `r${k}`, 'netns', 'wbx-isp');
      await ip(r, 'addr', 'add', k === 1 ? '192.0.2.1/30' : '192.0.2.5/30', 'dev', 'wan');
      await ip(r, 'link', 'set', 'wan', 'up');
      await ip('wbx-isp', 'addr', 'add', k === 1 ? '192.0.2.2/30' : '192.0.2.6/30', 'dev', `r${k}`);
      await ip('wbx-isp', 'link', 'set', `r${k}`, 'up');
      await ip(r, 'route', 'add', 'default', 'via', k === 1 ? '192.0.2.2' : '192.0.2.6');
      await sysctlIn(r, 'net.ipv4.ip_forward', '1');
      await sysctlIn(r, 'net.ipv4.conf.all.rp_filter', '0');
      await sysctlIn(r, 'net.ipv4.conf.lan.rp_filter', '0');
    }
    await ip('wbx-isp', 'link', 'set', 'lo', 'up');
    await ip('wbx-isp', 'addr', 'add', '198.51.100.1/32', 'dev', 'lo');
    await ip('wbx-isp', 'route', 'add', '203.0.113.8/29', 'nexthop', 'via', '192.0.2.1', 'nexthop', 'via', '192.0.2.5');
    await ip('wbx-isp', 'route', 'add', '172.16.8.0/29', 'nexthop', 'via', '192.0.2.1', 'nexthop', 'via', '192.0.2.5');
    await ip('wbx-isp', 'route', 'add', '172.16.8.0/30', 'via', '192.0.2.1');
    await ip('wbx-isp', 'route', 'add', '172.16.8.4/30', 'via', '192.0.2.5');
    await sysctlIn('wbx-isp', 'net.ipv4.conf.all.rp_filter', '0');

    await sh('modprobe', ['sch_teql', 'max_equalizers=1']);
    for (const a of ['wbx-a1', 'wbx-a2']) {
      await sh('tc', ['qdisc', 'add', 'dev', a, 'root', 'teql0']);
      await sh('sysctl', ['-q', '-w', `net.ipv4.conf.${a}.rp_filter=2`]);
    }
    await ip(undefined, 'addr', 'add', '203.0.113.10/29', 'dev', 'teql0');
    await ip(undefined, 'link', 'set', 'teql0', 'up');
    const via = await sh('ip', ['route', 'add', '198.51.100.1/32', 'via', '203.0.113.9', 'dev', 'teql0'], { allowFail: true });
    log(`route via the shared address on teql0: ${via === '' ? 'accepted' : via}`);
    log(`teql0: ${(await sh('ip', ['-d', 'link', 'show', 'teql0'])).split('\n')[0]}`);
    const tx0 = await Promise.all(['wbx-a1', 'wbx-a2'].map(async (a) => Number((await sh('cat', [`/sys/class/net/${a}/statistics/tx_packets`])).trim())));
    const ping = await sh('ping', ['-n', '-c', '20', '-i', '0.05', '-W', '1', '-I', '203.0.113.10', '198.51.100.1'], { allowFail: true });
    const tx1 = await Promise.all(['wbx-a1', 'wbx-a2'].map(async (a) => Number((await sh('cat', [`/sys/class/net/${a}/statistics/tx_packets`])).trim())));
    log(`ping over teql0: ${ping.split('\n').filter((l) => /packets transmitted/.test(l)).join('')}; tx per slave ${tx1.map((v, i) => v - (tx0[i] as number)).join(' / ')}`);
    log(`neighbours: ${(await sh('ip', ['neigh', 'show'])).split('\n').filter((l) => /wbx-a/.test(l)).join(' | ')}`);

    // Probes: one table per slave (default via its router's management address) and an oif rule.
    for (const [k, gw] of [[1, '172.16.8.2'], [2, '172.16.8.6']] as const) {
      await ip(undefined, 'route', 'add', 'default', 'via', gw, 'dev', `wbx-a${k}`, 'table', String(9000 + k));
      await ip(undefined, 'rule', 'add', 'priority', '7770', 'oif', `wbx-a${k}`, 'lookup', String(9000 + k));
    }
    const probe = async (a: string) => (await sh('ping', ['-n', '-c', '5', '-i', '0.2', '-W', '1', '-I', a, '198.51.100.1'], { allowFail: true })).split('\n').filter((l) => /packets transmitted/.test(l)).join('');
    log(`probe by wbx-a1: ${await probe('wbx-a1')}; by wbx-a2: ${await probe('wbx-a2')}`);
    await ip('wbx-r1', 'link', 'set', 'wan', 'down');
    log(`R1's DSL line down (A's Ethernet up: ${(await sh('cat', ['/sys/class/net/wbx-a1/operstate'])).trim()}): probe by wbx-a1: ${await probe('wbx-a1')}; by wbx-a2: ${await probe('wbx-a2')}`);
    assert.ok(true);
  });
});
