// How close the bundle gets to the sum of its lines: N T1 lines, 8 TCP flows and 1, through
// wanbond's bond and through the seeds' hand recipe in the same lab, against N x one line measured
// alone in the same run and against the lines' goodput limit.
import { iperf, labGoodputLimitBps, type IperfResult } from '../../src/lab/iperf.js';
import type { Lab } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import { H_ADDR } from '../../src/lab/topology.js';
import { emit, handRecipe, labOf, quick, say, strictAgain, t1s } from '../common.js';

const SECONDS = quick ? 6 : 15;

/** Both flow counts through whatever carries A's traffic now. */
async function both(): Promise<{ eight: IperfResult; one: IperfResult }> {
  const eight = await iperf({ flows: 8, seconds: SECONDS });
  const one = await iperf({ flows: 1, seconds: SECONDS });
  return { eight, one };
}

/** Router B equalizes its ends while `body` runs, then gives teql1 back so the module can go. */
async function withRouterB<T>(lab: Lab, body: () => Promise<T>): Promise<T> {
  await lab.attachRouterB('teql1', ['10.0.0.1/31']);
  try {
    return await body();
  } finally {
    await lab.detachRouterB();
  }
}

export async function aggregation(): Promise<void> {
  for (const n of quick ? [2] : [2, 4, 8]) {
    const lab = await labOf(t1s(n));
    try {
      const line = lab.state.lines[0];
      if (!line) throw new Error('bench: no line');
      // One line alone, no TEQL: the cards started, host H routed over the first line only.
      await lab.sim('start');
      await sh('ip', ['route', 'add', `${H_ADDR}/32`, 'dev', line.iface]);
      const alone = await both();
      await sh('ip', ['route', 'del', `${H_ADDR}/32`, 'dev', line.iface]);
      await lab.sim('stop');
      const up = await lab.wanbond(['up']);
      if (up.code !== 0) throw new Error(`bench: wanbond up: ${up.err}`);
      const wanbond = await withRouterB(lab, both);
      const down = await lab.wanbond(['down']);
      if (down.code !== 0) throw new Error(`bench: wanbond down: ${down.err}`);
      await handRecipe(lab, 'up');
      const recipe = await withRouterB(lab, both);
      await handRecipe(lab, 'down');
      await strictAgain();
      const limitBps = n * labGoodputLimitBps(line.rateKbit);
      const row = { lines: n, rateKbit: line.rateKbit, seconds: SECONDS, limitBps, alone, wanbond, recipe };
      say(
        `aggregation ${n} lines: alone ` +
          `${(alone.one.bps / 1e6).toFixed(3)}/${(alone.eight.bps / 1e6).toFixed(3)} Mbit/s (1/8 flows); ` +
          `wanbond 8 flows ${(wanbond.eight.bps / 1e6).toFixed(3)} ` +
          `(${(wanbond.eight.bps / (n * alone.eight.bps)).toFixed(3)} of N x alone), 1 flow ` +
          `${(wanbond.one.bps / 1e6).toFixed(3)} (${(wanbond.one.bps / (n * alone.one.bps)).toFixed(3)}); ` +
          `recipe 8 flows ${(recipe.eight.bps / 1e6).toFixed(3)}, 1 flow ${(recipe.one.bps / 1e6).toFixed(3)}; ` +
          `lab CPU busy ${(wanbond.eight.cpuBusy * 100).toFixed(0)} %`,
      );
      emit('aggregation', row);
    } finally {
      await lab.destroy();
    }
  }
}
