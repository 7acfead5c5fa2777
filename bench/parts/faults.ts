// What a failure costs: each fault of the card simulator under one saturating TCP flow, first with
// `wanbond up` alone (what the seeds' recipe gives too: nothing takes a failed line out), then with
// `wanbond watch`; then leave/rejoin cycles under traffic with the daemon's memory.
import {
  measureFault,
  stressCycles,
  useStressSettings,
  formatFigures,
  type FaultFigures,
  type FaultKind,
} from '../../src/lab/faults.js';
import { Lab } from '../../src/lab/lab.js';
import { WatchProcess } from '../../src/lab/watch.js';
import { emit, quick, say, sleep } from '../common.js';

const FAULTS: { kind: FaultKind; line: string; device: string }[] = [
  { kind: 'driver-down', line: 'w2g1ppp', device: 'wanpipe2' },
  { kind: 'carrier-loss', line: 'w3g1ppp', device: 'wanpipe3' },
  { kind: 'blackhole', line: 'w4g1ppp', device: 'wanpipe4' },
  { kind: 'restart', line: 'w2g1ppp', device: 'wanpipe2' },
  { kind: 'flapping', line: 'w3g1ppp', device: 'wanpipe3' },
];

export async function faults(o: { stress: boolean; faults: boolean }): Promise<void> {
  const lab = await Lab.create({ sample: 'aft-a104-4xt1-ppp' });
  const list = quick ? FAULTS.filter((f) => f.kind === 'driver-down' || f.kind === 'blackhole') : FAULTS;
  const rows: FaultFigures[] = [];
  try {
    const up = await lab.wanbond(['up']);
    if (up.code !== 0) throw new Error(up.err);
    await lab.attachRouterB('teql1', ['10.0.0.1/31']);
    if (o.faults) {
      for (const f of list) {
        const r = await measureFault(lab, f);
        // Without the daemon a recreated interface is simply out of the bond until someone runs up.
        if (f.kind === 'restart') await lab.wanbond(['up']);
        rows.push(r);
        say(formatFigures(r));
        await sleep(3000);
      }
    }
    // The daemon as it runs by default (batch children, the lock held), then as it ran before them (a
    // process per command, the lock taken per change), in the same lab: the ring change's cost side by side.
    const modes: ('children' | 'processes')[] = o.faults ? ['processes', 'children'] : ['children'];
    let watch: WatchProcess | undefined;
    for (const exec of modes) {
      await watch?.stop();
      watch = WatchProcess.start(lab, [], exec === 'processes' ? { WANBOND_WATCH_PROCESSES: '1' } : {});
      await watch.waitFor((e) => e.event === 'started', 120_000, 'start');
      await lab.settled(100_000);
      if (!o.faults) continue;
      for (const f of list) {
        const r = await measureFault(lab, { ...f, watch, exec });
        rows.push(r);
        say(formatFigures(r));
        // Suppressed: wait until it calms down and rejoins.
        if (f.kind === 'flapping') for (let i = 0; i < 600 && (await lab.enslaved()).length < 4; i++) await sleep(500);
        await lab.settled(100_000);
      }
    }
    if (!watch) throw new Error('bench: no daemon ran');
    if (o.faults) emit('faults', { lines: 4, rows });
    if (o.stress) {
      const n = Number(process.env['WANBOND_STRESS_CYCLES'] ?? 500);
      await useStressSettings(lab, watch);
      await lab.settled(100_000);
      const s = await stressCycles(lab, watch, {
        line: 'w1g1ppp',
        cycles: n,
        seconds: Math.max(60, n * 3),
        memory: async () => (await lab.readHealth()).memory,
      });
      await lab.settled(100_000);
      const after = await lab.enslaved();
      say(
        `stress: ${s.cycles} leave/rejoin cycles of w1g1ppp in ${s.seconds.toFixed(0)} s at ` +
          `${(s.rateBps / 1e6).toFixed(2)} Mbit/s mean, ${s.stalls} s stalled; lines after: ${after.join(', ')}`,
      );
      emit('stress', { ...s, linesAfter: after });
    }
    await watch.stop();
  } finally {
    await lab.destroy();
  }
}
