// The one way wanbond touches the system. Reads observe (they run even in dry-run); changes mutate.
// Argument arrays only, never a shell.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { CommandError } from '../errors.js';
import type { Log } from '../log.js';

/** journalctl: read only, for the doctor's support bundle (the watch daemon logs to journald). nft: weighted bonds. */
export type Program = 'ip' | 'tc' | 'modprobe' | 'sysctl' | 'wanrouter' | 'journalctl' | 'nft' | 'conntrack';

export interface Command {
  file: Program;
  args: readonly string[];
  /** Standard input, for `ip -batch -` and `tc -batch -`. */
  input?: string;
  /** Working directory (wanrouter writes ./return_code into it). */
  cwd?: string;
}

export interface Runner {
  read(cmd: Command): Promise<string>;
  change(cmd: Command): Promise<void>;
  /** A file's text, or undefined if it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Processes started so far, where the runner counts them (the daemon logs what each ring change cost). */
  readonly started?: number;
  /** Milliseconds spent waiting for commands so far, where the runner counts them. */
  readonly commandMs?: number;
}

export function argvOf(cmd: Command): string[] {
  return [cmd.file, ...cmd.args];
}

/** Where to find each program; the lab points `wanrouter` at its card simulator. */
export type Programs = Partial<Record<Program, string>>;

export class ExecaRunner implements Runner {
  started = 0;
  commandMs = 0;
  constructor(
    private readonly log: Log,
    private readonly programs: Programs = {},
  ) {}

  private async exec(cmd: Command, mutating: boolean): Promise<string> {
    const started = Date.now();
    const file = this.programs[cmd.file] ?? cmd.file;
    // wanrouter writes ./return_code into its working folder: give it a private one, never the operator's.
    const scratch =
      cmd.file === 'wanrouter' && !cmd.cwd ? await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-wanrouter-')) : undefined;
    let r;
    this.started++;
    try {
      // A change runs in its own process group: a Ctrl-C at the terminal reaches wanbond, which lets the
      // command finish and then rolls back, instead of killing a batch halfway.
      r = await execa(file, cmd.args, {
        reject: false,
        input: cmd.input,
        cwd: cmd.cwd ?? scratch,
        stripFinalNewline: false,
        env: { LC_ALL: 'C' },
        timeout: 120_000,
        detached: mutating,
      });
    } catch (e) {
      throw new CommandError(argvOf(cmd), undefined, String(e), `check that ${cmd.file} is installed and on PATH`, {
        cause: e,
      });
    } finally {
      this.commandMs += Date.now() - started;
      if (scratch) await fs.rm(scratch, { recursive: true, force: true });
    }
    if (mutating)
      this.log.debug(
        { argv: argvOf(cmd), input: cmd.input, ms: Date.now() - started, exitCode: r.exitCode },
        'command',
      );
    if (r.failed) {
      const missing = (r as { code?: string }).code === 'ENOENT';
      throw new CommandError(
        argvOf(cmd),
        r.exitCode,
        missing ? `${file}: command not found` : String(r.stderr ?? ''),
        missing ? `install ${cmd.file} (${PACKAGE_OF[cmd.file]})` : hintFor(cmd),
        { cause: r, input: cmd.input },
      );
    }
    return String(r.stdout ?? '');
  }

  read(cmd: Command): Promise<string> {
    return this.exec(cmd, false);
  }
  async change(cmd: Command): Promise<void> {
    await this.exec(cmd, true);
  }
  async readFile(path: string): Promise<string | undefined> {
    try {
      return await fs.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}

const PACKAGE_OF: Record<Program, string> = {
  ip: 'iproute2',
  tc: 'iproute2',
  sysctl: 'procps',
  modprobe: 'kmod',
  wanrouter: 'Sangoma wanpipe',
  journalctl: 'systemd',
  nft: 'nftables',
  conntrack: 'conntrack',
};

export function hintFor(cmd: Command): string {
  if (cmd.file === 'modprobe')
    return 'check that the kernel has sch_teql (CONFIG_NET_SCH_TEQL) and that modules can be loaded: modinfo sch_teql';
  if (cmd.file === 'wanrouter') return 'see /var/log/wanrouter and `wanrouter status`';
  return 'run the command by hand to see the full error; `wanbond plan` shows what wanbond wants to change';
}

/** Passes reads through and records changes: `--dry-run`. */
export class DryRunRunner implements Runner {
  readonly changes: Command[] = [];
  constructor(private readonly inner: Runner) {}
  read(cmd: Command): Promise<string> {
    return this.inner.read(cmd);
  }
  readFile(p: string): Promise<string | undefined> {
    return this.inner.readFile(p);
  }
  async change(cmd: Command): Promise<void> {
    this.changes.push(cmd);
  }
}
