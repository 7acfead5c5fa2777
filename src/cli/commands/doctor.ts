// doctor: what is wrong with the bonds on this router, why, and the commands that fix it. Reads
// only; takes no lock. Exit 0 with nothing above info, 1 with a warning or an error, 2 for a usage
// or configuration file error (as `config check`).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Runner } from '../../exec/runner.js';
import { makeLogger, type Log } from '../../log.js';
import { bundleEntries, writeBundle } from '../../doctor/bundle.js';
import { gather } from '../../doctor/gather.js';
import { buildReport, exitCodeOf, formatReport } from '../../doctor/report.js';
import { buildContext, type Context, type EngineOpts } from '../context.js';
import type { Io } from '../io.js';

export const DEFAULT_WINDOW_MS = 2000;

export interface DoctorOptions {
  json: boolean;
  windowMs: number;
  bundle: string | undefined;
  sleep?: (ms: number) => Promise<void>;
}

/** `--window 2s`: 0 to 60 s between the two readings of the counters. */
export function parseWindow(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WINDOW_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000)) : NaN;
  if (!(ms >= 0 && ms <= 60_000)) throw new UsageError(`--window: expected a duration from 0s to 60s, found '${text}'`, 'write e.g. --window 10s (longer catches more traffic; 0s skips the traffic checks)');
  return ms;
}

export async function cmdDoctor(ctx: Context, g: EngineOpts, o: DoctorOptions, io: Io): Promise<number> {
  const x = await gather(ctx, { windowMs: o.windowMs, ...(o.sleep ? { sleep: o.sleep } : {}) });
  const report = buildReport(x);
  io.out(o.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  if (o.bundle !== undefined) {
    const entries = await bundleEntries(ctx, x, report, { confDir: g.confDir, settingsFile: ctx.desired.settingsFile });
    const { bytes } = await writeBundle(o.bundle, entries);
    io.err(`bundle: ${o.bundle} (${entries.length} files, ${Math.ceil(bytes / 1024)} kB, secrets masked)\n`);
  }
  return exitCodeOf(report);
}

export function registerDoctor(program: Command, io: Io, setExit: (c: number) => void, deps: { runner?: Runner; log?: Log } = {}): void {
  program.command('doctor').description('what is wrong with the bonds, why, and the commands that fix it; exit 1 if something needs fixing')
    .option('--json', 'machine-readable output (docs/doctor.schema.json)')
    .option('--window <duration>', 'time between the two readings of the counters (traffic, rising errors)', '2s')
    .option('--bundle <file>', 'also write a support bundle (tar.gz, secrets masked, mode 0600)')
    .action(async (o: { json?: boolean; window?: string; bundle?: string }, cmd: Command) => {
      const windowMs = parseWindow(o.window);
      const g = cmd.optsWithGlobals<EngineOpts>();
      const ctx = await buildContext(g, deps.log ?? makeLogger('doctor'), deps.runner);
      setExit(await cmdDoctor(ctx, g, { json: o.json === true, windowMs, bundle: o.bundle }, io));
    });
}
