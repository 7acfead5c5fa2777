// Everything an engine command needs, built once from the global options.
import { promises as fs } from 'node:fs';
import { loadSite } from '../config/load.js';
import { DEFAULT_SETTINGS_FILE, defaultSettings, parseSettings, type Settings } from '../config/settings.js';
import type { Site } from '../config/site.js';
import { writeFix, planFix } from '../config/write-fix.js';
import { WanbondError } from '../errors.js';
import { ExecaRunner, type Runner } from '../exec/runner.js';
import type { Log } from '../log.js';
import { DEFAULT_WANROUTER_PROC, observe } from '../observe/read.js';
import { plan, sysctlKeys } from '../plan/diff.js';
import type { Plan } from '../plan/steps.js';
import { desiredState } from '../state/desired.js';
import { DEFAULT_STATE_DIR } from '../state/record.js';
import type { DesiredState, ObservedState } from '../state/types.js';

export interface EngineOpts {
  confDir: string;
  settings?: string;
  stateDir?: string;
  wanrouterProc?: string;
  wanrouter?: string;
}

export interface Context {
  settings: Settings;
  site: Site | undefined;
  desired: DesiredState;
  runner: Runner;
  log: Log;
  stateDir: string;
  wanrouterProc: string;
  observe: (extraSysctls?: string[]) => Promise<ObservedState>;
  plan: (o: ObservedState, afterWait: boolean) => Plan;
  fixConfig: (ifaces: string[]) => Promise<void>;
}

async function readSettings(explicit: string | undefined): Promise<Settings> {
  const file = explicit ?? DEFAULT_SETTINGS_FILE;
  let text: string;
  try { text = (await fs.readFile(file)).toString('latin1'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) return defaultSettings();
    throw new WanbondError(`${file}: cannot read settings (${(e as NodeJS.ErrnoException).code})`, explicit ? 'check the path given to --settings' : `check the permissions of ${file}`);
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

export async function buildContext(o: EngineOpts, log: Log, runner?: Runner): Promise<Context> {
  const settings = await readSettings(o.settings);
  const site = await readSiteIfAny(o.confDir, settings);
  const desired = desiredState(settings, site);
  const r = runner ?? new ExecaRunner(log, o.wanrouter ? { wanrouter: o.wanrouter } : {});
  const wanrouterProc = o.wanrouterProc ?? DEFAULT_WANROUTER_PROC;
  const siteDevices = site ? (site.rc?.devices?.map((d) => d.name) ?? site.devices.map((d) => d.name)) : [];
  return {
    settings, site, desired, runner: r, log, wanrouterProc,
    stateDir: o.stateDir ?? DEFAULT_STATE_DIR,
    observe: (extra = []) => observe(r, { sysctls: [...new Set([...sysctlKeys(desired), ...extra])], wanrouterProc }),
    plan: (obs, afterWait) => plan(afterWait ? { ...desired, configFix: [] } : desired, obs, { siteDevices, afterWait }),
    fixConfig: async (ifaces) => {
      if (!site) return;
      await writeFix(planFix(site, new Set(ifaces)));
      log.info({ ifaces }, 'DYN_INTR_CFG = YES written');
    },
  };
}
