import type { Site, Problem } from '../../config/site.js';
import { ipInterfaces, siteNotes, siteProblems, staleDriverProblems } from '../../config/site.js';
import { loadSite } from '../../config/load.js';
import { fixDiff, planFix } from '../../config/write-fix.js';
import type { MediaAddr } from '../../config/wanpipe.js';
import { ConfigError, UsageError } from '../../errors.js';
import { acquireLock } from '../../exec/lock.js';
import type { Runner } from '../../exec/runner.js';
import type { Log } from '../../log.js';
import { observe } from '../../observe/read.js';
import type { ObservedState, StaleDriver } from '../../state/types.js';
import { buildBaseContext, fixAndStamp, staleOf, type BaseContext, type EngineOpts } from '../context.js';
import type { Io } from '../io.js';
import { table } from '../table.js';
import { plural } from '../../text.js';

function media(m: MediaAddr): string {
  switch (m.kind) {
    case 'none':
      return '-';
    case 'auto':
      return 'auto';
    case 'dlci':
      return `dlci ${m.dlci}`;
    case 'other':
      return m.text;
  }
}

/**
 * Drivers running an older configuration than their file; empty when the kernel cannot be read (not root, no
 * iproute2).
 */
async function driverState(base: BaseContext): Promise<{ observed: ObservedState | undefined; stale: StaleDriver[] }> {
  try {
    const o = await observe(base.runner, { sysctls: [], wanrouterProc: base.wanrouterProc });
    return { observed: o, stale: await staleOf(base, o) };
  } catch (e) {
    base.log.debug({ err: e }, "cannot read the kernel for the drivers' state");
    return { observed: undefined, stale: [] };
  }
}

export function siteJson(site: Site, problems: Problem[], stale: StaleDriver[] = []) {
  return {
    confDir: site.confDir,
    files: site.files.map((f) => f.file),
    devices: site.devices.map((d) => ({
      name: d.name,
      file: d.file,
      line: d.line,
      protocol: d.configId,
      card: d.card,
      cardType: d.cardType ?? null,
    })),
    interfaces: site.interfaces.map((i) => {
      const s = stale.find((x) => x.device === i.device);
      return {
        name: i.name,
        device: i.device,
        file: i.file,
        line: i.line,
        mode: i.mode,
        media: media(i.mediaAddr),
        lipProtocol: i.lipProtocol ?? null,
        profile: i.profile ?? null,
        carriesIp: i.carriesIp,
        dynIntrCfg: i.dynIntrCfg ?? null,
        dynIntrCfgNumber: i.dynIntrCfgNumber ?? null,
        dynIntrCfgSection: i.dynIntrCfgSection ?? null,
        dynIntrCfgInDriver: s ? (s.driver[i.name] ?? 'NO') : null,
        failureVisibility: i.visibility,
        why: i.why,
        ip: site.ipFiles.get(i.name)?.ipaddr ?? null,
      };
    }),
    bondable: ipInterfaces(site).map((i) => i.name),
    staleDrivers: stale,
    problems,
  };
}

export function formatSite(site: Site, problems: Problem[], stale: StaleDriver[] = []): string {
  let s = table(
    ['device', 'protocol', 'card', 'file'],
    site.devices.map((d) => [
      d.name,
      d.configId,
      d.card === 'other' ? (d.cardType ?? '?') : d.card,
      `${d.file}:${d.line}`,
    ]),
  );
  s += '\n';
  s += table(
    ['interface', 'device', 'mode', 'media', 'DYN_INTR_CFG', 'failure seen as', 'bondable'],
    site.interfaces.map((i) => {
      const st = stale.find((x) => x.device === i.device);
      // A symbol or number other than YES/NO shows what the driver gets: TWO is 2, which CHDLC takes as on.
      const raw = i.dynIntrCfgRaw?.split(',')[0]?.trim().toUpperCase();
      const shown = raw === undefined || raw === 'YES' || raw === 'NO' ? '' : ` (${raw} = ${i.dynIntrCfgNumber})`;
      const from = i.dynIntrCfgSection && i.dynIntrCfgSection !== i.name ? ` from [${i.dynIntrCfgSection}]` : '';
      const dyn = (i.dynIntrCfg ?? '(NO)') + shown + from;
      const inDriver = st && i.carriesIp ? ` (driver: ${st.driver[i.name] ?? 'NO'})` : '';
      return [
        i.name,
        i.device,
        i.lipProtocol ? `${i.mode}/${i.lipProtocol}` : i.mode,
        media(i.mediaAddr),
        dyn + inDriver,
        i.carriesIp ? i.visibility : '-',
        i.carriesIp ? 'yes' : 'no',
      ];
    }),
  );
  s += '\n';
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.filter((p) => p.severity !== 'error');
  if (errors.length === 0) s += 'no problems: every IP interface shows a failed line to TEQL\n';
  else {
    s += `${plural(errors.length, 'problem')}:\n`;
    for (const p of errors) s += `  ${p.where}: ${p.what}\n    fix: ${p.hint}\n`;
  }
  if (warnings.length > 0) {
    s += `${plural(warnings.length, 'warning')} (wanconfig accepts these):\n`;
    for (const p of warnings) s += `  ${p.where}: ${p.what}\n    fix: ${p.hint}\n`;
  }
  return s;
}

export async function configCheck(g: EngineOpts, json: boolean, io: Io, log: Log, runner?: Runner): Promise<number> {
  const site = await loadSite(g.confDir);
  const base = buildBaseContext(g, log, runner);
  const { stale } = await driverState(base);
  const problems = [...siteProblems(site), ...staleDriverProblems(site, stale), ...siteNotes(site)];
  io.out(json ? `${JSON.stringify(siteJson(site, problems, stale), null, 2)}\n` : formatSite(site, problems, stale));
  return problems.some((p) => p.severity === 'error') ? 1 : 0;
}

/** --only names: each an IP interface of this configuration, spelled as in [interfaces]. */
function checkOnly(site: Site, only: string[]): void {
  const ip = ipInterfaces(site).map((i) => i.name);
  for (const name of only) {
    if (ip.includes(name)) continue;
    const i = site.interfaces.find((x) => x.name === name);
    if (i)
      throw new ConfigError(
        i.file,
        i.line,
        `--only ${name}: ${name} is a ${i.mode} interface and carries no IP: DYN_INTR_CFG is not set there`,
        `name IP interfaces: ${ip.join(', ')}`,
      );
    const near = ip.find((x) => x.toLowerCase() === name.toLowerCase());
    throw new UsageError(
      `--only ${name}: no such interface in ${site.files.map((f) => f.file).join(', ') || site.confDir}` +
        `${near ? ` (names are case-sensitive: did you mean ${near}?)` : ''}`,
      `name IP interfaces of [interfaces]: ${ip.join(', ') || '(none)'}`,
    );
  }
}

export async function configFix(
  g: EngineOpts,
  dryRun: boolean,
  io: Io,
  only: string[] | undefined,
  log: Log,
  runner?: Runner,
): Promise<number> {
  const site = await loadSite(g.confDir);
  if (only) checkOnly(site, only);
  const onlySet = only ? new Set(only) : undefined;
  const p = planFix(site, onlySet);
  for (const r of p.results) for (const s of r.skipped) io.err(`${s.iface}: DYN_INTR_CFG not set: ${s.why}\n`);
  const changes = p.results.flatMap((r) => r.changes.map((c) => ({ file: r.file, ...c })));
  if (changes.length === 0) {
    io.out('nothing to fix: DYN_INTR_CFG = YES is already set wherever it applies\n');
    return 0;
  }
  if (dryRun) {
    io.out(fixDiff(p));
    return 0;
  }
  const base = buildBaseContext(g, log, runner);
  const lock = await acquireLock(base.stateDir, { what: 'config fix', waitMs: base.lockWaitMs });
  try {
    const { observed } = await driverState(base);
    const empty: ObservedState = {
      links: [],
      addrs: [],
      routes: [],
      qdiscs: [],
      sysctls: {},
      teql: { loaded: false, builtin: false },
      plug: false,
      wanrouterDevices: [],
      staleDrivers: [],
    };
    // Re-plan under the lock: the file may have changed while we waited.
    const freshSite = await loadSite(g.confDir);
    const fresh = planFix(freshSite, onlySet);
    if (!fresh.results.some((r) => r.changes.length > 0)) {
      io.out('nothing to fix: DYN_INTR_CFG = YES is already set wherever it applies\n');
      return 0;
    }
    const { running, written } = await fixAndStamp(base, freshSite, fresh, observed ?? empty);
    for (const c of fresh.results.flatMap((r) => r.changes.map((x) => ({ file: r.file, ...x }))))
      io.out(
        `${c.file}:${c.line}: ${c.iface}: DYN_INTR_CFG = YES (${c.action}` +
          `${c.before !== undefined ? `, was ${c.before}` : ''})\n`,
      );
    for (const w of written) io.out(`backup: ${w.backup}\n`);
    if (running.length > 0)
      io.out(
        `${running.join(', ')} ${running.length > 1 ? 'are' : 'is'} running the old configuration: ` +
          `restart ${running.length > 1 ? 'them one at a time' : 'it'} for the driver to read it ` +
          `(wanrouter restart ${running[0]}), or run wanbond up, which does so\n`,
      );
    else io.out('the drivers read it when their devices start (wanrouter start)\n');
  } finally {
    await lock.release();
  }
  return 0;
}
