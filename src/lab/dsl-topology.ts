// The DSL-router site of the seed (issue 12), in namespaces: router A's Ethernet slaves wbd-a1..N
// each to its own DSL router (namespace wbd-rK) on a management /30 (172.16.8.4(K-1)+1 on A's side),
// every router holding the same LAN address (the ISP's block, 203.0.113.9/29) on that link, and a
// "DSL line" (veth wan, shaped) to one ISP namespace (wbd-isp) that holds the far host 198.51.100.1
// and routes the block back over all the routers. A DSL line dies behind its router with A's
// Ethernet up: `dslDown` downs the router's wan side, never A's slave or its peer (see
// ../shared fact 4 about a veth slave's peer).
import { ip, sh, sysctlIn } from './sh.js';

export const DSL_GATEWAY = '203.0.113.9';
export const DSL_BLOCK = '203.0.113.8/29';
export const DSL_ADDRESS = '203.0.113.10/29';
export const DSL_FAR = '198.51.100.1';
export const DSL_ISP = 'wbd-isp';
export const dslSlave = (k: number) => `wbd-a${k}`;
export const dslRouter = (k: number) => `wbd-r${k}`;
/** The router's management address, beyond A's slave: what a probe's per-line route goes via. */
export const dslMgmt = (k: number) => `172.16.8.${4 * (k - 1) + 2}`;

export async function createDslTopology(lines: number, rateKbit: number): Promise<void> {
  await destroyDslTopology(lines);
  await sh('ip', ['netns', 'add', DSL_ISP]);
  await ip(DSL_ISP, 'link', 'set', 'lo', 'up');
  await ip(DSL_ISP, 'addr', 'add', `${DSL_FAR}/32`, 'dev', 'lo');
  await sysctlIn(DSL_ISP, 'net.ipv4.conf.all.rp_filter', '0');
  for (let k = 1; k <= lines; k++) {
    const r = dslRouter(k), a = dslSlave(k), base = 4 * (k - 1);
    await sh('ip', ['netns', 'add', r]);
    await ip(undefined, 'link', 'add', a, 'type', 'veth', 'peer', 'name', 'lan', 'netns', r);
    await ip(undefined, 'addr', 'add', `172.16.8.${base + 1}/30`, 'dev', a);
    await ip(undefined, 'link', 'set', a, 'up');
    await ip(r, 'link', 'set', 'lo', 'up');
    await ip(r, 'addr', 'add', `${dslMgmt(k)}/30`, 'dev', 'lan');
    await ip(r, 'addr', 'add', `${DSL_GATEWAY}/29`, 'dev', 'lan');
    await ip(r, 'link', 'set', 'lan', 'up');
    await ip(r, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', `r${k}`, 'netns', DSL_ISP);
    await ip(r, 'addr', 'add', `192.0.2.${base + 1}/30`, 'dev', 'wan');
    await ip(r, 'link', 'set', 'wan', 'up');
    await ip(DSL_ISP, 'addr', 'add', `192.0.2.${base + 2}/30`, 'dev', `r${k}`);
    await ip(DSL_ISP, 'link', 'set', `r${k}`, 'up');
    await ip(DSL_ISP, 'route', 'add', `172.16.8.${base}/30`, 'via', `192.0.2.${base + 1}`);
    await ip(r, 'route', 'add', 'default', 'via', `192.0.2.${base + 2}`);
    // The DSL line's upstream, as the telco's modem shapes it.
    await sh('tc', ['-n', r, 'qdisc', 'add', 'dev', 'wan', 'root', 'tbf', 'rate', `${rateKbit}kbit`, 'burst', '4kb', 'latency', '60ms']);
    await sysctlIn(r, 'net.ipv4.ip_forward', '1');
    await sysctlIn(r, 'net.ipv4.conf.all.rp_filter', '0');
    await sysctlIn(r, 'net.ipv4.conf.lan.rp_filter', '0');
  }
  // The ISP returns the block over every router, as the seed's ISP announces it over each line.
  await ip(DSL_ISP, 'route', 'add', DSL_BLOCK, ...Array.from({ length: lines }, (_, i) => ['nexthop', 'via', `192.0.2.${4 * i + 1}`]).flat());
}

/** Kills the DSL line behind router K (the router's wan side); A's Ethernet stays up. */
export const dslDown = (k: number) => ip(dslRouter(k), 'link', 'set', 'wan', 'down');
export async function dslUp(k: number): Promise<void> {
  await ip(dslRouter(k), 'link', 'set', 'wan', 'up');
  // The kernel dropped the router's default route with its link.
  await ip(dslRouter(k), 'route', 'replace', 'default', 'via', `192.0.2.${4 * (k - 1) + 2}`);
}

export async function destroyDslTopology(lines = 8): Promise<void> {
  for (let k = 1; k <= lines; k++) {
    await sh('ip', ['netns', 'del', dslRouter(k)], { allowFail: true });
    await sh('ip', ['link', 'del', dslSlave(k)], { allowFail: true });
  }
  await sh('ip', ['netns', 'del', DSL_ISP], { allowFail: true });
}
