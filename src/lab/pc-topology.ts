// The per-connection site of the seed (issue 12), in namespaces: router A (the lab's own namespace)
// with a LAN (namespace wpc-lan, 10.9.0.0/24) and two NATed uplinks, wpc-u1 (100.64.1.2/30) and
// wpc-u2 (100.64.2.2/30), each to its own "ISP" namespace (wpc-isp1, wpc-isp2), both of which reach
// a server (198.51.100.50 in wpc-net). Each ISP routes back only its own customer's address and
// drops any other source from its customer (strict rp_filter, BCP 38), as real providers do: a
// connection whose packets changed uplink would die.
// Each ISP shapes what it sends down to A (tbf), so a download can fill an uplink. An ISP dies
// behind its access line with `ispDown` (its upstream link down): A's uplink stays up, and never is
// A's veth peer downed under traffic (../shared fact 4).
import { batchIp, ip, nsExec, sh } from './sh.js';

export const PC_LAN_NS = 'wpc-lan';
export const PC_NET_NS = 'wpc-net';
export const PC_LAN_DEV = 'wpc-lan0';
export const PC_SERVER = '198.51.100.50';
export const pcUplink = (k: number) => `wpc-u${k}`;
export const pcIsp = (k: number) => `wpc-isp${k}`;
/** A's address on uplink K (what its connections are SNATed to) and its ISP's gateway. */
export const pcAddress = (k: number) => `100.64.${k}.2`;
export const pcGateway = (k: number) => `100.64.${k}.1`;

export async function createPcTopology(downKbit: number): Promise<void> {
  await destroyPcTopology();
  // One ip process per namespace (ip -batch): each process start costs ~60 ms under TCG.
  for (const n of [PC_LAN_NS, PC_NET_NS, pcIsp(1), pcIsp(2)]) await sh('ip', ['netns', 'add', n]);
  await batchIp(undefined, [
    `link add ${PC_LAN_DEV} type veth peer name eth0 netns ${PC_LAN_NS}`,
    `addr add 10.9.0.1/24 dev ${PC_LAN_DEV}`,
    `link set ${PC_LAN_DEV} up`,
    ...[1, 2].flatMap((k) => [
      `link add ${pcUplink(k)} type veth peer name cpe netns ${pcIsp(k)}`,
      `addr add ${pcAddress(k)}/30 dev ${pcUplink(k)}`,
      `link set ${pcUplink(k)} up`,
    ]),
  ]);
  await batchIp(PC_LAN_NS, [
    'link set lo up',
    'addr add 10.9.0.2/24 dev eth0',
    'link set eth0 up',
    'route add default via 10.9.0.1',
  ]);
  for (const k of [1, 2]) {
    const isp = pcIsp(k);
    await batchIp(isp, [
      'link set lo up',
      `addr add ${pcGateway(k)}/30 dev cpe`,
      'link set cpe up',
      `link add upl type veth peer name isp${k} netns ${PC_NET_NS}`,
      `addr add 100.65.${k}.1/30 dev upl`,
      'link set upl up',
    ]);
  }
  await batchIp(PC_NET_NS, [
    'link set lo up',
    `addr add ${PC_SERVER}/32 dev lo`,
    ...[1, 2].flatMap((k) => [
      `addr add 100.65.${k}.2/30 dev isp${k}`,
      `link set isp${k} up`,
      `route add 100.64.${k}.0/30 via 100.65.${k}.1`,
    ]),
  ]);
  for (const k of [1, 2]) {
    const isp = pcIsp(k);
    await ip(isp, 'route', 'add', `${PC_SERVER}/32`, 'via', `100.65.${k}.2`);
    // The provider forwards, and filters its customer's sources (BCP 38): a packet from the other
    // uplink's address dies here.
    await nsExec(
      isp,
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=1',
      'net.ipv4.conf.cpe.rp_filter=1',
    );
    await sh('tc', [
      '-n',
      isp,
      'qdisc',
      'add',
      'dev',
      'cpe',
      'root',
      'tbf',
      'rate',
      `${downKbit}kbit`,
      'burst',
      '8kb',
      'latency',
      '60ms',
    ]);
  }
  // Main's multipath hashes ports too (L4): a reply that main routes, rather than the connection's
  // mark, then goes by either uplink across a test's connections, never by luck always the right one.
  await sh('sysctl', ['-q', '-w', 'net.ipv4.fib_multipath_hash_policy=1']);
  // The router's default before wanbond: by its first provider, as a one-uplink router has it.
  await ip(undefined, 'route', 'replace', 'default', 'via', pcGateway(1), 'dev', pcUplink(1));
}

/** The ISP's upstream dies: A's uplink and its link to the ISP stay up, only a probe beyond sees it. */
export const ispDown = (k: number) => ip(pcIsp(k), 'link', 'set', 'upl', 'down');
export async function ispUp(k: number): Promise<void> {
  await ip(pcIsp(k), 'link', 'set', 'upl', 'up');
  // The kernel dropped the ISP's route to the server with its link.
  await ip(pcIsp(k), 'route', 'replace', `${PC_SERVER}/32`, 'via', `100.65.${k}.2`);
}

export async function destroyPcTopology(): Promise<void> {
  for (const n of [PC_LAN_NS, PC_NET_NS, pcIsp(1), pcIsp(2)]) await sh('ip', ['netns', 'del', n], { allowFail: true });
  for (const l of [PC_LAN_DEV, pcUplink(1), pcUplink(2)]) await sh('ip', ['link', 'del', l], { allowFail: true });
  await sh('ip', ['route', 'del', 'default', 'via', pcGateway(1)], { allowFail: true });
  await sh('sysctl', ['-q', '-w', 'net.ipv4.fib_multipath_hash_policy=0'], { allowFail: true });
  // Connection tracking costs every later lab test's packets (the DSL site's goodput fell from 0.91-0.96
  // to 0.71 of its lines when it ran after this one): unloaded once nothing uses it.
  await sh('modprobe', ['-r', 'nft_chain_nat', 'nft_nat', 'nft_ct', 'nf_conntrack_netlink', 'nf_nat', 'nf_conntrack'], {
    allowFail: true,
  });
}
