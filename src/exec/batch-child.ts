// One long-lived `ip -force -batch -` or `tc -force -batch -`, fed one command at a time over stdin, so a
// daemon's reads and ring changes start no process. iproute2's batch reader prints nothing between
// commands, so each command is followed by a sentinel word that fails at once without a kernel call: its
// "Command failed -:N" on stderr says the command before it has finished, and whether that one failed too.
// A child that misbehaves (exits, hangs past the bound, prints what cannot be read) is killed and the next
// command starts a new one; so is a child that has served its share (iproute2's caches grow in it).
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
export class BatchChildError extends Error {
  constructor(
    message: string,
    /** The command never reached a live child (it had died while idle): running it again is safe. */
    readonly unsent = false,
  ) {
    super(message);
  }
}

interface Pending {
  proc: ChildProcess;
  commandLine: number;
  sentinelLine: number;
  json: boolean;
  unsent: boolean;
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
  /** A child is replaced after this many commands or this long, whichever comes first. */
  maxCommands?: number;
  maxAgeMs?: number;
}

const failedAt = (no: number) => new RegExp(`^Command failed -:${no}$`, 'm');
const noise = (l: string) => l === '' || /^Command failed -:\d+$/.test(l) || l.includes(`"${SENTINEL}"`);

export class BatchChild {
  private proc: ChildProcess | undefined;
  private stdout = '';
  private stderr = '';
  private lines = 0;
  private spawnedAt = 0;
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

  /** Starts the process now, ahead of its first command, which then waits for no process start. */
  spawn(): void {
    if (!this.closed && !this.proc) this.started();
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
    // Its own process group, as ExecaRunner runs a change: a Ctrl-C at the terminal reaches wanbond, which
    // lets the command under way finish, never a child killed halfway through a batch.
    const p = spawn(this.o.file, ['-force', ...this.o.options, '-batch', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      detached: true,
    });
    this.o.onSpawn?.();
    this.proc = p;
    this.stdout = '';
    this.stderr = '';
    this.lines = 0;
    this.spawnedAt = Date.now();
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
    // A write to a child that died is reported when it closes, below.
    p.stdin?.on('error', () => undefined);
    p.on('error', (e) =>
      this.fail(p, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : e.message),
    );
    // 'close' comes after its output is all read: an iproute2 that exits on a command it cannot parse
    // (invarg, duparg) has said why on stderr by then.
    p.on('close', (code, signal) => {
      const said = this.proc === p ? this.stderr.split('\n').filter((l) => !noise(l)) : [];
      this.fail(p, `exited (${signal ?? `code ${code}`})${said.length > 0 ? `: ${said.join(' / ')}` : ''}`);
    });
    return p;
  }

  private async one(line: string, json: boolean): Promise<BatchAnswer> {
    const max = this.o.maxCommands ?? 100_000;
    const age = this.o.maxAgeMs ?? 24 * 3600_000;
    const p0 = this.proc;
    if (p0 && (p0.exitCode !== null || p0.signalCode !== null || !p0.stdin?.writable)) this.proc = undefined;
    else if (p0 && (this.lines / 2 >= max || Date.now() - this.spawnedAt >= age)) await this.end();
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
      const q: Pending = { proc: p, commandLine, sentinelLine, json, unsent: false, resolve, reject, timer };
      this.pending = q;
      p.stdin?.write(`${line}\n${SENTINEL}\n`, (e) => {
        if (e) q.unsent = true;
      });
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
    if (q.json && !failed) {
      const doc = jsonState(this.stdout);
      if (doc === 'partial') return;
      if (doc === 'garbage') {
        this.fail(q.proc, `printed what is not JSON: ${this.stdout.slice(0, 120)}`);
        return;
      }
    }
    const stdout = this.stdout;
    this.stdout = '';
    this.stderr = this.stderr.slice(m.index + m[0].length).replace(/^\n/, '');
    this.pending = undefined;
    clearTimeout(q.timer);
    const stderr = errText
      .split('\n')
      .filter((l) => !noise(l))
      .map((l) => `${l}\n`)
      .join('');
    // A failed read may print part of a document, on a pipe that can deliver it after this answer: the
    // next read must never start with it, so it gets a child of its own.
    if (failed && q.json) this.fail(q.proc, 'retired after a failed read');
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
    q.reject(new BatchChildError(`${this.o.file} -batch: ${why}`, q.unsent));
  }
}

/** Whole JSON documents, one per line as `-j` prints them without `-p` (a string's newline is escaped). */
function jsonState(text: string): 'whole' | 'partial' | 'garbage' {
  if (!text.endsWith('\n')) return 'partial';
  try {
    for (const l of text.split('\n')) if (l.trim() !== '') JSON.parse(l);
    return 'whole';
  } catch {
    return 'garbage';
  }
}
