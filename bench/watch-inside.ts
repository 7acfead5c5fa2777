// Inside the lab: each fault of the card simulator under saturating TCP, first with `wanbond up`
// alone, then with `wanbond watch`; then leave/rejoin cycles under traffic (500 by default) and what
// the daemon costs at rest. Prints a markdown table for docs/BENCHMARKS.md.
import { promises as fs } from 'node:fs';
import { formatFigures, measureFault, stressCycles, useStressSettings, type FaultFigures, type FaultKind } from '../src/lab/faults.js';
import { Lab } from '../src/lab/lab.js';
import { WatchProcess } from '../src/lab/watch.js';
import { calibrate } from './calibrate.js';

const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAULTS: { kind: FaultKind; line: string; device: string }[] = [
  { kind: 'driver-down', line: 'w2g1ppp', device: 'wanpipe2' },
  { kind: 'carrier-loss', line: 'w3g1ppp', device: 'wanpipe3' },
  { kind: 'blackhole', line: 'w4g1ppp', device: 'wanpipe4' },
  { kind: 'restart', line: 'w2g1ppp', device: 'wanpipe2' },
  { kind: 'flapping', line: 'w3g1ppp', device: 'wanpipe3' },
];
const only = process.env['WANBOND_BENCH_ONLY'];

/** CPU seconds of a process and its children so far (utime + stime, both generations). */
async function cpuOf(pid: number): Promise<number> {
  const tick = 100;
  const one = async (p: number) => {
    const f = (await fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / tick;
  };
  const kids = (await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
  let s = await one(pid);
  for (const k of kids) s += await one(k);
  return s;
}

const hostMs = Number(process.env['WANBOND_BENCH_HOST_CPU_MS'] ?? NaN);
const vmMs = calibrate();
say(`qemu/TCG slowdown: the same CPU work takes ${vmMs.toFixed(1)} ms here and ${hostMs.toFixed(1)} ms on the host: x${(vmMs / hostMs).toFixed(1)}`);
// What one process start costs here: a ring change runs six (flock, two reads, tc -batch, two reads).
{
  const { execa } = await import('execa');
  const time = async (f: () => Promise<unknown>, n = 10) => { const t0 = performance.now(); for (let i = 0; i < n; i++) await f(); return (performance.now() - t0) / n; };
  const t = await time(() => execa('true'));
  const l = await time(() => execa('ip', ['-j', 'link', 'show']));
  const q = await time(() => execa('tc', ['-j', 'qdisc', 'show']));
  say(`process starts from node, idle: true ${t.toFixed(0)} ms, ip -j link show ${l.toFixed(0)} ms, tc -j qdisc show ${q.toFixed(0)} ms`);
}
const lab = await Lab.create({ sample: 'aft-a104-4xt1-ppp' });
const rows: FaultFigures[] = [];
try {
  const up = await lab.wanbond(['up']);
  if (up.code !== 0) throw new Error(up.err);
  await lab.attachRouterB('teql1', ['10.0.0.1/31']);
  if (!only || only === 'faults') {
    for (const f of FAULTS) {
      const r = await measureFault(lab, f);
      if (f.kind === 'restart') {
        // Without the daemon a recreated interface is simply out of the bond until someone runs up.
        say(`  (without the daemon after the restart: enslaved ${(await lab.enslaved()).join(', ')}; wanbond up puts ${f.line} back)`);
        await lab.wanbond(['up']);
      }
      rows.push(r);
      say(formatFigures(r));
      await sleep(3000);
    }
  }
  const watch = WatchProcess.start(lab);
  await watch.waitFor((e) => e.event === 'started', 120_000, 'start');
  await lab.settled(100_000);
  const c0 = await cpuOf(watch.pid);
  await sleep(30_000);
  const idle = (await cpuOf(watch.pid)) - c0;
  say(`daemon at rest with 4 lines probed 5 times a second: ${(idle / 30 * 100).toFixed(2)} % of one CPU (daemon, ip monitor and 4 pings), rss ${(await lab.readHealth()).memory.rssKb} kB`);
  if (!only || only === 'faults') {
    for (const f of FAULTS) {
      const r = await measureFault(lab, { ...f, watch });
      rows.push(r);
      say(formatFigures(r));
      if (f.kind === 'flapping') {
        // Suppressed: wait until it calms down and rejoins.
        for (let i = 0; i < 600 && (await lab.enslaved()).length < 4; i++) await sleep(500);
      }
      await lab.settled(100_000);
    }
  }
  if (!only || only === 'stress') {
    const n = Number(process.env['WANBOND_STRESS_CYCLES'] ?? 500);
    await useStressSettings(lab, watch);
    await lab.settled(100_000);
    const s = await stressCycles(lab, watch, { line: 'w1g1ppp', cycles: n, seconds: Math.max(60, n * 3), memory: async () => (await lab.readHealth()).memory });
    await lab.settled(100_000);
    say(`stress: ${s.cycles} leave/rejoin cycles of w1g1ppp in ${s.seconds.toFixed(0)} s of saturating TCP at ${(s.rateBps / 1e6).toFixed(2)} Mbit/s mean, ${s.stalls} s in 5 s stretches without traffic; lines in the bond after: ${(await lab.enslaved()).join(', ')}`);
    say(`  daemon heap every 25 cycles (kB): ${s.memory.map((m) => m.heapUsedKb).join(' ')}`);
    say(`  daemon rss every 25 cycles (kB): ${s.memory.map((m) => m.rssKb).join(' ')}`);
  }
  const r = await watch.stop();
  say(`watch stopped with exit ${r.code}; lines in the bond: ${(await lab.enslaved()).join(', ')}`);
  say('\n| fault | daemon | detected | out of the ring | packets lost on the line | goodput while out / (3/4 of before) | rejoined after the line was back |');
  say('|---|---|---|---|---|---|---|');
  const ms = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : `${Math.round(x)} ms`);
  for (const f of rows) say(`| ${f.fault} | ${f.daemon ? 'watch' : 'up only'} | ${ms(f.detectMs)} | ${f.outOfRingMs === null ? 'never' : ms(f.outOfRingMs)} | ${f.lostPackets} | ${f.ratio.toFixed(2)} (${(f.duringBps / 1e6).toFixed(2)} of ${(f.beforeBps / 1e6).toFixed(2)} Mbit/s) | ${ms(f.rejoinMs)} |`);
} finally {
  await lab.destroy();
}
