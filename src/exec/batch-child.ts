// One long-lived `ip -force -batch -` or `tc -force -batch -`, fed one command at a time over stdin, so a
// daemon's reads and ring changes start no process. iproute2's batch reader prints nothing between
// commands, so each command is followed by a sentinel word that fails at once without a kernel call: its
// "Command failed -:N" on stderr says the command before it has finished, and whether that one failed too.
// A child that misbehaves (exits, hangs past the bound, prints what cannot be read) is killed and the next
// command starts a new one.
import { spawn, type ChildProcess } from 'node:child_process';

/** A word no iproute2 object starts with: `ip`/`tc` answer "Object ... is unknown" without a kernel call. */
export const SENTINEL = 'wanbond-sentinel';

export interface BatchAnswer {
  failed: boolean;
  stdout: string;
  /** What the command printed on stderr (the tool's "Command failed" line and the sentinel's own left out). */
  stderr: string;
}

/** The child could not answer: it is gone, hung or unreadable (the caller reports it as a failed command). */
export class BatchChildError extends Error {}

interface Pending {
  proc: ChildProcess;
  commandLine: number;
  sentinelLine: number;
  json: boolean;
  resolve: (a: BatchAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface BatchChildOptions {
  file: string;
  /** Global options before `-batch -` (`-j`, `-s`): every command this child runs shares them. */
  options: readonly string[];
  timeoutMs: number;
  /** Called once per process started, for the daemon's count of process starts. */
  onSpawn?: () => void;
}

const failedAt = (no: number) => new RegExp(`^Command failed -:${no}$`, 'm');

export class BatchChild {
  private proc: ChildProcess | undefined;
  private stdout = '';
  private stderr = '';
  private lines = 0;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: BatchChildOptions) {}

  /** Runs one batch line; answers are strictly in order, one command at a time. */
  run(line: string, o: { json: boolean }): Promise<BatchAnswer> {
    const next = this.queue.then(() => this.one(line, o.json));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Ends the child once the commands asked before have their answers (stdin closed, killed if it lingers);
   * a command asked later starts a new child, unless the close is final.
   */
  close(o: { final: boolean } = { final: true }): Promise<void> {
    if (o.final) this.closed = true;
    const done = this.queue.then(() => this.end());
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async end(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.stdin?.end();
    const t = setTimeout(() => p.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(t);
  }

  private started(): ChildProcess {
    if (this.proc) return this.proc;
    if (this.closed) throw new BatchChildError(`${this.o.file}: the batch child was closed`);
    const p = spawn(this.o.file, ['-force', ...this.o.options, '-batch', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.o.onSpawn?.();
    this.proc = p;
    this.stdout = '';
    this.stderr = '';
    this.lines = 0;
    p.stdout?.setEncoding('utf8');
    p.stderr?.setEncoding('utf8');
    p.stdout?.on('data', (d: string) => {
      if (this.proc !== p) return;
      this.stdout += d;
      this.settle();
    });
    p.stderr?.on('data', (d: string) => {
      if (this.proc !== p) return;
      this.stderr += d;
      this.settle();
    });
    // A write to a child that died is reported by its exit, below.
    p.stdin?.on('error', () => undefined);
    p.on('error', (e) =>
      this.fail(p, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : e.message),
    );
    p.on('exit', (code, signal) => this.fail(p, `exited (${signal ?? `code ${code}`})`));
    return p;
  }

  private one(line: string, json: boolean): Promise<BatchAnswer> {
    return new Promise<BatchAnswer>((resolve, reject) => {
      let p: ChildProcess;
      try {
        p = this.started();
      } catch (e) {
        reject(e as Error);
        return;
      }
      const commandLine = this.lines + 1;
      const sentinelLine = this.lines + 2;
      this.lines += 2;
      const timer = setTimeout(() => this.fail(p, `no answer within ${this.o.timeoutMs} ms`), this.o.timeoutMs);
      this.pending = { proc: p, commandLine, sentinelLine, json, resolve, reject, timer };
      p.stdin?.write(`${line}\n${SENTINEL}\n`);
    });
  }

  /** Resolves the command under way once the sentinel has answered and its output is whole. */
  private settle(): void {
    const q = this.pending;
    if (!q) return;
    const m = failedAt(q.sentinelLine).exec(this.stderr);
    if (!m) return;
    const errText = this.stderr.slice(0, m.index);
    const failed = failedAt(q.commandLine).test(errText);
    // stdout and stderr are two pipes: a read's document may arrive just after the sentinel's answer.
    if (q.json && !failed && !wholeJson(this.stdout)) return;
    const stdout = this.stdout;
    this.stdout = '';
    this.stderr = this.stderr.slice(m.index + m[0].length).replace(/^\n/, '');
    this.pending = undefined;
    clearTimeout(q.timer);
    const stderr = errText
      .split('\n')
      .filter((l) => l !== '' && !/^Command failed -:\d+$/.test(l) && !l.includes(`"${SENTINEL}"`))
      .map((l) => `${l}\n`)
      .join('');
    // A failed read may have left part of a document behind: the next read must not start with it.
    if (failed && q.json && stdout.trim() !== '' && !wholeJson(stdout)) void this.close({ final: false });
    q.resolve({ failed, stdout, stderr });
  }

  private fail(p: ChildProcess, why: string): void {
    if (this.proc === p) {
      this.proc = undefined;
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
    const q = this.pending;
    if (!q || q.proc !== p) return;
    this.pending = undefined;
    clearTimeout(q.timer);
    q.reject(new BatchChildError(`${this.o.file} -batch: ${why}`));
  }
}

/** Whole JSON documents, one per line as `-j` prints them without `-p`. */
function wholeJson(text: string): boolean {
  if (!text.endsWith('\n')) return false;
  try {
    for (const l of text.split('\n')) if (l.trim() !== '') JSON.parse(l);
    return true;
  } catch {
    return false;
  }
}
