// The watch daemon's phases, and the timers that may exist only while it runs. A signal can arrive at
// any moment, so every asynchronous continuation asks `live` before it starts anything; a timer asked
// for once the daemon is stopping is refused, so nothing keeps the process alive after stop.
export type Phase = 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped';

export class Lifecycle {
  private current: Phase = 'starting';
  private readonly timers = new Set<NodeJS.Timeout>();
  private resolveStopped!: () => void;
  /** Settles once stop has finished its work (the last health file written). */
  readonly stopped = new Promise<void>((resolve) => {
    this.resolveStopped = resolve;
  });

  constructor(private readonly onError: (e: unknown) => void) {}

  get phase(): Phase {
    return this.current;
  }

  /** Not asked to stop: a continuation may go on and start what it needs. */
  get live(): boolean {
    return this.current === 'starting' || this.current === 'running' || this.current === 'reloading';
  }

  /** running <-> reloading, and starting -> running; refused (false) once a stop was asked for. */
  enter(next: 'running' | 'reloading'): boolean {
    if (!this.live) return false;
    this.current = next;
    return true;
  }

  /** The first stop wins; the timers go at once (a stop waits for nothing they would start). */
  beginStop(): boolean {
    if (!this.live) return false;
    this.current = 'stopping';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return true;
  }

  finishStop(): void {
    this.current = 'stopped';
    this.resolveStopped();
  }

  /** Runs f once after ms, unless the daemon stops first. Returns its cancel. */
  later(ms: number, f: () => Promise<void> | void): () => void {
    if (!this.live) return () => undefined;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.live) void Promise.resolve().then(f).catch(this.onError);
    }, ms);
    this.timers.add(t);
    return () => {
      clearTimeout(t);
      this.timers.delete(t);
    };
  }

  /** Runs f every ms while the daemon lives. Returns its cancel. */
  every(ms: number, f: () => Promise<void> | void): () => void {
    if (!this.live) return () => undefined;
    const t = setInterval(() => {
      if (this.live) void Promise.resolve().then(f).catch(this.onError);
    }, ms);
    this.timers.add(t);
    return () => {
      clearInterval(t);
      this.timers.delete(t);
    };
  }

  /** Timers pending now (a test's check that a stopped daemon leaves none behind). */
  get pendingTimers(): number {
    return this.timers.size;
  }
}
