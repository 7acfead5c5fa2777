// The lab's network: router A is the root namespace (teqlN devices are born there), one namespace
// per telco line (a bridge carrying frames between A and B, shaped each way to the line's rate),
// router B (equalizing its ends of the lines with its own TEQL, as LARTC says both ends must) and
// host H behind B. A's ends of the lines are made by the card simulator (wanrouter-sim.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { batchIp, ip, sh, sysctlIn, tc } from './sh.js';

export const T1_KBIT = 1544;
export const NS_B = 'wbl-b';
export const NS_H = 'wbl-h';
export const H_ADDR = '10.77.0.2';
export const H_ADDR2 = '10.78.0.2';
export const lineNs = (i: number) => `wbl-l${i}`;

/**
 * p2p: the line's point-to-point addresses (A's IPADDR, B's end = POINTOPOINT), as on a real T1 between two
 * routers.
 */
export interface LabLine {
  index: number;
  netns: string;
  iface: string;
  rateKbit: number;
  p2p?: { local: string; peer: string };
}

export interface LabState {
  labDir: string;
  confDir: string;
  lines: LabLine[];
  routerBTeql?: string;
  routerBAddrs?: string[];
}

export const defaultLabDir = () => process.env['WANBOND_LAB_DIR'] ?? '/run/wanbond-lab';

export async function readLabState(labDir = defaultLabDir()): Promise<LabState> {
  return JSON.parse(await fs.readFile(path.join(labDir, 'lab.json'), 'utf8')) as LabState;
}

export async function writeLabState(s: LabState): Promise<void> {
  await fs.mkdir(s.labDir, { recursive: true });
  await fs.writeFile(path.join(s.labDir, 'lab.json'), JSON.stringify(s, null, 1));
}

/** tbf at the line's rate behind a netem that faults can turn into loss. */
export async function shape(ns: string, dev: string, rateKbit: number): Promise<void> {
  const burst = Math.max(3200, Math.ceil((rateKbit * 1000) / 8 / 100)); // >= 2 frames, ~10 ms
  await tc(ns, 'qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'netem', 'limit', '1000', 'loss', '0%');
  await tc(
    ns,
    'qdisc',
    'replace',
    'dev',
    dev,
    'parent',
    '1:1',
    'handle',
    '2:',
    'tbf',
    'rate',
    `${rateKbit}kbit`,
    'burst',
    String(burst),
    'latency',
    '60ms',
  );
}

/** The `tc` arguments that make a line's far side throw away this share of its packets. */
export const lossArgs = (dev: string, percent: number) => [
  'qdisc',
  'change',
  'dev',
  dev,
  'root',
  'handle',
  '1:',
  'netem',
  'limit',
  '1000',
  'loss',
  `${percent}%`,
];

/** Creates the telco side of `ifaces.length` lines, router B and host H. A's ends come from `wanrouter start`. */
export async function createTopology(o: {
  labDir?: string;
  confDir: string;
  ifaces: string[];
  rateKbit?: number | number[];
  p2p?: Record<string, { local: string; peer: string }>;
}): Promise<LabState> {
  const labDir = o.labDir ?? defaultLabDir();
  await destroyTopology(labDir).catch(() => undefined);
  const lines: LabLine[] = o.ifaces.map((iface, index) => ({
    index,
    iface,
    netns: lineNs(index),
    rateKbit: Array.isArray(o.rateKbit) ? (o.rateKbit[index] ?? T1_KBIT) : (o.rateKbit ?? T1_KBIT),
    ...(o.p2p?.[iface] ? { p2p: o.p2p[iface] } : {}),
  }));
  for (const ns of [NS_B, NS_H, ...lines.map((l) => l.netns)]) await sh('ip', ['netns', 'add', ns]);
  for (const ns of [NS_B, NS_H, ...lines.map((l) => l.netns)]) await ip(ns, 'link', 'set', 'lo', 'up');
  await sysctlIn(NS_B, 'net.ipv4.ip_forward', '1');
  await sysctlIn(NS_B, 'net.ipv4.conf.all.rp_filter', '0');
  await sysctlIn(NS_B, 'net.ipv4.conf.default.rp_filter', '0');
  for (const l of lines) {
    await ip(undefined, 'link', 'add', `wbl-lb${l.index}`, 'type', 'veth', 'peer', 'name', `wbl-b${l.index}`);
    await batchIp(undefined, [`link set wbl-lb${l.index} netns ${l.netns}`, `link set wbl-b${l.index} netns ${NS_B}`]);
    await batchIp(l.netns, [
      'link add br0 type bridge stp_state 0 forward_delay 0',
      'link set br0 up',
      `link set wbl-lb${l.index} name lb master br0`,
      'link set lb up',
    ]);
    await shape(l.netns, 'lb', l.rateKbit);
    await batchIp(NS_B, [`link set wbl-b${l.index} name b${l.index}`, `link set b${l.index} up`]);
    // B's end of the line answers the probe wanbond watch sends through it, and replies on the same line.
    if (l.p2p) await ip(NS_B, 'addr', 'add', l.p2p.peer, 'peer', l.p2p.local, 'dev', `b${l.index}`);
    await sysctlIn(NS_B, `net.ipv4.conf.b${l.index}.rp_filter`, '0');
    // A routes `default dev teql0` and ARPs for the far address on each slave: B answers for what it routes.
    await sysctlIn(NS_B, `net.ipv4.conf.b${l.index}.proxy_arp`, '1');
  }
  await ip(undefined, 'link', 'add', 'wbl-bh', 'type', 'veth', 'peer', 'name', 'wbl-h0');
  await batchIp(undefined, [`link set wbl-bh netns ${NS_B}`, `link set wbl-h0 netns ${NS_H}`]);
  await batchIp(NS_B, [
    'link set wbl-bh name bh',
    'link set bh up',
    'addr add 10.77.0.1/24 dev bh',
    'addr add 10.78.0.1/24 dev bh',
  ]);
  await batchIp(NS_H, [
    'link set wbl-h0 name h0',
    'link set h0 up',
    `addr add ${H_ADDR}/24 dev h0`,
    `addr add ${H_ADDR2}/24 dev h0`,
    'route add default via 10.77.0.1',
  ]);
  const state: LabState = { labDir, confDir: o.confDir, lines };
  await writeLabState(state);
  return state;
}

/** Router B takes a teql device from the root namespace and equalizes its ends of the lines. */
export async function attachRouterB(
  state: LabState,
  teql: string,
  addrs: string[],
  lines = state.lines,
): Promise<void> {
  await ip(undefined, 'link', 'set', teql, 'netns', NS_B);
  for (const l of lines) await tc(NS_B, 'qdisc', 'replace', 'dev', `b${l.index}`, 'root', teql);
  await batchIp(NS_B, [...addrs.map((a) => `addr add ${a} dev ${teql}`), `link set ${teql} up`]);
  state.routerBTeql = teql;
  state.routerBAddrs = addrs;
  await writeLabState(state);
}

/** Gives B's teql device back to the root namespace, so the module can be unloaded. */
export async function detachRouterB(state: LabState): Promise<void> {
  const teql = state.routerBTeql;
  if (!teql) return;
  await ip(NS_B, 'link', 'set', teql, 'down');
  for (const l of state.lines)
    await sh('tc', ['-n', NS_B, 'qdisc', 'del', 'dev', `b${l.index}`, 'root'], { allowFail: true });
  for (const a of state.routerBAddrs ?? []) await ip(NS_B, 'addr', 'del', a, 'dev', teql);
  await ip(NS_B, 'link', 'set', teql, 'netns', '1');
  delete state.routerBTeql;
  delete state.routerBAddrs;
  await writeLabState(state);
}

export async function destroyTopology(labDir = defaultLabDir()): Promise<void> {
  const state = await readLabState(labDir).catch(() => undefined);
  if (state) await detachRouterB(state).catch(() => undefined);
  const list = await sh('ip', ['netns', 'list'], { allowFail: true });
  for (const ns of list
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith('wbl-'))) {
    await sh('ip', ['netns', 'del', ns], { allowFail: true });
  }
  await fs.rm(path.join(labDir, 'lab.json'), { force: true });
  // The card simulator's state (running devices, faults, what each driver read) belongs to one lab.
  await fs.rm(path.join(labDir, 'sim.json'), { force: true });
}
