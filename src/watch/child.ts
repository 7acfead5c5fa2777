// A long-lived helper process (`ip monitor`, `ping`) that the daemon keeps alive: its stdout comes
// line by line; when it dies it is started again after a backoff that grows to a bound and resets
// once the child has run a while. argv only, never a shell.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Log } from '../log.js';

export interface ChildOptions {
  file: string;
  args: string[];
  log: Log;
  /** Each stdout line (and stderr line, flagged), without its newline. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** After every (re)start, once the process is spawned: the place to re-read what may have been missed. */
  onStart?: (restarts: number) => void;
  /** When it exits (before any restart): how long it ran and its last stderr line. */
  onExit?: (ranMs: number, lastError: string) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class SupervisedChild {
  private proc: ChildProcess | undefined;
  private stopped = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private backoff: number;
  private startedAt = 0;
  restarts = 0;

  constructor(private readonly o: ChildOptions) {
    this.backoff = o.minBackoffMs ?? 100;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  start(): void {
    if (this.stopped) return;
    const p = spawn(this.o.file, this.o.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    this.startedAt = Date.now();
    let lastError = '';
    for (const [stream, name] of [
      [p.stdout, 'stdout'],
      [p.stderr, 'stderr'],
    ] as const) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (name === 'stderr' && line.trim() !== '') lastError = line.trim().slice(0, 300);
          try {
            this.o.onLine(line, name);
          } catch (e) {
            this.o.log.error({ err: e, line, child: this.o.file }, 'handling a line of a helper process failed');
          }
        }
        // A line that never ends must not grow without bound.
        if (buf.length > 65_536) buf = '';
      });
    }
    p.on('error', (e) => {
      this.o.log.error({ err: e, argv: [this.o.file, ...this.o.args] }, 'helper process could not run');
    });
    p.on('close', (code, signal) => {
      if (this.proc !== p) return;
      this.proc = undefined;
      if (this.stopped) return;
      try {
        this.o.onExit?.(Date.now() - this.startedAt, lastError || `exit ${code ?? signal}`);
      } catch (e) {
        this.o.log.error({ err: e }, 'handling a helper process exit failed');
      }
      // A child that ran a while gets a quick restart again; one that dies at once backs off.
      if (Date.now() - this.startedAt > 10_000) this.backoff = this.o.minBackoffMs ?? 100;
      this.o.log.warn(
        { argv: [this.o.file, ...this.o.args], code, signal, restartInMs: this.backoff },
        'helper process exited; restarting it',
      );
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.restarts++;
        this.start();
      }, this.backoff);
      this.backoff = Math.min(this.o.maxBackoffMs ?? 5000, this.backoff * 2);
    });
    // Restarted while paused (a ping that exited during a ring change): held like the one it replaces.
    if (this.paused) this.signalProc('SIGSTOP');
    if (p.pid !== undefined) this.o.onStart?.(this.restarts);
  }

  private signalProc(sig: NodeJS.Signals): void {
    if (this.proc?.pid === undefined) return;
    try {
      this.proc.kill(sig);
    } catch {
      /* gone */
    }
  }

  /** Stops or resumes the child without losing it (SIGSTOP / SIGCONT); a restart meanwhile starts stopped. */
  pause(): void {
    this.paused = true;
    if (this.proc?.pid !== undefined) {
      try {
        this.proc.kill('SIGSTOP');
      } catch {
        /* gone */
      }
    }
  }
  resume(): void {
    this.paused = false;
    if (this.proc?.pid !== undefined) {
      try {
        this.proc.kill('SIGCONT');
      } catch {
        /* gone */
      }
    }
  }

  /** Ends it for good; resolves when the process is gone (bounded: SIGKILL after 2 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        try {
          p.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }, 2000);
      p.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      try {
        p.kill('SIGCONT');
        p.kill('SIGTERM');
      } catch {
        clearTimeout(kill);
        resolve();
      }
    });
  }
}
