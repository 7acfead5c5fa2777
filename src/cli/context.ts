// Everything an engine command needs, built once from the global options.
import { promises as fs } from 'node:fs';
import { loadSite } from '../config/load.js';
import { DEFAULT_SETTINGS_FILE, defaultSettings, parseSettings, type Settings } from '../config/settings.js';
import type { Site } from '../config/site.js';
import { assertUnchanged, writeFix, planFix, type FixPlan, type WrittenFix } from '../config/write-fix.js';
import { UsageError, WanbondError } from '../errors.js';
import { ExecaRunner, type Runner } from '../exec/runner.js';
import { readsOf } from '../bonds/registry.js';
import { fileError } from '../fsx/safe-files.js';
import type { Log } from '../log.js';
import { DEFAULT_WANROUTER_PROC, observe } from '../observe/read.js';
import { plan, planForDisplay, sysctlKeys, type PlanOptions } from '../plan/diff.js';
import type { Plan } from '../plan/steps.js';
import { desiredState } from '../state/desired.js';
import { pruneStamps, readStamps, staleDrivers, writeStamps } from '../state/drivers.js';
import { BOOT_ID_FILE, DEFAULT_STATE_DIR } from '../state/record.js';
import type { DesiredState, ObservedState, StaleDriver } from '../state/types.js';
import { bondedLines } from '../state/ipv6.js';

export interface EngineOpts {
  confDir: string;
  settings?: string;
  stateDir?: string;
  wanrouterProc?: string;
  wanrouter?: string;
  lockWait?: string;
}

/** What every command that touches the kernel needs, without reading any configuration (`down`). */
export interface BaseContext {
  runner: Runner;
  log: Log;
  stateDir: string;
  wanrouterProc: string;
  bootId: () => Promise<string>;
  /** When this boot began (btime in /proc/stat), in ms. */
  bootTimeMs: () => Promise<number | undefined>;
  lockWaitMs: number;
}

export interface Context extends BaseContext {
  settings: Settings;
  site: Site | undefined;
  /** Where the wanpipe files are read from, whether or not they exist now (the daemon watches it). */
  confDir: string;
  desired: DesiredState;
  /** The kernel, with the drivers that run an older configuration than their files. */
  /**
   * `tables`: also read nftables, the rules and these tables (what a recorded bond no longer configured
   * left); ipv6: also what IPv6 the bonded lines carry (doctor, status, up; never the daemon's ring).
   */
  observe: (
    extraSysctls?: string[],
    o?: { lean?: boolean; tables?: number[]; ipv6?: boolean },
  ) => Promise<ObservedState>;
  /** What `up` applies (device restarts apart); `without`: bonds left out (they cannot be planned now). */
  plan: (
    o: ObservedState,
    afterWait: boolean,
    extra?: Pick<PlanOptions, 'out' | 'keepAdminState'> & { without?: ReadonlySet<string> },
  ) => Plan;
  /** What `plan` and `up --dry-run` show: the plan, then the device restarts. */
  planForDisplay: (o: ObservedState) => Plan;
  fixConfig: (ifaces: string[]) => Promise<void>;
  restart: boolean;
}

async function readSettings(explicit: string | undefined): Promise<Settings> {
  const file = explicit ?? DEFAULT_SETTINGS_FILE;
  let text: string;
  try {
    text = (await fs.readFile(file)).toString('latin1');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' && explicit === undefined) return defaultSettings();
    if (err.code === 'ENOENT')
      throw new WanbondError(`${file}: no such settings file`, 'check the path given to --settings');
    throw fileError(file, err, 'read the settings');
  }
  return parseSettings(file, text);
}

async function readSiteIfAny(confDir: string, settings: Settings): Promise<Site | undefined> {
  const everySlaveListed = settings.bonds.every((b) => b.slaves !== undefined);
  try {
    await fs.access(confDir);
  } catch {
    if (everySlaveListed) return undefined; // Ethernet-only site: no wanpipe at all
  }
  return loadSite(confDir);
}

function lockWaitMs(o: EngineOpts): number {
  if (o.lockWait === undefined) return 60_000;
  const n = Number(o.lockWait);
  if (!/^\d+(\.\d+)?$/.test(o.lockWait) || n > 3600)
    throw new UsageError(
      `--lock-wait: expected seconds from 0 to 3600, found '${o.lockWait}'`,
      'write e.g. --lock-wait 30',
    );
  return n * 1000;
}

export function buildBaseContext(o: EngineOpts, log: Log, runner?: Runner): BaseContext {
  const r = runner ?? new ExecaRunner(log, o.wanrouter ? { wanrouter: o.wanrouter } : {});
  return {
    runner: r,
    log,
    stateDir: o.stateDir ?? DEFAULT_STATE_DIR,
    wanrouterProc: o.wanrouterProc ?? DEFAULT_WANROUTER_PROC,
    lockWaitMs: lockWaitMs(o),
    bootId: async () => {
      const id = (await r.readFile(BOOT_ID_FILE))?.trim();
      if (!id) throw new WanbondError(`cannot read ${BOOT_ID_FILE}`, 'wanbond runs on Linux with /proc mounted');
      return id;
    },
    bootTimeMs: async () => {
      const m = /^btime (\d+)$/m.exec((await r.readFile('/proc/stat')) ?? '');
      return m ? Number(m[1]) * 1000 : undefined;
    },
  };
}

/** Running devices whose driver still runs an older configuration than its file, from this boot's notes. */
export async function staleOf(base: BaseContext, o: ObservedState): Promise<StaleDriver[]> {
  const running = (o.wanrouterDevices ?? []).map((d) => d.name);
  return running.length === 0
    ? []
    : staleDrivers(await readStamps(base.stateDir, await base.bootId()), o.links, running);
}

/** Writes DYN_INTR_CFG and notes each running device whose driver keeps the old value until it restarts. */
export async function fixAndStamp(
  base: BaseContext,
  site: Site,
  fix: FixPlan,
  o: ObservedState,
): Promise<{ running: string[]; written: WrittenFix[] }> {
  const running = new Set((o.wanrouterDevices ?? []).map((d) => d.name));
  const changed = fix.results.flatMap((r) => r.changes.map((c) => c.iface));
  const devices = [
    ...new Set(
      changed
        .map((i) => site.interfaces.find((x) => x.name === i)?.device)
        .filter((d): d is string => d !== undefined && running.has(d)),
    ),
  ];
  // The files must still be what the fix was planned from, before any note says they changed.
  await assertUnchanged(fix);
  const bootId = await base.bootId();
  let stamps = pruneStamps(await readStamps(base.stateDir, bootId), o.links, [...running]);
  for (const device of devices) {
    // already behind since an earlier change: the oldest state is what the driver runs
    if (stamps.devices[device]) continue;
    const ifs = site.interfaces.filter((i) => i.device === device);
    const ifindexes = Object.fromEntries(
      ifs.flatMap((i) => {
        const l = o.links.find((x) => x.name === i.name);
        return l ? [[i.name, l.ifindex]] : [];
      }),
    );
    stamps = {
      ...stamps,
      devices: {
        ...stamps.devices,
        [device]: {
          ifindexes,
          driver: Object.fromEntries(ifs.filter((i) => i.carriesIp).map((i) => [i.name, i.dynIntrCfg])),
          since: new Date().toISOString(),
          why:
            'DYN_INTR_CFG was written to ' +
            (site.files.find((f) => f.devices.some((d) => d.name === device))?.file ?? 'its file') +
            ` while ${device} was running`,
        },
      },
    };
  }
  // The note goes down before the file changes: a crash in between leaves a warning too many, never one too few.
  if (devices.length > 0) await writeStamps(base.stateDir, stamps);
  const written = await writeFix(fix);
  return { running: devices, written };
}

/** Every device wanrouter.rc starts (or every configured one): what `wanrouter start` with no device starts. */
export const siteDevicesOf = (site: Site | undefined): string[] =>
  site ? (site.rc?.devices?.map((d) => d.name) ?? site.devices.map((d) => d.name)) : [];

export async function buildContext(o: EngineOpts, log: Log, runner?: Runner): Promise<Context> {
  const base = buildBaseContext(o, log, runner);
  const settings = await readSettings(o.settings);
  const site = await readSiteIfAny(o.confDir, settings);
  const desired = desiredState(settings, site, o.settings ?? DEFAULT_SETTINGS_FILE);
  const siteDevices = siteDevicesOf(site);
  // wanbond's own routing tables of these bonds, which observe reads with the rules and nftables.
  const { tables, conntrack } = readsOf(desired.bonds);
  const ctx: Context = {
    ...base,
    settings,
    site,
    confDir: o.confDir,
    desired,
    restart: true,
    observe: async (extra = [], oo = {}) => {
      // A weighted bond's ring change needs nftables and main's routes, and a slave's probe route its
      // table and rule, which a lean read leaves out.
      const lean = oo.lean === true && tables.length === 0;
      const read = oo.tables ? [...new Set([...tables, ...oo.tables])] : tables;
      const obs = await observe(base.runner, {
        sysctls: [...new Set([...sysctlKeys(desired), ...extra])],
        wanrouterProc: base.wanrouterProc,
        ...(lean ? { lean: true } : {}),
        ...(read.length > 0 || oo.tables ? { weightedTables: read } : {}),
        ...(conntrack ? { conntrack: true } : {}),
        ...(oo.ipv6 ? { ipv6Lines: bondedLines(desired) } : {}),
      });
      obs.staleDrivers = await staleOf(base, obs);
      return obs;
    },
    plan: (obs, afterWait, { without, ...extra } = {}) => {
      const d = without ? { ...desired, bonds: desired.bonds.filter((b) => !without.has(b.name)) } : desired;
      return plan(afterWait ? { ...d, configFix: [] } : d, obs, { siteDevices, afterWait, ...extra });
    },
    planForDisplay: (obs) => planForDisplay(desired, obs, { siteDevices, restarts: ctx.restart }),
    fixConfig: async (ifaces) => {
      if (!site) return;
      const { running } = await fixAndStamp(base, site, planFix(site, new Set(ifaces)), await ctx.observe());
      log.info({ ifaces, runningDevices: running }, 'DYN_INTR_CFG = YES written');
    },
  };
  return ctx;
}
