// `wanbond watch` as the lab runs it: its own process (it is signalled, and its children are killed
// by tests), its JSON log read line by line, with waits for events that always have a bound.
import { promises as fs } from 'node:fs';
import type { Lab } from './lab.js';

/** A process's resident memory from /proc, in kB; 0 when it is gone. */
export async function rssKbOf(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+)/m.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
  return m ? Number(m[1]) : 0;
}

export interface WatchEvent {
  time: number;
  level: number;
  msg: string;
  event?: string;
  [k: string]: unknown;
}

export class WatchProcess {
  readonly events: WatchEvent[] = [];
  stdout = '';
  stderrText = '';
  private listeners = new Set<() => void>();

  private constructor(readonly proc: ReturnType<Lab['startWanbond']>) {
    let buf = '';
    proc.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.stderrText += `${line}\n`;
        if (line.startsWith('{')) {
          try {
            this.events.push(JSON.parse(line) as WatchEvent);
          } catch {
            /* not ours */
          }
        }
        for (const l of [...this.listeners]) l();
      }
    });
    proc.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
  }

  static start(lab: Pick<Lab, 'startWanbond'>, args: string[] = [], env: Record<string, string> = {}): WatchProcess {
    return new WatchProcess(lab.startWanbond(['watch', ...args], { WANBOND_LOG_LEVEL: 'info', ...env }));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The first event from index `from` on that matches, within `ms`. */
  waitFor(pred: (e: WatchEvent) => boolean, ms: number, what: string, from = 0): Promise<WatchEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.slice(from).find(pred);
        if (hit) {
          done();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`lab: watch: no ${what} within ${ms} ms; log tail:\n${this.stderrText.slice(-3000)}`));
      }, ms);
      const exit = () => {
        done();
        reject(new Error(`lab: watch exited while waiting for ${what}; log tail:\n${this.stderrText.slice(-3000)}`));
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        this.proc.off?.('exit', exit);
      };
      this.listeners.add(check);
      this.proc.once?.('exit', exit);
      check();
    });
  }

  /** The daemon's children (ip monitor, pings) by command line. */
  async children(): Promise<{ pid: number; args: string }[]> {
    const out: { pid: number; args: string }[] = [];
    for (const t of await fs.readdir(`/proc/${this.pid}/task`).catch(() => [] as string[])) {
      const kids = (await fs.readFile(`/proc/${this.pid}/task/${t}/children`, 'utf8').catch(() => ''))
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      for (const k of kids)
        out.push({
          pid: Number(k),
          args: (await fs.readFile(`/proc/${k}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim(),
        });
    }
    return out;
  }

  rssKb(): Promise<number> {
    return rssKbOf(this.pid);
  }

  /** SIGTERM (or another signal) and the exit status, bounded. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    ms = 30_000,
  ): Promise<{ code: number | undefined; signal: string | undefined }> {
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const r = await this.proc;
    clearTimeout(t);
    return { code: r.exitCode, signal: r.signal };
  }
}
