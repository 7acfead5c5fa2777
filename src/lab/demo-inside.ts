// `npm run lab`, inside a kernel with sch_teql: four simulated T1 lines, wanbond up, status, traffic,
// then everything torn down again.
import { Lab } from './lab.js';
import { T1_KBIT } from './topology.js';

const say = (s: string) => process.stdout.write(`${s}\n`);
const show = (label: string, r: { code: number; out: string; err: string }) => {
  say(`\n$ wanbond ${label}   (exit ${r.code})`);
  process.stdout.write(r.out + r.err);
};

const lab = await Lab.create({ sample: 'aft-a104-4xt1-ppp' });
try {
  say(
    `lab: router A with a Sangoma A104 (simulated), 4 T1 lines at ${T1_KBIT} kbit/s each, ` +
      `router B and a host behind it`,
  );
  show('config check', await lab.wanbond(['config', 'check']));
  show('up --dry-run', await lab.wanbond(['up', '--dry-run']));
  show('up', await lab.wanbond(['up']));
  show('up   (again: nothing to do)', await lab.wanbond(['up']));
  await lab.attachRouterB('teql1', ['10.0.0.1/31']);
  const seconds = 8;
  say(`\nsending TCP from router A to the host behind router B for ${seconds} s ...`);
  const t = await lab.traffic(seconds);
  const total = Object.values(t.lineBytes).reduce((a, b) => a + b, 0);
  const perLine = Object.entries(t.lineBytes).map(
    ([n, b]) => `${n} ${(b / 1e6).toFixed(2)} MB (${((b / total) * 100).toFixed(1)}%)`,
  );
  say(
    `bundle: ${(t.rateBps / 1e6).toFixed(2)} Mbit/s   ` +
      `one T1: ${(T1_KBIT / 1000).toFixed(3)} Mbit/s   ` +
      `sum of the 4 lines: ${((4 * T1_KBIT) / 1000).toFixed(3)} Mbit/s   ` +
      `ratio: ${(t.rateBps / (4 * T1_KBIT * 1000)).toFixed(3)}`,
  );
  say(`what each line carried (frames with headers, counted at the line): ${perLine.join(', ')}`);
  show('status', await lab.wanbond(['status']));
  await lab.detachRouterB();
  show('down', await lab.wanbond(['down']));
} finally {
  await lab.destroy();
}
