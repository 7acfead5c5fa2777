// What `wanbond watch` costs: at rest (4 lines probed 5 times a second; with and without its
// metrics endpoint) and during a storm of 100
// flaps of one line in 10 s; RSS and CPU of the daemon apart from its children (ip monitor, pings, its
// batch ip and tc); and at rest as it ran before its batch children.
// The storm comes from one long-lived `ip -batch` fed line by line, so the flaps themselves do not
// cost a process start each.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { Lab } from '../../src/lab/lab.js';
import { rssKbOf, WatchProcess } from '../../src/lab/watch.js';
import { useWatchSettings } from '../../src/lab/faults.js';
import { cpuSeconds, emit, quick, say, sleep } from '../common.js';

/** CPU share of one CPU over `ms`, the daemon alone and with its children, and its peak RSS meanwhile. */
async function sample(
  pid: number,
  ms: number,
  during?: () => Promise<void>,
): Promise<{ daemon: number; withChildren: number; rssPeakKb: number; rssEndKb: number }> {
  const d0 = await cpuSeconds(pid, false),
    a0 = await cpuSeconds(pid, true);
  const t0 = performance.now();
  let peak = await rssKbOf(pid);
  const timer = setInterval(() => {
    void rssKbOf(pid).then((r) => {
      peak = Math.max(peak, r);
    });
  }, 200);
  const work = during ? during() : Promise.resolve();
  await sleep(ms);
  await work;
  clearInterval(timer);
  const s = (performance.now() - t0) / 1000;
  return {
    daemon: ((await cpuSeconds(pid, false)) - d0) / s,
    withChildren: ((await cpuSeconds(pid, true)) - a0) / s,
    rssPeakKb: Math.max(peak, await rssKbOf(pid)),
    rssEndKb: await rssKbOf(pid),
  };
}

/** 100 down/up pairs of `line` in 10 s through one ip process. */
async function storm(line: string, flaps = 100, seconds = 10): Promise<void> {
  const ipb = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const gap = (seconds * 1000) / flaps / 2;
  for (let i = 0; i < flaps; i++) {
    ipb.stdin.write(`link set ${line} down\n`);
    await sleep(gap);
    ipb.stdin.write(`link set ${line} up\n`);
    await sleep(gap);
  }
  ipb.stdin.end();
  const code = await new Promise((r) => ipb.on('close', r));
  if (code !== 0) throw new Error(`bench: the storm's ip -batch exited ${code}`);
}

export async function daemon(): Promise<void> {
  const lab = await Lab.create({ sample: 'aft-a104-4xt1-ppp' });
  try {
    const up = await lab.wanbond(['up']);
    if (up.code !== 0) throw new Error(`bench: wanbond up: ${up.err}`);
    await lab.attachRouterB('teql1', ['10.0.0.1/31']);
    // First a daemon with its metrics endpoint off, which then never loads prom-client: what the
    // endpoint costs, side by side with the default daemon below.
    const noMetricsS = quick ? 10 : 20;
    const settings = await fs.readFile(lab.settingsFile, 'utf8');
    await fs.writeFile(lab.settingsFile, `${settings.replace(/\[watch\][\s\S]*$/, '')}[watch]\nmetrics = off\n`);
    const w0 = WatchProcess.start(lab);
    await w0.waitFor((e) => e.event === 'started', 120_000, 'start');
    await lab.settled(100_000);
    await sleep(5000);
    const idleNoMetrics = await sample(w0.pid, noMetricsS * 1000);
    await w0.stop();
    await fs.writeFile(lab.settingsFile, settings);
    say(
      `daemon at rest without metrics (${noMetricsS} s): ${(idleNoMetrics.daemon * 100).toFixed(2)} % alone; ` +
        `RSS ${idleNoMetrics.rssEndKb} kB`,
    );
    const idleS = quick ? 10 : 60;
    // The daemon as it ran before its batch children (a process per command, the lock taken per change):
    // its drift check every 2 s started flock, ip and tc.
    const wp = WatchProcess.start(lab, [], { WANBOND_WATCH_PROCESSES: '1' });
    await wp.waitFor((e) => e.event === 'started', 120_000, 'start');
    await lab.settled(100_000);
    await sleep(5000);
    const idleProcesses = await sample(wp.pid, idleS * 1000);
    await wp.stop();
    say(
      `daemon at rest, a process per command (${idleS} s): ${(idleProcesses.daemon * 100).toFixed(2)} % alone, ` +
        `${(idleProcesses.withChildren * 100).toFixed(2)} % with children`,
    );
    const w = WatchProcess.start(lab);
    await w.waitFor((e) => e.event === 'started', 120_000, 'start');
    await lab.settled(100_000);
    await sleep(5000);
    const idle = await sample(w.pid, idleS * 1000);
    say(
      `daemon at rest (${idleS} s): ${(idle.daemon * 100).toFixed(2)} % of one CPU alone, ` +
        `${(idle.withChildren * 100).toFixed(2)} % with ip monitor and 4 pings; RSS ${idle.rssEndKb} kB`,
    );
    // The same at rest with probes once a second (slower to see a silent line: about 2 s).
    await useWatchSettings(lab, w, 'probe_interval = 1s\ndown_after = 2s\n');
    await sleep(3000);
    const idleSlow = await sample(w.pid, idleS * 1000);
    say(
      `daemon at rest, probes every 1 s: ${(idleSlow.daemon * 100).toFixed(2)} % alone, ` +
        `${(idleSlow.withChildren * 100).toFixed(2)} % with children`,
    );
    await useWatchSettings(lab, w, undefined);
    await lab.settled(100_000);
    // Node's own floor: an empty node process, for what of the daemon's RSS is node itself.
    const empty = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 4000)']);
    await sleep(2500);
    const nodeFloorKb = await rssKbOf(empty.pid ?? -1);
    empty.kill();
    const from = w.events.length;
    const s = await sample(w.pid, 15_000, () => storm('w1g1ppp'));
    const events = w.events.slice(from);
    const others = events.filter(
      (e) => e.event === 'ring' && ((e['left'] as string[] | undefined) ?? []).some((l) => l !== 'w1g1ppp'),
    ).length;
    const suppressed = events.some((e) => e.event === 'suppressed' && e['line'] === 'w1g1ppp');
    const ringChanges = events.filter((e) => e.event === 'ring').length;
    const kinds = events.map((e) => `${e.event ?? e.msg}${e['to'] ? `->${String(e['to'])}` : ''}`);
    say(`storm: the daemon's events: ${kinds.join(' ')}`);
    say(
      `storm of 100 flaps in 10 s on w1g1ppp: ${(s.daemon * 100).toFixed(1)} % of one CPU alone over 15 s, ` +
        `${(s.withChildren * 100).toFixed(1)} % with children; RSS peak ${s.rssPeakKb} kB, after ${s.rssEndKb} ` +
        `kB; ` +
        `${events.length} log events, ${ringChanges} ring changes, line suppressed: ${suppressed}, other lines ` +
        `taken out: ${others}`,
    );
    const stop = await w.stop();
    emit('daemon', {
      lines: 4,
      probeIntervalMs: 200,
      idleSeconds: idleS,
      idle,
      idleSlow,
      idleProcesses,
      noMetricsSeconds: noMetricsS,
      idleNoMetrics,
      nodeFloorKb,
      storm: { flaps: 100, seconds: 10, ...s, events: events.length, ringChanges, suppressed, othersOut: others },
      exit: stop.code,
    });
  } finally {
    await lab.destroy();
  }
}
