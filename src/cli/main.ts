// The CLI's one error boundary: argv -> command -> exit code. Nothing below cli/ calls process.exit.
//   0 done / nothing to do    1 failed (rolled back) or something to fix    2 usage, or a config file error (file:line)
//   75 another wanbond holds the lock    130 / 143 stopped by SIGINT / SIGTERM (what was done is undone)
//   70 a bug in wanbond (never a condition a user can cause)
import { Command, CommanderError } from 'commander';
import { ConfigError, ConfigErrors, UsageError, WanbondError } from '../errors.js';
import { DEFAULT_CONF_DIR } from '../config/load.js';
import { ApplyError, InterruptedError } from '../apply/apply.js';
import { BusyError } from '../exec/lock.js';
import { fileError } from '../fsx/safe-files.js';
import { configCheck, configFix } from './commands/config.js';
import { type Io, processIo } from './io.js';
import { registerEngineCommands } from './commands/engine.js';
import { registerWatch } from './commands/watch.js';
import { registerInstallUnits } from './commands/install-units.js';
import { registerDoctor } from './commands/doctor.js';
import { exitCodeForSignal } from './signals.js';
import type { Runner } from '../exec/runner.js';
import type { Log } from '../log.js';
import { makeLogger } from '../log.js';
import type { EngineOpts } from './context.js';
import { VERSION } from '../version.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, bug: 70, busy: 75 } as const;

export interface Deps {
  runner?: Runner;
  log?: Log;
  /** How `status` waits between its two readings of the counters (tests: without waiting). */
  sleep?: (ms: number) => Promise<void>;
}

export function buildProgram(io: Io, setExit: (code: number) => void, deps: Deps = {}): Command {
  const program = new Command('wanbond')
    .description('bond WAN lines (Sangoma WANPIPE T1/E1, Ethernet uplinks) into one link with Linux TEQL')
    .version(VERSION, '-V, --version', "print wanbond's version")
    .option('--conf-dir <dir>', 'wanpipe configuration folder', DEFAULT_CONF_DIR)
    .option('--settings <file>', 'wanbond settings (default /etc/wanbond/wanbond.conf; embedded defaults when absent)')
    .option('--state-dir <dir>', 'where up records what it did (root-owned, not group/world-writable)', '/run/wanbond')
    .option('--wanrouter-proc <dir>', 'wanrouter proc folder', '/proc/net/wanrouter')
    .option('--wanrouter <path>', 'the wanrouter program', 'wanrouter')
    .option('--lock-wait <seconds>', 'how long to wait for another wanbond that is changing the system', '60')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  const config = program.command('config').description('read and fix the wanpipe configuration');
  config
    .command('check')
    .description('print devices, interfaces and how a line failure will be seen; exit 1 if something needs fixing')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<EngineOpts>();
      setExit(await configCheck(g, o.json === true, io, deps.log ?? makeLogger('config'), deps.runner));
    });
  config
    .command('fix')
    .description('set DYN_INTR_CFG = YES on each bonded interface (backup + atomic write)')
    .option('--dry-run', 'print a unified diff, change nothing')
    .option('--only <ifnames>', 'comma-separated interfaces to fix (default: every IP interface)')
    .action(async (o: { dryRun?: boolean; only?: string }, cmd: Command) => {
      const only =
        o.only !== undefined
          ? o.only
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined;
      const g = cmd.optsWithGlobals<EngineOpts>();
      setExit(await configFix(g, o.dryRun === true, io, only, deps.log ?? makeLogger('config'), deps.runner));
    });
  registerEngineCommands(program, io, setExit, deps);
  registerWatch(program, io, setExit, deps);
  registerInstallUnits(program, io, setExit);
  registerDoctor(program, io, setExit, deps);
  return program;
}

/** An error as the operator reads it, and the exit code it gives. */
export function answer(e: unknown): { text: string; code: number } {
  if (e instanceof CommanderError) return { text: '', code: e.exitCode === 0 ? 0 : EXIT.usage };
  const interrupted =
    e instanceof InterruptedError
      ? e
      : e instanceof ApplyError && e.cause instanceof InterruptedError
        ? e.cause
        : undefined;
  if (interrupted && e instanceof WanbondError)
    return { text: `error: ${e.message}\n`, code: exitCodeForSignal(interrupted.signalName) };
  if (e instanceof ConfigError || e instanceof ConfigErrors || e instanceof UsageError)
    return { text: `error: ${e.message}\nhint: ${e.hint}\n`, code: EXIT.usage };
  if (e instanceof BusyError) return { text: `error: ${e.message}\nhint: ${e.hint}\n`, code: EXIT.busy };
  if (e instanceof WanbondError) return { text: `error: ${e.message}\nhint: ${e.hint}\n`, code: EXIT.failed };
  // An OS error on a file (permissions, a full disk) is the operator's to fix, not a bug.
  const sys = e as NodeJS.ErrnoException;
  if (
    sys instanceof Error &&
    typeof sys.code === 'string' &&
    typeof sys.syscall === 'string' &&
    typeof sys.path === 'string'
  ) {
    const w = fileError(sys.path, sys, sys.syscall);
    return { text: `error: ${w.message}\nhint: ${w.hint}\n`, code: EXIT.failed };
  }
  const err = e as Error;
  return {
    text: `error: this is a bug in wanbond, please report it with this output\n${err?.stack ?? String(err)}\n`,
    code: EXIT.bug,
  };
}

export async function run(argv: string[], io: Io = processIo, deps: Deps = {}): Promise<number> {
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    deps,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const a = answer(e);
    if (a.text) io.err(a.text);
    return a.code;
  }
}
