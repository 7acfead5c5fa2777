// One fault of the card simulator under saturating TCP through the bundle, measured: when the line
// left TEQL's ring (the daemon's log), what it cost (packets the line threw away, the bundle's
// goodput while the line is out against 3/4 of before), and when it came back. With or without the
// watch daemon, so the same figures show what the daemon buys. Used by test/e2e and bench/.
import { promises as fs } from 'node:fs';
import type { Lab, TrafficResult } from './lab.js';
import { sh } from './sh.js';
import type { WatchEvent, WatchProcess } from './watch.js';

export type FaultKind = 'driver-down' | 'carrier-loss' | 'blackhole' | 'flapping' | 'restart';

export interface FaultFigures {
  fault: FaultKind;
  line: string;
  daemon: boolean;
  /**
   * From the fault (just before the simulator's first command reached the kernel) to the kernel's taking
   * the line out (the ring change's batch answered); null: it never left.
   */
  outOfRingMs: number | null;
  /** From the fault to the daemon's judgement (its health event). */
  detectMs: number | null;
  /**
   * How long the simulator's commands took (the first through an iproute2 child already running): the kernel
   * changed somewhere in this window after the fault's start, so the daemon's own reaction is at most
   * outOfRingMs and at least outOfRingMs - faultMs.
   */
  faultMs?: number;
  /** Packets the faulted line's far side threw away (netem drops: a black hole's victims). */
  lostPackets: number;
  beforeBps: number;
  duringBps: number;
  /** duringBps / (3/4 of beforeBps): 1 means the line costs exactly its own share. */
  ratio: number;
  /** From the fault being cleared (or the interface back) to the line rejoining the ring; null: not measured. */
  rejoinMs: number | null;
  /**
   * The ring change that took the line out, as the daemon logged it: its duration and the processes it
   * started (undefined: no such change, or a daemon older than the count).
   */
  ringChange?: {
    ms: number;
    processes: number | undefined;
    commandMs: number | undefined;
    /**
     * ms from the change's start to: lock taken, record read, kernel read, planned, first batch journaled, the
     * kernel changed, applied.
     */
    marks?: Record<string, number>;
    /** Planned from the daemon's cached read of the kernel, without a read of its own. */
    cached?: boolean;
    /** Why it read the kernel first (converge.ts readWhy). */
    readWhy?: string;
  };
  /** How the daemon ran its commands: batch children (its default) or a process each (WANBOND_WATCH_PROCESSES=1). */
  exec?: 'children' | 'processes';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timeOf = (key: 'at' | 'done', out: string) => {
  const m = new RegExp(`${key}=(\\d+)`).exec(out);
  if (!m) throw new Error(`lab: no ${key}= in the simulator's answer: ${out}`);
  return Number(m[1]);
};
const atOf = (out: string) => timeOf('at', out);
const atDone = (out: string): [number, number] => [timeOf('at', out), timeOf('done', out)];

/** Mean rate over [from, to) of the traffic's buckets, in bit/s. */
export function rateBetween(t: TrafficResult, from: number, to: number): number {
  let bytes = 0,
    ms = 0;
  t.buckets.forEach((b, i) => {
    const start = t.fromAt + i * t.bucketMs;
    if (start >= from && start + t.bucketMs <= to) {
      bytes += b;
      ms += t.bucketMs;
    }
  });
  return ms > 0 ? (bytes * 8) / (ms / 1000) : 0;
}

const ringEvent = (line: string, key: 'left' | 'joined') => (e: WatchEvent) =>
  e.event === 'ring' && (e[key] as string[] | undefined)?.includes(line) === true;
/**
 * When a ring change's batch had answered: the kernel had the change from then on (its verify and record
 * come after). A daemon that does not say so: when it logged the change.
 */
const changedAt = (e: WatchEvent | undefined) =>
  e === undefined ? undefined : typeof e['changedAt'] === 'number' ? e['changedAt'] : e.time;

export async function measureFault(
  lab: Lab,
  o: {
    kind: FaultKind;
    line: string;
    device: string;
    watch?: WatchProcess;
    beforeMs?: number;
    outMs?: number;
    exec?: 'children' | 'processes';
  },
): Promise<FaultFigures> {
  const beforeMs = o.beforeMs ?? 3000,
    outMs = o.outMs ?? 4500;
  const w = o.watch;
  const from = w?.events.length ?? 0;
  const drops0 = await lab.lineDrops();
  let at = 0,
    done = 0,
    leftAt: number | null = null,
    flapEnd = 0;
  const t = await lab.traffic((beforeMs + outMs) / 1000 + 7, async () => {
    await sleep(beforeMs);
    switch (o.kind) {
      case 'driver-down':
        [at, done] = atDone(await lab.sim('fault', o.line, 'if-down'));
        break;
      case 'carrier-loss':
        [at, done] = atDone(await lab.sim('fault', o.line, 'carrier-loss'));
        break;
      case 'blackhole':
        [at, done] = atDone(await lab.sim('fault', o.line, 'blackhole'));
        break;
      case 'restart': {
        const out = await lab.sim('restart', o.device);
        at = atOf(out);
        done = timeOf('done', out);
        break;
      }
      // Every 2 s for 10 s: the simulator returns when it is done.
      case 'flapping': {
        const out = await lab.sim('flap', o.line, '5', '2000');
        at = atOf(out);
        flapEnd = Date.now();
        break;
      }
    }
    if (w && o.kind !== 'flapping' && o.kind !== 'restart')
      leftAt =
        changedAt(
          await w.waitFor(ringEvent(o.line, 'left'), 20_000, `${o.line} leaving the ring`, from).catch(() => undefined),
        ) ?? null;
    if (o.kind !== 'flapping') await sleep(Math.max(0, outMs - (Date.now() - at)));
  });
  const drops1 = await lab.lineDrops();
  const detect = w?.events.slice(from).find((e) => e.event === 'health' && e['line'] === o.line && e['to'] === 'down');
  // The ring change that took the line out (a flapping line's at its first fall).
  const change = w?.events.slice(from).find(ringEvent(o.line, 'left'));
  // A recreated interface leaves the ring with its old self (the kernel drops the slave when the
  // device deletes it).
  const out =
    o.kind === 'restart' ? (detect?.time ?? null) : o.kind === 'flapping' ? (changedAt(change) ?? null) : leftAt;
  const beforeBps = rateBetween(t, t.fromAt + 1000, at);
  const duringBps = rateBetween(
    t,
    o.kind === 'flapping' ? at : o.kind === 'restart' ? done : (out ?? at) + 500,
    o.kind === 'flapping' ? flapEnd : t.sender.endAt,
  );
  const rejoined = async (w: WatchProcess) =>
    changedAt(
      await w.waitFor(ringEvent(o.line, 'joined'), 30_000, `${o.line} rejoining`, from).catch(() => undefined),
    ) ?? NaN;
  let rejoinMs: number | null = null;
  if (o.kind !== 'flapping' && o.kind !== 'restart') {
    const cleared = atOf(await lab.sim('clear', o.line));
    if (w) rejoinMs = (await rejoined(w)) - cleared;
  } else if (w && o.kind === 'restart') rejoinMs = (await rejoined(w)) - done;
  return {
    fault: o.kind,
    line: o.line,
    daemon: w !== undefined,
    outOfRingMs: out === null ? null : out - at,
    detectMs: detect ? detect.time - at : null,
    ...(done > 0 && o.kind !== 'restart' ? { faultMs: done - at } : {}),
    lostPackets: (drops1[o.line] ?? 0) - (drops0[o.line] ?? 0),
    beforeBps,
    duringBps,
    ratio: beforeBps > 0 ? duringBps / (0.75 * beforeBps) : 0,
    rejoinMs,
    ...(change && o.kind !== 'restart'
      ? {
          ringChange: {
            ms: Number(change['ms']),
            processes: typeof change['processes'] === 'number' ? change['processes'] : undefined,
            commandMs: typeof change['commandMs'] === 'number' ? change['commandMs'] : undefined,
            ...(change['marks'] ? { marks: change['marks'] as Record<string, number> } : {}),
            ...(typeof change['cached'] === 'boolean' ? { cached: change['cached'] } : {}),
            ...(typeof change['readWhy'] === 'string' ? { readWhy: change['readWhy'] } : {}),
          },
        }
      : {}),
    ...(w ? { exec: o.exec ?? 'children' } : {}),
  };
}

export function formatFigures(f: FaultFigures): string {
  const ms = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : `${Math.round(x)} ms`);
  return (
    `${f.fault} on ${f.line} ${f.daemon ? 'with' : 'without'} the daemon: detected ${ms(f.detectMs)}, ` +
    `out of the ring ${f.outOfRingMs === null ? 'never' : ms(f.outOfRingMs)}, ` +
    `${f.lostPackets} packets lost on the line, goodput ${(f.duringBps / 1e6).toFixed(3)} Mbit/s while out vs ` +
    `${(f.beforeBps / 1e6).toFixed(3)} before: ${f.ratio.toFixed(2)} of 3/4, ` +
    `rejoined ${ms(f.rejoinMs)} after the line was back` +
    (f.ringChange
      ? `; the ring change took ${ms(f.ringChange.ms)} (${ms(f.ringChange.commandMs ?? null)} in commands) and ` +
        `started ${f.ringChange.processes ?? '?'} processes (${f.exec}` +
        `${f.ringChange.cached ? ', from the cached read' : ''}` +
        `${f.ringChange.readWhy ? `, read first: ${f.ringChange.readWhy}` : ''}; ` +
        `${JSON.stringify(f.ringChange.marks ?? {})})`
      : '')
  );
}

export interface StressFigures {
  cycles: number;
  seconds: number;
  rateBps: number;
  /** Seconds of traffic in 5 s stretches with nothing delivered (0: the flow never stopped). */
  stalls: number;
  memory: { rssKb: number; heapUsedKb: number }[];
}

/**
 * Leave/rejoin cycles of one line under saturating TCP: the line goes down as a driver takes it down
 * (`ip link set down`, without a node start per flap), the daemon takes it out, the line comes back,
 * the daemon puts it back. Until `cycles` are done or `seconds` of traffic are over. The daemon's
 * memory (its health file) is sampled along the way.
 */
export async function stressCycles(
  lab: Lab,
  w: WatchProcess,
  o: { line: string; cycles: number; seconds: number; memory: () => Promise<{ rssKb: number; heapUsedKb: number }> },
): Promise<StressFigures> {
  let cycles = 0;
  const memory: { rssKb: number; heapUsedKb: number }[] = [await o.memory()];
  const end = Date.now() + o.seconds * 1000 - 3000;
  const t = await lab.traffic(
    o.seconds,
    async () => {
      while (cycles < o.cycles && Date.now() < end) {
        const from = w.events.length;
        await sh('ip', ['link', 'set', o.line, 'down']);
        await w.waitFor(ringEvent(o.line, 'left'), 20_000, `cycle ${cycles}: leave`, from);
        await sh('ip', ['link', 'set', o.line, 'up']);
        await w.waitFor(ringEvent(o.line, 'joined'), 20_000, `cycle ${cycles}: rejoin`, from);
        cycles++;
        if (cycles % 25 === 0) memory.push(await o.memory());
      }
    },
    undefined,
    undefined,
    { stopWhenDone: true },
  );
  memory.push(await o.memory());
  const perFive = Array.from({ length: Math.floor(t.buckets.length / 20) }, (_, i) =>
    t.buckets.slice(i * 20, i * 20 + 20).reduce((a, b) => a + b, 0),
  );
  return {
    cycles,
    seconds: (t.sender.endAt - t.sender.startAt) / 1000,
    rateBps: t.rateBps,
    stalls: perFive.filter((b) => b === 0).length * 5,
    memory,
  };
}

/**
 * The settings the stress runs with: a line rejoins at once and is never suppressed, so every cycle
 * is a leave and a rejoin (the defaults would rightly keep a line flapping every second out).
 * Applied by the daemon's own reload (SIGHUP).
 */
export async function useStressSettings(lab: Lab, w: WatchProcess): Promise<void> {
  await useWatchSettings(lab, w, 'hold_down = 1ms\nsuppress = 900000\nmax_penalty = 900000\nreuse = 899999\n');
}

/** The lab's settings with this [watch] section (none: the defaults), applied by the daemon's own reload (SIGHUP). */
export async function useWatchSettings(lab: Lab, w: WatchProcess, watch: string | undefined): Promise<void> {
  const base = (await fs.readFile(lab.settingsFile, 'utf8')).replace(/\[watch\][\s\S]*$/, '');
  await fs.writeFile(lab.settingsFile, watch === undefined ? base : `${base}[watch]\n${watch}`);
  const n = w.events.length;
  process.kill(w.pid, 'SIGHUP');
  await w.waitFor((e) => e.event === 'reloaded', 30_000, 'the reload', n);
}
