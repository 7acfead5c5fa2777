// plan / up / down / status.
import { keptOut, judgedOutOf, type JudgedOut } from '../../watch/judged-out.js';
import type { Command } from 'commander';
import { InterruptedError, runAll } from '../../apply/apply.js';
import { Transactions } from '../../apply/recorded.js';
import { fixDiff, planFix } from '../../config/write-fix.js';
import { StateError, WanbondError } from '../../errors.js';
import { acquireLock, type Lock } from '../../exec/lock.js';
import { argvOf, type Runner } from '../../exec/runner.js';
import { makeLogger, type Log } from '../../log.js';
import { observe } from '../../observe/read.js';
import { parseLinks } from '../../observe/parse.js';
import { devicesToRestart, restartSteps } from '../../plan/diff.js';
import { describe, isHoldStep, shellQuote, toCommand, type Plan, type Step } from '../../plan/steps.js';
import {
  recordedSysctlKeys,
  recordedTables,
  recordsWeighted,
  stillToUndo,
  teardown,
  teardownOf,
  undoPairs,
} from '../../plan/teardown.js';
import { orphansOf, orphanTeardown, rollbackOf, unrecordedBonds, type Orphans } from '../../plan/orphans.js';
import { withoutEntries } from '../../state/merge.js';
import { readRecord, recordFile, writeRecord, type Record } from '../../state/record.js';
import type { DesiredState, ObservedState, StaleDriver } from '../../state/types.js';
import { kindOf } from '../../bonds/registry.js';
import { nftBlocker } from '../../bonds/weighted/plan.js';
import { NFT_FAMILY, NFT_TABLE } from '../../bonds/weighted/ruleset.js';
import { carriesText, ipv6Carriers, IPV6_WHY } from '../../state/ipv6.js';
import { buildBaseContext, buildContext, type BaseContext, type Context, type EngineOpts } from '../context.js';
import { parseDuration } from '../duration.js';
import type { Io } from '../io.js';
import { onInterrupt } from '../signals.js';
import { bondStatus, formatRemoved, formatStatus } from './status.js';
import { readDaemonView } from '../../watch/health-file.js';
import { plural } from '../../text.js';

/** The shell lines for one step: its command, or comments for what wanbond does itself. */
function stepLines(s: Step, ctx: Context | undefined): string[] {
  const c = toCommand(s);
  // A command that reads its standard input (nft -f -) is printed with it, as a here-document.
  if (c?.input !== undefined)
    return [`${shellQuote(argvOf(c))} <<'EOF'`, ...c.input.replace(/\n$/, '').split('\n'), 'EOF'];
  if (c) return [shellQuote(argvOf(c))];
  if (s.kind === 'fix-config' && ctx?.site) {
    return [
      `# ${describe(s)}: wanbond config fix --only ${s.ifaces.join(',')}`,
      ...fixDiff(planFix(ctx.site, new Set(s.ifaces)))
        .trimEnd()
        .split('\n')
        .map((l) => `#   ${l}`),
    ];
  }
  return [`# ${describe(s)}`];
}

/** `--dry-run`: the commands, copy-pasteable, and nothing changed. */
function printDryRun(verb: string, steps: readonly Step[], ctx: Context | undefined, io: Io): number {
  io.out(`# wanbond ${verb} --dry-run: ${plural(steps.length, 'step')}; nothing was changed\n`);
  for (const l of steps.flatMap((s) => stepLines(s, ctx))) io.out(`${l}\n`);
  return 0;
}

/** Changes as an operator counts them: commands and the file edit, not waits or queue holds. */
export const countChanges = (steps: readonly Step[]) =>
  steps.filter((s) => s.kind === 'fix-config' || (toCommand(s) !== undefined && !isHoldStep(s))).length;

const bondsLine = (ctx: Context, without?: ReadonlySet<string>) =>
  ctx.desired.bonds
    .filter((b) => !without?.has(b.name))
    .map((b) => `${b.name} (${b.slaves.map((s) => s.name).join(', ')})`)
    .join(', ');

/** Loud, on stderr: a device whose driver still runs a configuration without DYN_INTR_CFG = YES. */
export function staleWarning(stale: StaleDriver[], io: Io): void {
  for (const d of stale) {
    const no = Object.entries(d.driver)
      .filter(([, v]) => v !== 'YES')
      .map(([i]) => i);
    const deadNote =
      no.length > 0
        ? `: its driver has DYN_INTR_CFG off for ${no.join(', ')}, so a dead line there is not taken out of the bond`
        : '';
    io.err(
      `WARNING: ${d.device} still runs the configuration it read before ${d.since}${deadNote}\n` +
        `  why: ${d.why}; a wanpipe driver reads its configuration only when the device starts\n` +
        `  fix: wanrouter restart ${d.device}   ` +
        `(its lines leave the bond while it restarts; \`wanbond up\` does it one device at a time)\n`,
    );
  }
}

/**
 * Loud, on stderr: each line its bond's kind holds out for a problem of its own (a per-connection
 * uplink without its address). `up` then exits 1 (something to fix) although every other line and bond
 * is up: a boot or a script must see it.
 */
function heldReport(ctx: Context, o: ObservedState, io: Io, dryRun = false): number {
  const held = ctx.desired.bonds.flatMap((b) => kindOf(b).heldOut(b, o, ctx.desired.settingsFile));
  for (const { text: t } of held) io.err(`${dryRun ? 'note' : 'error'}: ${t.what}; ${t.why}\nhint: ${t.hint}\n`);
  return held.length > 0 && !dryRun ? 1 : 0;
}

/** Once per `up`, on stderr: bonded lines that carry IPv6 beside their bond (wanbond bonds IPv4 only). */
export function ipv6Warning(d: DesiredState, o: ObservedState, io: Io): void {
  const found = d.bonds.flatMap((b) => ipv6Carriers(b, o).map((c) => `${c.line} beside ${b.name} (${carriesText(c)})`));
  if (found.length === 0) return;
  io.err(
    `WARNING: IPv6 is not bonded: ${found.join('; ')}\n  why: ${IPV6_WHY}\n` +
      '  fix: take IPv6 off each such line (sysctl -w net.ipv6.conf.<line>.disable_ipv6=1), or route IPv6 by another' +
      ' interface; wanbond doctor names the commands (bond.ipv6-unbonded)\n',
  );
}

export async function withLock<T>(base: BaseContext, what: string, body: () => Promise<T>): Promise<T> {
  const lock: Lock = await acquireLock(base.stateDir, { what, waitMs: base.lockWaitMs });
  try {
    return await body();
  } finally {
    await lock.release();
  }
}

/** The record: this boot's, or an empty one with a note when the one there is from another boot. */
export async function currentRecord(base: BaseContext, io: Io): Promise<Record> {
  const r = await readRecord(base.stateDir, await base.bootId(), await base.bootTimeMs());
  if (r.ignored) io.err(`note: ${r.ignored}\n`);
  return r.record;
}

/**
 * Bonds this boot's record holds that the settings no longer have (plan/orphans.ts), and an
 * observation that also reads what they left: their sysctls, tables, rules and nftables.
 */
export function removedBonds(
  ctx: Context,
  record: Record,
): {
  orphans: Orphans;
  observe: (o?: { ipv6?: boolean }) => Promise<ObservedState>;
} {
  const orphans = orphansOf(record.steps, ctx.desired);
  if (orphans.steps.length === 0) return { orphans, observe: (o = {}) => ctx.observe([], o) };
  const tables = recordsWeighted(orphans.steps) ? { tables: recordedTables(orphans.steps) } : {};
  return { orphans, observe: (o = {}) => ctx.observe(recordedSysctlKeys(orphans.steps), { ...tables, ...o }) };
}

/** What `plan` and `up --dry-run` show: the removed bonds taken down, then the plan. */
async function displayPlan(ctx: Context, io: Io): Promise<{ p: Plan; o: ObservedState }> {
  const record = await readableRecord(ctx, io);
  const { orphans, observe } = removedBonds(ctx, record);
  const o = await observe();
  return { p: { version: 1, steps: [...orphanTeardown(orphans, o).steps, ...ctx.planForDisplay(o).steps] }, o };
}

/** Says, on stderr, what looks like a bond of wanbond's that nothing tells it how to take down. */
function noteUnrecorded(ctx: Context, record: Record, o: ObservedState, io: Io): void {
  for (const b of unrecordedBonds(record.steps, ctx.desired, o)) {
    io.err(
      `note: ${b} looks like a bond wanbond set up, but neither the settings nor this boot's record ` +
        `(${recordFile(ctx.stateDir)}) has it: what wanbond changed for it cannot be known, so it is left as it is ` +
        '(wanbond doctor says what to check)\n',
    );
  }
}

export async function cmdPlan(ctx: Context, json: boolean, io: Io): Promise<number> {
  const { p } = await displayPlan(ctx, io);
  if (json) {
    io.out(`${JSON.stringify(p, null, 2)}\n`);
    return 0;
  }
  if (p.steps.length === 0) {
    io.out(`${bondsLine(ctx)}: up to date, nothing to change\n`);
    return 0;
  }
  p.steps.forEach((s, i) => {
    io.out(`${String(i + 1).padStart(2)}. ${describe(s)}\n`);
    if (toCommand(s)) io.out(`    ${stepLines(s, ctx)[0]}\n`);
  });
  return 0;
}

/**
 * `up` under its lock: the plan as one transaction, then each device restart as one of its own, so
 * a restart that fails rolls back only itself and the devices done before it stay done.
 */
export async function upLocked(ctx: Context, io: Io, opts: { judgedOut?: JudgedOut } = {}): Promise<number> {
  let record = await currentRecord(ctx, io);
  const out = keptOut(ctx.desired, opts.judgedOut ?? new Map());
  for (const [line, why] of out)
    io.err(`note: ${line} stays out of its bond: the watch daemon judged it unfit (${why}); it rejoins when healthy\n`);
  const { orphans, observe } = removedBonds(ctx, record);
  const before = await observe({ ipv6: true });
  noteUnrecorded(ctx, record, before, io);
  const removal = orphanTeardown(orphans, before);
  if (removal.steps.length === 0 && orphans.steps.length > 0) {
    // Recorded, but nothing of it is left in the kernel: only the record still names it.
    record = { ...record, steps: withoutEntries(record.steps, orphans.steps) };
    await writeRecord(ctx.stateDir, record);
  }
  // Bonds nftables draws, with no nft that works: the others go up, and `up` fails for these after.
  const blocked = nftBlocker(before);
  const held = blocked ? ctx.desired.bonds.filter((b) => kindOf(b).drawnByNft).map((b) => b.name) : [];
  const without = held.length > 0 && held.length < ctx.desired.bonds.length ? new Set(held) : undefined;
  const planOf = (o: ObservedState, afterWait: boolean) =>
    ctx.plan(o, afterWait, { ...(without ? { without } : {}), ...(out.size > 0 ? { out: new Set(out.keys()) } : {}) });
  // A plan made before a removal may trip over what the removal takes away (a line moved between bonds).
  const p = removal.steps.length > 0 ? undefined : planOf(before, false);
  const toRestart = ctx.restart ? devicesToRestart(ctx.desired, before) : [];
  const heldError = () => {
    if (!without || !blocked) return;
    const kinds = [...new Set(ctx.desired.bonds.filter((b) => without.has(b.name)).map((b) => b.kind))].join(' and ');
    throw new StateError(
      `${held.join(', ')}: ${kinds} bonds need nftables, and ${blocked.why}; the other bonds are up`,
      blocked.hint,
    );
  };
  // Lines held out for a problem of their own are said first; bonds nft cannot carry fail the command.
  const finish = (o: ObservedState): number => {
    const code = heldReport(ctx, o, io);
    heldError();
    return code;
  };
  if (p?.steps.length === 0 && toRestart.length === 0) {
    io.out(`${bondsLine(ctx, without)}: already up, nothing to change\n`);
    staleWarning(before.staleDrivers, io);
    ipv6Warning(ctx.desired, before, io);
    return finish(before);
  }
  if (toRestart.length > 0)
    io.err(
      `wanbond: restarting ${toRestart.join(', ')} one at a time so the drivers read DYN_INTR_CFG = YES; ` +
        `the other lines carry the traffic meanwhile\n`,
    );
  const scope = onInterrupt(io);
  const tx = new Transactions(record, {
    runner: ctx.runner,
    log: ctx.log,
    stateDir: ctx.stateDir,
    observe,
    fixConfig: ctx.fixConfig,
    signal: scope.signal,
    onRecordError: (w) => io.err(`error: could not write the record after the rollback: ${w.message}\n`),
  });
  let changes = 0;
  try {
    if (removal.steps.length > 0) {
      const replan = (o: ObservedState): Plan => ({ version: 1, steps: orphanTeardown(orphans, o).steps });
      const label = `taking down ${orphans.bonds.join(', ')}`;
      const done = await tx.run({ version: 1, steps: removal.steps }, replan, label, rollbackOf(removal.pairs));
      await tx.forget(orphans.steps);
      // Said at once: a plan that fails after it rolls back only itself, the removal stays done.
      const n = plural(countChanges(done), 'change');
      io.out(`${orphans.bonds.join(', ')}: no longer in the settings: taken down (${n})\n`);
    }
    const main = p ?? planOf(tx.last ?? before, false);
    if (main.steps.length > 0) changes += countChanges(await tx.run(main, planOf));
    if (ctx.restart) {
      for (const device of devicesToRestart({ ...ctx.desired, configFix: [] }, tx.last ?? before)) {
        const steps = restartSteps(ctx.desired, tx.last ?? before, device);
        changes += countChanges(await tx.run({ version: 1, steps }, planOf, `restart of ${device}`));
      }
    }
  } finally {
    scope.dispose();
  }
  const last = tx.last ?? before;
  io.out(`${bondsLine(ctx, without)}: up (${plural(changes, 'change')})\n`);
  staleWarning(last.staleDrivers, io);
  ipv6Warning(ctx.desired, before, io);
  return finish(last);
}

export async function cmdUp(
  build: () => Promise<Context>,
  base: BaseContext,
  dryRun: boolean,
  io: Io,
): Promise<number> {
  if (dryRun) {
    const ctx = await build();
    const { p, o } = await displayPlan(ctx, io);
    heldReport(ctx, o, io, true);
    if (p.steps.length === 0) {
      io.out(`${bondsLine(ctx)}: already up, nothing to change\n`);
      return 0;
    }
    return printDryRun('up', p.steps, ctx, io);
  }
  // The configuration is read under the lock: another `up` may have just fixed it. A running daemon's
  // judgement holds: the lines it took out stay out.
  return withLock(base, 'up', async () => {
    const daemon = await readDaemonView(base.stateDir);
    const judgedOut = daemon.running ? judgedOutOf(daemon.file) : undefined;
    return upLocked(await build(), io, judgedOut ? { judgedOut } : {});
  });
}

export async function cmdDown(base: BaseContext, dryRun: boolean, io: Io): Promise<number> {
  const observeFor = (record: Record) =>
    observe(base.runner, {
      sysctls: recordedSysctlKeys(record.steps),
      wanrouterProc: base.wanrouterProc,
      ...(recordsWeighted(record.steps) ? { weightedTables: recordedTables(record.steps) } : {}),
    });
  if (dryRun) {
    const record = await currentRecord(base, io);
    if (record.steps.length === 0) {
      io.out(`nothing to undo: no record of this boot in ${base.stateDir}\n`);
      return 0;
    }
    return printDryRun('down', teardown(record.steps, await observeFor(record)), undefined, io);
  }
  return withLock(base, 'down', async () => {
    const record = await currentRecord(base, io);
    if (record.steps.length === 0) {
      io.out(
        `nothing to undo: no record of this boot in ${base.stateDir} ` +
          `(wanbond up did not change anything since boot, or down already ran)\n`,
      );
      return 0;
    }
    const observed = await observeFor(record);
    // wanbond's table cannot be seen, so it is not deleted blind: said, with how to do it by hand.
    const unseen = observed.policy?.nftUnusable;
    if (unseen !== undefined && record.steps.some((s) => s.kind === 'nft-table')) {
      io.err(
        `warning: wanbond's nftables table is left as it is: nft cannot list it (${unseen})\n` +
          `  fix: nft delete table ${NFT_FAMILY} ${NFT_TABLE}   (if \`nft list tables\` shows it)\n`,
      );
    }
    const pairs = undoPairs(record.steps, observed);
    const steps = teardownOf(pairs, observed);
    const scope = onInterrupt(io);
    let failures: { step: Step; error: string }[];
    try {
      ({ failures } = await runAll(steps, { runner: base.runner, log: base.log, signal: scope.signal }));
    } finally {
      scope.dispose();
    }
    const left = stillToUndo(record.steps, await observeFor(record));
    await writeRecord(base.stateDir, { ...record, steps: left });
    if (scope.signal.aborted) throw new InterruptedError(String(scope.signal.reason));
    // A batch that failed is retried line by line, and a line that had run already fails again:
    // only what is still left to undo is a real failure.
    const real = failures.filter(
      (f) => pairs.some((p) => p.undo === f.step && left.includes(p.step)) || !pairs.some((p) => p.undo === f.step),
    );
    if (real.length > 0 || left.length > 0) {
      throw new WanbondError(
        'down incomplete: ' +
          [
            ...real.map((f) => `${describe(f.step)}: ${f.error}`),
            ...(real.length === 0 ? left.map((s) => `still to undo: ${describe(s)}`) : []),
          ].join('; '),
        'fix what is named, then run `wanbond down` again: it undoes only what is left',
      );
    }
    io.out(`down: ${plural(countChanges(steps), 'change')} undone\n`);
    return 0;
  });
}

/** The record for what reads only (plan, status): one that cannot be read names no bond, and says why. */
export async function readableRecord(base: BaseContext, io: Io): Promise<Record> {
  try {
    return await currentRecord(base, io);
  } catch (e) {
    io.err(`note: bonds removed from the settings cannot be named: ${(e as Error).message}\n`);
    return { version: 2, bootId: '', steps: [] };
  }
}

export const DEFAULT_STATUS_INTERVAL_MS = 1000;
/** Bounds the wait so that status stays a quick read for scripts. */
export const MAX_STATUS_INTERVAL_MS = 10_000;

export interface StatusOptions {
  json: boolean;
  /** Between the two readings of the counters the share column is measured over; 0 measures none. */
  intervalMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** ms on a clock that does not jump (the interval is divided by). */
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function cmdStatus(ctx: Context, opts: StatusOptions, io: Io): Promise<number> {
  const now = opts.now ?? (() => performance.now());
  const record = await readableRecord(ctx, io);
  const { orphans, observe } = removedBonds(ctx, record);
  // The engine's reading is the first of the two: its `ip` starts right away, as the second's does below.
  const t0 = now();
  const o = await observe({ ipv6: true });
  let counters: Parameters<typeof bondStatus>[3];
  if (opts.intervalMs > 0) {
    await (opts.sleep ?? realSleep)(opts.intervalMs);
    const t1 = now();
    const links = parseLinks(await ctx.runner.read({ file: 'ip', args: ['-j', '-s', 'link', 'show'] }));
    counters = { before: { atMs: t0, links: o.links }, after: { atMs: t1, links } };
  }
  const s = bondStatus(ctx.desired, o, await readDaemonView(ctx.stateDir), counters);
  io.out(opts.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
  // Until `up` takes them down, on stdout with the bonds (the JSON keeps its shape: configured bonds).
  if (!opts.json && orphanTeardown(orphans, o).steps.length > 0) io.out(formatRemoved(orphans.bonds));
  return 0;
}

export function registerEngineCommands(
  program: Command,
  io: Io,
  setExit: (c: number) => void,
  deps: { runner?: Runner; log?: Log; sleep?: (ms: number) => Promise<void> } = {},
): void {
  const ctx = async (cmd: Command, name: string, noFix = false) => {
    const o = cmd.optsWithGlobals<EngineOpts & { configFix?: boolean; restart?: boolean }>();
    const c = await buildContext(o, deps.log ?? makeLogger(name), deps.runner);
    if (noFix || o.configFix === false) c.desired.configFix = [];
    if (o.restart === false) c.restart = false;
    return c;
  };
  program
    .command('plan')
    .description('print the steps `up` would run, changing nothing')
    .option('--json', 'the plan as JSON')
    .option('--no-config-fix', 'do not plan the DYN_INTR_CFG edit')
    .option('--no-restart', 'do not plan device restarts')
    .action(async (o: { json?: boolean }, cmd: Command) =>
      setExit(await cmdPlan(await ctx(cmd, 'plan'), o.json === true, io)),
    );
  program
    .command('up')
    .description('bring the bonds up: only what differs; verify; roll back on failure')
    .option('--dry-run', 'print the commands, change nothing')
    .option('--no-config-fix', 'do not edit wanpipe files')
    .option(
      '--no-restart',
      'do not restart devices whose driver runs an older configuration (say which need it instead)',
    )
    .action(async (o: { dryRun?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<EngineOpts>();
      const base = buildBaseContext(g, deps.log ?? makeLogger('up'), deps.runner);
      setExit(await cmdUp(() => ctx(cmd, 'up'), base, o.dryRun === true, io));
    });
  program
    .command('down')
    .description('undo exactly what up did in this boot (reads only its record)')
    .option('--dry-run', 'print the commands, change nothing')
    .action(async (o: { dryRun?: boolean }, cmd: Command) => {
      const base = buildBaseContext(cmd.optsWithGlobals<EngineOpts>(), deps.log ?? makeLogger('down'), deps.runner);
      setExit(await cmdDown(base, o.dryRun === true, io));
    });
  program
    .command('status')
    .description('per bond and line: state, carrier, enslaved, share of the traffic now, errors')
    .option('--json', 'machine-readable output')
    .option(
      '--interval <duration>',
      `time between the two readings of the counters the share is measured over (0s to ` +
        `${MAX_STATUS_INTERVAL_MS / 1000}s; 0s: no share, no wait)`,
      `${DEFAULT_STATUS_INTERVAL_MS / 1000}s`,
    )
    .action(async (o: { json?: boolean; interval: string }, cmd: Command) => {
      const intervalMs = parseDuration(
        '--interval',
        o.interval,
        MAX_STATUS_INTERVAL_MS,
        'write e.g. --interval 3s (longer smooths bursts; 0s skips the share and the wait)',
      );
      const c = await ctx(cmd, 'status', true);
      setExit(
        await cmdStatus(c, { json: o.json === true, intervalMs, ...(deps.sleep ? { sleep: deps.sleep } : {}) }, io),
      );
    });
}
