// The CLI's one error boundary: argv -> command -> exit code. Nothing below cli/ calls process.exit.
import { Command, CommanderError } from 'commander';
import { ConfigError, ConfigErrors, WanbondError } from '../errors.js';
import { DEFAULT_CONF_DIR } from '../config/load.js';
import { configCheck, configFix } from './commands/config.js';
import { type Io, processIo } from './io.js';
import { registerEngineCommands } from './commands/engine.js';
import type { Runner } from '../exec/runner.js';
import type { Log } from '../log.js';

export interface GlobalOpts { confDir: string }

export interface Deps { runner?: Runner; log?: Log }

export function buildProgram(io: Io, setExit: (code: number) => void, deps: Deps = {}): Command {
  const program = new Command('wanbond')
    .description('bond WAN lines (Sangoma WANPIPE T1/E1, Ethernet uplinks) into one link with Linux TEQL')
    .option('--conf-dir <dir>', 'wanpipe configuration folder', DEFAULT_CONF_DIR)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  const config = program.command('config').description('read and fix the wanpipe configuration');
  config.command('check')
    .description('print devices, interfaces and how a line failure will be seen; exit 1 if something needs fixing')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      setExit(await configCheck(cmd.optsWithGlobals<GlobalOpts>().confDir, o.json === true, io));
    });
  config.command('fix')
    .description('set DYN_INTR_CFG = YES on each bonded interface (backup + atomic write)')
    .option('--dry-run', 'print a unified diff, change nothing')
    .option('--only <ifnames>', 'comma-separated interfaces to fix (default: every IP interface)')
    .action(async (o: { dryRun?: boolean; only?: string }, cmd: Command) => {
      const only = o.only ? new Set(o.only.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
      setExit(await configFix(cmd.optsWithGlobals<GlobalOpts>().confDir, o.dryRun === true, io, only));
    });
  registerEngineCommands(program, io, setExit, deps);
  return program;
}

export async function run(argv: string[], io: Io = processIo, deps: Deps = {}): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; }, deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      io.err(`error: ${e.message}\nhint: ${e.hint}\n`);
      return 2;
    }
    if (e instanceof WanbondError) {
      io.err(`error: ${e.message}\nhint: ${e.hint}\n`);
      return 1;
    }
    const err = e as Error;
    io.err(`error: this is a bug in wanbond, please report it with this output\n${err.stack ?? String(err)}\n`);
    return 70;
  }
}
