// doctor: what is wrong with the bonds on this router, why, and the commands that fix it. Reads
// only; takes no lock. Exit 0 with nothing above info, 1 with a warning or an error, 2 for a usage
// or configuration file error (as `config check`).
import type { Command } from 'commander';
import { WanbondError } from '../../errors.js';
import type { Runner } from '../../exec/runner.js';
import { makeLogger, type Log } from '../../log.js';
import { bundleEntries, writeBundle, type Diagnosis } from '../../doctor/bundle.js';
import { gather } from '../../doctor/gather.js';
import { buildReport, exitCodeOf, formatReport } from '../../doctor/report.js';
import { DEFAULT_SETTINGS_FILE } from '../../config/settings.js';
import { buildBaseContext, buildContext, type BaseContext, type Context, type EngineOpts } from '../context.js';
import { parseDuration } from '../duration.js';
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
  return parseDuration(
    '--window',
    text,
    60_000,
    'write e.g. --window 10s (longer catches more traffic; 0s skips the traffic checks)',
  );
}

export async function cmdDoctor(ctx: Context, g: EngineOpts, o: DoctorOptions, io: Io): Promise<number> {
  const x = await gather(ctx, { windowMs: o.windowMs, ...(o.sleep ? { sleep: o.sleep } : {}) });
  const report = buildReport(x);
  io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (o.bundle !== undefined) await bundle(ctx, { ctx, x, report }, g, ctx.desired.settingsFile, o.bundle, io);
  return exitCodeOf(report);
}

async function bundle(
  base: BaseContext,
  d: Diagnosis,
  g: EngineOpts,
  settingsFile: string | undefined,
  file: string,
  io: Io,
): Promise<void> {
  const entries = await bundleEntries(base, d, { confDir: g.confDir, settingsFile });
  const { bytes } = await writeBundle(file, entries);
  io.err(
    `bundle: ${file} (${entries.length} files, ${Math.ceil(bytes / 1024)} kB, secrets masked` +
      `${'error' in d ? '; no plan or report: the configuration does not load' : ''})\n`,
  );
}

/**
 * The context doctor needs; with --bundle, a configuration that does not load still gets its bundle before
 * the error.
 */
async function contextOrBundle(
  g: EngineOpts,
  bundleFile: string | undefined,
  io: Io,
  deps: { runner?: Runner; log?: Log },
): Promise<Context> {
  const log = deps.log ?? makeLogger('doctor');
  try {
    return await buildContext(g, log, deps.runner);
  } catch (e) {
    if (bundleFile !== undefined && e instanceof WanbondError)
      await bundle(
        buildBaseContext(g, log, deps.runner),
        { error: e },
        g,
        g.settings ?? DEFAULT_SETTINGS_FILE,
        bundleFile,
        io,
      );
    throw e;
  }
}

export function registerDoctor(
  program: Command,
  io: Io,
  setExit: (c: number) => void,
  deps: { runner?: Runner; log?: Log } = {},
): void {
  program
    .command('doctor')
    .description('what is wrong with the bonds, why, and the commands that fix it; exit 1 if something needs fixing')
    .option('--json', 'machine-readable output (docs/doctor.schema.json)')
    .option('--window <duration>', 'time between the two readings of the counters (traffic, rising errors)', '2s')
    .option('--bundle <file>', 'also write a support bundle (tar.gz, secrets masked, mode 0600)')
    .action(async (o: { json?: boolean; window?: string; bundle?: string }, cmd: Command) => {
      const windowMs = parseWindow(o.window);
      const g = cmd.optsWithGlobals<EngineOpts>();
      const ctx = await contextOrBundle(g, o.bundle, io, deps);
      setExit(await cmdDoctor(ctx, g, { json: o.json === true, windowMs, bundle: o.bundle }, io));
    });
}
