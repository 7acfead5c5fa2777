// What a single download gets over 4 bonded T1s: one TCP flow with tcp_reordering at its default
// and raised, with CUBIC and (where the kernel has it) BBR. tcp_reordering is the sender's
// duplicate-ACK threshold, so it is set in router A (the sender here) and in host H alike.
import { promises as fs } from 'node:fs';
import { iperf, labGoodputLimitBps } from '../../src/lab/iperf.js';
import { sh, sysctlIn } from '../../src/lab/sh.js';
import { NS_H } from '../../src/lab/topology.js';
import { emit, labOf, say, t1s } from '../common.js';

const RAISED = 127;

export async function singleFlow(): Promise<void> {
  await sh('modprobe', ['tcp_bbr'], { allowFail: true });
  const available = (await fs.readFile('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8'))
    .trim()
    .split(/\s+/);
  const ccs = ['cubic', 'bbr'].filter((c) => available.includes(c));
  const lab = await labOf(t1s(4));
  const key = 'net.ipv4.tcp_reordering';
  const before = (await fs.readFile('/proc/sys/net/ipv4/tcp_reordering', 'utf8')).trim();
  try {
    const up = await lab.wanbond(['up']);
    if (up.code !== 0) throw new Error(`bench: wanbond up: ${up.err}`);
    await lab.attachRouterB('teql1', ['10.0.0.1/31']);
    const rows = [];
    for (const cc of ccs) {
      for (const reordering of [Number(before), RAISED]) {
        await sysctlIn(undefined, key, String(reordering));
        await sysctlIn(NS_H, key, String(reordering));
        const r = await iperf({ flows: 1, seconds: 20, cc });
        rows.push({ reordering, ...r });
        say(
          `single flow, ${cc}, tcp_reordering ${reordering}: ${(r.bps / 1e6).toFixed(3)} Mbit/s, ` +
            `${r.retransmits} retransmissions`,
        );
      }
    }
    const line = lab.state.lines[0];
    emit('single-flow', {
      lines: 4,
      rateKbit: line?.rateKbit,
      limitBps: 4 * labGoodputLimitBps(line?.rateKbit ?? 1544),
      missing: ['cubic', 'bbr'].filter((c) => !ccs.includes(c)),
      rows,
    });
  } finally {
    await sysctlIn(undefined, key, before);
    await lab.destroy();
  }
}
