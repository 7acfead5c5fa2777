// One ping per line, bound to the line's own interface (SO_BINDTODEVICE via -I), so a probe never
// goes through teqlN and tells about that line only; or, at a DSL-router site, marked for the line's
// own table (-m, ping-route.ts). ping is started for the interface it found at its start: a
// recreated interface gets a new ping. iputils' -O reports each probe still unanswered when the next
// goes out, which is what tells a lost probe from a busy router (health.ts).
import { execa } from 'execa';
import type { Log } from '../log.js';
import { SupervisedChild } from './child.js';
import type { Signal } from './health.js';
import { parsePingLine } from './parse.js';
import { pingRoute } from './ping-route.js';

interface Probe {
  child: SupervisedChild;
  ifindex: number;
  target: string;
  mark: number | undefined;
  intervalMs: number;
}

/** A ping that exits sooner than this after its start could not run (no route, no device). */
const QUICK_EXIT_MS = 2000;

/** Why this `ping` cannot probe (not there, or not iputils: busybox has no -O), or undefined when it can. */
export async function pingUnusable(file: string): Promise<string | undefined> {
  const r = await execa(file, ['-V'], { reject: false, timeout: 5000, all: true }).catch((e: Error) => ({
    exitCode: undefined,
    all: e.message,
  }));
  const text = String(r.all ?? '');
  if (r.exitCode !== 0 || !/iputils/i.test(text))
    return `${file} -V: ${text.trim().split('\n')[0] || `exit ${r.exitCode}`}`;
  return undefined;
}

export class Probes {
  private readonly probes = new Map<string, Probe>();
  private pausedAt: number | undefined;
  /** The probes held by pause(): only their time is given back (a probe started during the hold began after it). */
  private held = new Set<string>();

  constructor(
    private readonly o: { ping: string; log: Log; intervalMs: () => number; signal: (line: string, s: Signal) => void },
  ) {}

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }
  running(): { line: string; ifindex: number; target: string }[] {
    return [...this.probes].map(([line, p]) => ({ line, ifindex: p.ifindex, target: p.target }));
  }

  /**
   * The line's probe as it should be now: none (no interface up, or no target), or one for this ifindex and
   * target, bound to the line or with this mark (pingRoute).
   */
  sync(line: string, ifindex: number | undefined, target: string | undefined, mark?: number): void {
    const have = this.probes.get(line);
    const intervalMs = this.o.intervalMs();
    if (
      have &&
      (ifindex === undefined ||
        target === undefined ||
        have.ifindex !== ifindex ||
        have.target !== target ||
        have.mark !== mark ||
        have.intervalMs !== intervalMs)
    ) {
      void have.child.stop();
      this.probes.delete(line);
      this.o.signal(line, { kind: 'probe-stop', removed: target === undefined });
    }
    if (ifindex === undefined || target === undefined || this.probes.has(line)) return;
    const child = new SupervisedChild({
      file: this.o.ping,
      args: ['-n', '-O', ...pingRoute(line, mark), '-i', (intervalMs / 1000).toFixed(3), target],
      log: this.o.log,
      minBackoffMs: 500,
      onLine: (l) => {
        const ev = parsePingLine(l);
        if (ev?.kind === 'reply') this.o.signal(line, { kind: 'reply', seq: ev.seq, rttMs: ev.rttMs });
        else if (ev?.kind === 'pending') this.o.signal(line, { kind: 'pending', seq: ev.seq });
      },
      onStart: () => this.o.signal(line, { kind: 'probe-start', target }),
      onExit: (ranMs, why) => {
        if (ranMs < QUICK_EXIT_MS) this.o.signal(line, { kind: 'probe-failed', text: why });
      },
    });
    this.probes.set(line, { child, ifindex, target, mark, intervalMs });
    child.start();
    // Started while the ring changes: held like the others until the change is done.
    if (this.pausedAt !== undefined) child.pause();
  }

  /** Held while the ring changes: the daemon's own direct traffic on the slaves stops (docs/WATCH.md). */
  pause(): void {
    this.pausedAt = Date.now();
    this.held = new Set(this.probes.keys());
    for (const p of this.probes.values()) p.child.pause();
  }

  resume(): void {
    const ms = this.pausedAt === undefined ? 0 : Date.now() - this.pausedAt;
    this.pausedAt = undefined;
    for (const [line, p] of this.probes) {
      p.child.resume();
      if (this.held.has(line)) this.o.signal(line, { kind: 'probe-paused', ms });
    }
    this.held.clear();
  }

  async stop(line?: string): Promise<void> {
    const which = line === undefined ? [...this.probes.keys()] : [line];
    await Promise.all(
      which.map(async (l) => {
        const p = this.probes.get(l);
        this.probes.delete(l);
        await p?.child.stop();
      }),
    );
  }
}
