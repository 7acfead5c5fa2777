// The DSL-router site of the seed (issue 12), in namespaces: router A's Ethernet slaves wbd-a1..N
// each to its own DSL router (namespace wbd-rK) on a management /30 (172.16.8.4(K-1)+1 on A's side),
// every router holding the same LAN address (the ISP's block, 203.0.113.9/29) on that link, and a
// "DSL line" (veth wan, shaped) to one ISP namespace (wbd-isp) that holds the far host 198.51.100.1
// and routes the block back over all the routers. As a real ISP, it routes back only the block,
// never the routers' management /30s (a probe from a slave's own address gets no answer), and it
// stops using a line that died (ignore_routes_with_linkdown: a real ISP's session and its route
// end with the line). A DSL line dies behind its router with A's Ethernet up: `dslDown` downs the
// router's wan side, never A's slave or its peer (see ../shared fact 4 about a veth slave's peer).
import { batchIp, ip, nsExec, sh } from './sh.js';

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
  // One ip process per namespace (ip -batch): each process start costs ~60 ms under TCG.
  for (const n of [DSL_ISP, ...Array.from({ length: lines }, (_, i) => dslRouter(i + 1))])
    await sh('ip', ['netns', 'add', n]);
  await batchIp(
    undefined,
    Array.from({ length: lines }, (_, i) => {
      const k = i + 1;
      return [
        `link add ${dslSlave(k)} type veth peer name lan netns ${dslRouter(k)}`,
        `addr add 172.16.8.${4 * i + 1}/30 dev ${dslSlave(k)}`,
        `link set ${dslSlave(k)} up`,
      ];
    }).flat(),
  );
  for (let k = 1; k <= lines; k++) {
    const r = dslRouter(k),
      base = 4 * (k - 1);
    await batchIp(r, [
      'link set lo up',
      `addr add ${dslMgmt(k)}/30 dev lan`,
      `addr add ${DSL_GATEWAY}/29 dev lan`,
      'link set lan up',
      `link add wan type veth peer name r${k} netns ${DSL_ISP}`,
      `addr add 192.0.2.${base + 1}/30 dev wan`,
      'link set wan up',
      `route add default via 192.0.2.${base + 2} dev wan onlink`,
    ]);
    // The DSL line's upstream, as the telco's modem shapes it.
    await sh('tc', [
      '-n',
      r,
      'qdisc',
      'add',
      'dev',
      'wan',
      'root',
      'tbf',
      'rate',
      `${rateKbit}kbit`,
      'burst',
      '4kb',
      'latency',
      '60ms',
    ]);
    await nsExec(
      r,
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.lan.rp_filter=0',
    );
  }
  // The ISP returns the block over every router, as the seed's ISP announces it over each line, and
  // nothing else: which line carries an answer is its multipath hash's choice, not the sender's.
  // A line whose router side lost carrier is left out of that multipath at once.
  await nsExec(
    DSL_ISP,
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.conf.all.rp_filter=0',
    ...Array.from({ length: lines }, (_, i) => `net.ipv4.conf.r${i + 1}.ignore_routes_with_linkdown=1`),
  );
  await batchIp(DSL_ISP, [
    'link set lo up',
    `addr add ${DSL_FAR}/32 dev lo`,
    ...Array.from({ length: lines }, (_, i) => [
      `addr add 192.0.2.${4 * i + 2}/30 dev r${i + 1}`,
      `link set r${i + 1} up`,
    ]).flat(),
    `route add ${DSL_BLOCK} ${Array.from({ length: lines }, (_, i) => `nexthop via 192.0.2.${4 * i + 1}`).join(' ')}`,
  ]);
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
