// plan / up / down / status.
import type { Command } from 'commander';
import { apply, runAll } from '../../apply/apply.js';
import { fixDiff, planFix } from '../../config/write-fix.js';
import { WanbondError } from '../../errors.js';
import { argvOf, type Runner } from '../../exec/runner.js';
import { makeLogger, type Log } from '../../log.js';
import { describe, shellQuote, toCommand, type Step } from '../../plan/steps.js';
import { recordedSysctlKeys, teardown } from '../../plan/teardown.js';
import { readRecord, writeRecord } from '../../state/record.js';
import { buildContext, type Context, type EngineOpts } from '../context.js';
import type { Io } from '../io.js';
import { bondStatus, formatStatus } from './status.js';
import { plural } from '../../text.js';

/** The shell lines for one step: its command, or comments for what wanbond does itself. */
function stepLines(s: Step, ctx: Context): string[] {
  const c = toCommand(s);
  if (c) return [shellQuote(argvOf(c))];
  if (s.kind === 'fix-config' && ctx.site) {
    return [`# ${describe(s)}: wanbond config fix --only ${s.ifaces.join(',')}`,
      ...fixDiff(planFix(ctx.site, new Set(s.ifaces))).trimEnd().split('\n').map((l) => `#   ${l}`)];
  }
  return [`# ${describe(s)}`];
}

/** `--dry-run`: the commands, copy-pasteable, and nothing changed. */
function printDryRun(verb: string, steps: readonly Step[], ctx: Context, io: Io): number {
  io.out(`# wanbond ${verb} --dry-run: ${plural(steps.length, 'step')}; nothing was changed\n`);
  for (const l of steps.flatMap((s) => stepLines(s, ctx))) io.out(l + '\n');
  return 0;
}

const bondsLine = (ctx: Context) => ctx.desired.bonds.map((b) => `${b.teql} (${b.slaves.map((s) => s.name).join(', ')})`).join(', ');

export async function cmdPlan(ctx: Context, json: boolean, io: Io): Promise<number> {
  const p = ctx.plan(await ctx.observe(), false);
  if (json) { io.out(JSON.stringify(p, null, 2) + '\n'); return 0; }
  if (p.steps.length === 0) { io.out(`${bondsLine(ctx)}: up to date, nothing to change\n`); return 0; }
  p.steps.forEach((s, i) => {
    io.out(`${String(i + 1).padStart(2)}. ${describe(s)}\n`);
    if (toCommand(s)) io.out(`    ${stepLines(s, ctx)[0]}\n`);
  });
  return 0;
}

export async function cmdUp(ctx: Context, dryRun: boolean, io: Io): Promise<number> {
  const p = ctx.plan(await ctx.observe(), false);
  if (p.steps.length === 0) { io.out(`${bondsLine(ctx)}: already up, nothing to change\n`); return 0; }
  if (dryRun) {
    return printDryRun('up', p.steps, ctx, io);
  }
  const record = await readRecord(ctx.stateDir);
  const done = await apply(p, { runner: ctx.runner, log: ctx.log, observe: () => ctx.observe(), replan: ctx.plan, fixConfig: ctx.fixConfig });
  await writeRecord(ctx.stateDir, { version: 1, steps: [...record.steps, ...done] });
  io.out(`${bondsLine(ctx)}: up (${plural(done.length, 'change')})\n`);
  return 0;
}

export async function cmdDown(ctx: Context, dryRun: boolean, io: Io): Promise<number> {
  const record = await readRecord(ctx.stateDir);
  if (record.steps.length === 0) {
    io.out(`nothing to undo: no record in ${ctx.stateDir} (wanbond up was not run since boot, or down already ran)\n`);
    return 0;
  }
  const observed = await ctx.observe(recordedSysctlKeys(record.steps));
  const steps = teardown(record.steps, observed);
  if (dryRun) {
    return printDryRun('down', steps, ctx, io);
  }
  const { failures } = await runAll(steps, { runner: ctx.runner, log: ctx.log });
  const left = teardown(record.steps, await ctx.observe(recordedSysctlKeys(record.steps)));
  await writeRecord(ctx.stateDir, { version: 1, steps: left.length === 0 ? [] : record.steps });
  if (failures.length > 0 || left.length > 0) {
    throw new WanbondError(`down incomplete: ${[...failures.map((f) => `${describe(f.step)}: ${f.error}`), ...left.map((s) => `still to do: ${describe(s)}`)].join('; ')}`,
      'fix what is named, then run `wanbond down` again');
  }
  io.out(`down: ${plural(steps.length, 'change')} undone\n`);
  return 0;
}

export async function cmdStatus(ctx: Context, json: boolean, io: Io): Promise<number> {
  const s = bondStatus(ctx.desired, await ctx.observe());
  io.out(json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
  return 0;
}

export function registerEngineCommands(program: Command, io: Io, setExit: (c: number) => void, deps: { runner?: Runner; log?: Log } = {}): void {
  program
    .option('--settings <file>', 'wanbond settings (default /etc/wanbond/wanbond.conf; embedded defaults when absent)')
    .option('--state-dir <dir>', 'where up records what it did', '/run/wanbond')
    .option('--wanrouter-proc <dir>', 'wanrouter proc folder', '/proc/net/wanrouter')
    .option('--wanrouter <path>', 'the wanrouter program', 'wanrouter');
  const ctx = async (cmd: Command, name: string, noFix = false) => {
    const o = cmd.optsWithGlobals<EngineOpts & { configFix?: boolean }>();
    const c = await buildContext(o, deps.log ?? makeLogger(name), deps.runner);
    if (noFix || o.configFix === false) c.desired.configFix = [];
    return c;
  };
  program.command('plan').description('print the steps `up` would run, changing nothing')
    .option('--json', 'the plan as JSON').option('--no-config-fix', 'do not plan the DYN_INTR_CFG edit')
    .action(async (o: { json?: boolean }, cmd: Command) => setExit(await cmdPlan(await ctx(cmd, 'plan'), o.json === true, io)));
  program.command('up').description('bring the bonds up: only what differs; verify; roll back on failure')
    .option('--dry-run', 'print the commands, change nothing').option('--no-config-fix', 'do not edit wanpipe files')
    .action(async (o: { dryRun?: boolean }, cmd: Command) => setExit(await cmdUp(await ctx(cmd, 'up'), o.dryRun === true, io)));
  program.command('down').description('undo exactly what up did')
    .option('--dry-run', 'print the commands, change nothing')
    .action(async (o: { dryRun?: boolean }, cmd: Command) => setExit(await cmdDown(await ctx(cmd, 'down', true), o.dryRun === true, io)));
  program.command('status').description('per bond and line: state, carrier, enslaved, traffic share, errors')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => setExit(await cmdStatus(await ctx(cmd, 'status', true), o.json === true, io)));
}
