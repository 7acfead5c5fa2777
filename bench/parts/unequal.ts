// Lines of unequal speed: a full T1 with a fractional T1 of 12 timeslots (768 kbit/s), and two full
// T1s with one. TEQL hands each line the same number of packets, so doctor predicts N x the slowest
// from the configuration; the lab shapes each line to what its configuration says. Then the same
// lines as a weighted bond (nftables draws each packet's line by rate), in the same run.
import { lineRate, teqlCeiling } from '../../src/config/line-rate.js';
import { loadSite } from '../../src/config/load.js';
import { iperf, labGoodputLimitBps } from '../../src/lab/iperf.js';
import { promises as fs } from 'node:fs';
import { sh } from '../../src/lab/sh.js';
import { emit, labOf, quick, say } from '../common.js';

export async function unequal(): Promise<void> {
  for (const lines of [
    [{}, { timeslots: 12 }],
    [{}, {}, { timeslots: 12 }],
  ]) {
    const lab = await labOf(lines);
    try {
      const site = await loadSite(lab.confDir);
      const rates = lab.ifaces.map((n) => {
        const r = lineRate(site, n);
        if (!('bps' in r)) throw new Error(r.unknown);
        return r.bps;
      });
      const predicted = teqlCeiling(rates);
      const kbit = lab.state.lines.map((l) => l.rateKbit);
      const limitBps = kbit.reduce((a, k) => a + labGoodputLimitBps(k), 0);
      // What TEQL's equal shares allow in the lab: N x the slowest line's goodput limit.
      const teqlLimitBps = kbit.length * labGoodputLimitBps(Math.min(...kbit));
      const seconds = quick ? 6 : 15;
      // The same lines, the same run: TEQL first, then a weighted bond (issue 11).
      // Router B equalizes with TEQL both times.
      for (const mode of ['teql', 'weighted'] as const) {
        if (mode === 'weighted') {
          await lab.detachRouterB();
          const down = await lab.wanbond(['down']);
          if (down.code !== 0) throw new Error(`bench: wanbond down: ${down.err}`);
          await fs.writeFile(lab.settingsFile, '[wbond0]\naddress = 10.0.0.0/31\n');
          // Router B's teql1: the weighted bond itself loads no TEQL.
          await sh('modprobe', ['sch_teql', 'max_equalizers=2']);
        }
        const up = await lab.wanbond(['up']);
        if (up.code !== 0) throw new Error(`bench: wanbond up (${mode}): ${up.err}`);
        await lab.attachRouterB('teql1', ['10.0.0.1/31']);
        const eight = await iperf({ flows: 8, seconds });
        const one = await iperf({ flows: 1, seconds });
        say(
          `unequal ${kbit.join('+')} kbit/s, ${mode}: 8 flows ${(eight.bps / 1e6).toFixed(3)} Mbit/s ` +
            `(${(eight.bps / limitBps).toFixed(3)} of the limit, ${eight.retransmits} retransmits), 1 flow ` +
            `${(one.bps / 1e6).toFixed(3)} (${(one.bps / limitBps).toFixed(3)}, ` +
            `${one.retransmits})${mode === 'teql' ? `; doctor predicts ${predicted.ratio.toFixed(3)} of the sum` : ''}`,
        );
        emit('unequal', { mode, rateKbit: kbit, configBps: rates, limitBps, teqlLimitBps, predicted, eight, one });
      }
    } finally {
      await lab.destroy();
    }
  }
}
