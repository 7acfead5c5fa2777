// A whole site: every wanpipeN.conf wanrouter would start, checked across files. Pure.
import { ConfigError, ConfigErrors, WanbondError } from '../errors.js';
import { buildFileModel } from './wanconfig/model.js';
import { readWanpipe } from './wanconfig/read.js';
import { type IpFile, parseIpFile, parseWanrouterRc, type WanrouterRc } from './rc.js';
import type { Device, FileModel, Interface } from './wanpipe.js';
import type { StaleDriver } from '../state/types.js';

export interface SiteInput {
  confDir: string;
  rc: { file: string; text: string } | undefined;
  /** Every wanpipe*.conf in confDir, by base name. */
  confFiles: Map<string, { path: string; text: string }>;
  /** interfaces/<ifname> files, by interface name. */
  ipFiles: Map<string, string>;
}

export interface Site {
  confDir: string;
  rc: WanrouterRc | undefined;
  files: FileModel[];
  devices: Device[];
  interfaces: Interface[];
  ipFiles: Map<string, IpFile>;
}

export interface Problem {
  /** What kind of problem, for programs (doctor's check ids): the text is for people. */
  kind: 'misnamed-section' | 'dyn-intr-cfg' | 'invisible-failure' | 'stale-driver' | 'wanconfig-note';
  severity: 'error' | 'warning';
  where: string; // file:line
  what: string;
  hint: string;
  iface?: string;
  /** The wanpipe device it concerns (stale-driver). */
  device?: string;
}

/** The files wanrouter would start: those WAN_DEVICES names, else every wanpipeN.conf. */
export function selectConfFiles(input: SiteInput, rc: WanrouterRc | undefined): { path: string; text: string }[] {
  if (rc?.devices) {
    return rc.devices.map((d) => {
      const f = input.confFiles.get(`${d.name}.conf`);
      if (!f) {
        throw new ConfigError(
          rc.file,
          d.line,
          `WAN_DEVICES names ${d.name}, but ${input.confDir}/${d.name}.conf does not exist`,
          `create ${input.confDir}/${d.name}.conf (wancfg) or remove ${d.name} from WAN_DEVICES`,
        );
      }
      return f;
    });
  }
  const names = [...input.confFiles.keys()]
    .filter((n) => /^wanpipe[0-9]*\.conf$/.test(n))
    .sort((a, b) => {
      const na = Number(a.replace(/\D/g, '') || 0),
        nb = Number(b.replace(/\D/g, '') || 0);
      return na - nb;
    });
  return names.map((n) => input.confFiles.get(n) as { path: string; text: string });
}

export function buildSite(input: SiteInput): Site {
  const rc = input.rc ? parseWanrouterRc(input.rc.file, input.rc.text) : undefined;
  const selected = selectConfFiles(input, rc);
  if (selected.length === 0) {
    throw new WanbondError(
      `${input.confDir}: no wanpipeN.conf file found`,
      `write ${input.confDir}/wanpipe1.conf (wancfg, or a sample from wanpipe-conf/) ` +
        `or point --conf-dir at the folder that holds it`,
    );
  }
  const errors: ConfigError[] = [];
  const files: FileModel[] = [];
  for (const f of selected) {
    try {
      files.push(buildFileModel(readWanpipe(f.path, f.text)));
    } catch (e) {
      if (e instanceof ConfigError) errors.push(e);
      else if (e instanceof ConfigErrors) errors.push(...e.errors);
      else throw e;
    }
  }
  const devices: Device[] = [];
  const interfaces: Interface[] = [];
  for (const fm of files) {
    for (const d of fm.devices) {
      const prev = devices.find((x) => x.name === d.name);
      if (prev)
        errors.push(
          new ConfigError(
            d.file,
            d.line,
            `device ${d.name} is also defined at ${prev.file}:${prev.line}`,
            `remove one of the two ${d.name} definitions`,
          ),
        );
      else devices.push(d);
    }
    for (const i of fm.interfaces) {
      const prev = interfaces.find((x) => x.name === i.name);
      if (prev)
        errors.push(
          new ConfigError(
            i.file,
            i.line,
            `interface ${i.name} is also defined at ${prev.file}:${prev.line}: wanconfig accepts each file, ` +
              `but the driver refuses a second interface of the same name`,
            `rename one of the two ${i.name} interfaces`,
          ),
        );
      else interfaces.push(i);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  const ipFiles = new Map<string, IpFile>();
  for (const [name, text] of input.ipFiles) ipFiles.set(name, parseIpFile(text));
  return { confDir: input.confDir, rc, files, devices, interfaces, ipFiles };
}

/** What wanconfig accepts but may not be what was meant: warnings, each saying which value or section wins. */
export function siteNotes(site: Site): Problem[] {
  return site.files.flatMap((f) =>
    f.notes.map((n) => ({
      kind: 'wanconfig-note' as const,
      severity: 'warning' as const,
      where: `${f.file}:${n.line}`,
      what: n.what,
      hint: n.hint,
    })),
  );
}

/** IP interfaces, the candidates for bonding. */
export function ipInterfaces(site: Site): Interface[] {
  return site.interfaces.filter((i) => i.carriesIp);
}

/** What needs fixing before these interfaces can be bonded safely. */
export function siteProblems(site: Site, bonded: readonly string[] = ipInterfaces(site).map((i) => i.name)): Problem[] {
  const out: Problem[] = [];
  for (const name of bonded) {
    const i = site.interfaces.find((x) => x.name === name);
    if (!i) continue;
    const where = `${i.file}:${i.line}`;
    if (i.misnamedSection) {
      out.push({
        kind: 'misnamed-section',
        severity: 'error',
        where: `${i.file}:${i.misnamedSection.line}`,
        iface: i.name,
        what:
          `${i.name}: section [${i.misnamedSection.name}] never applies to ${i.name}: ` +
          `wanconfig matches section names exactly, spaces inside the brackets included, ` +
          `so ${i.name} runs with defaults`,
        hint: `rename the section to [${i.name}]`,
      });
    }
    if (i.dynIntrCfgApplies && i.dynIntrCfg !== 'YES') {
      const at = i.dynIntrCfgLine ?? i.sectionLine ?? i.line;
      const is =
        i.dynIntrCfgRaw === undefined
          ? 'not set (NO)'
          : i.dynIntrCfgRaw.toUpperCase() === 'NO'
            ? 'NO'
            : `${i.dynIntrCfgRaw}, which the driver takes as off`;
      out.push({
        kind: 'dyn-intr-cfg',
        severity: 'error',
        where: `${i.file}:${at}`,
        iface: i.name,
        what: `${i.name}: DYN_INTR_CFG is ${is}: ${i.why}`,
        hint: i.misnamedSection
          ? `rename [${i.misnamedSection.name}] to [${i.name}], then: wanbond config fix`
          : 'wanbond config fix',
      });
    } else if (i.visibility === 'none') {
      out.push({
        kind: 'invisible-failure',
        severity: 'error',
        where,
        iface: i.name,
        what: `${i.name}: a failed line is invisible: ${i.why}`,
        hint:
          i.device && site.devices.find((d) => d.name === i.device)?.configId === 'WAN_MULTPPP'
            ? 'reconfigure the line as WAN_CHDLC or WAN_PPP firmware with DYN_INTR_CFG = YES, ' +
              'or leave it out of the bond'
            : 'leave this interface out of the bond, or use a driver that signals link state',
      });
    }
  }
  return out;
}

/** Running devices whose driver still runs DYN_INTR_CFG off although the file now says YES. */
export function staleDriverProblems(site: Site, stale: readonly StaleDriver[]): Problem[] {
  return stale.flatMap((d) => {
    const dev = site.devices.find((x) => x.name === d.device);
    const off = Object.entries(d.driver)
      .filter(([i, v]) => v !== 'YES' && site.interfaces.find((x) => x.name === i)?.dynIntrCfg === 'YES')
      .map(([i]) => i);
    if (off.length === 0) return [];
    return [
      {
        kind: 'stale-driver' as const,
        severity: 'error' as const,
        where: dev ? `${dev.file}:${dev.line}` : d.device,
        device: d.device,
        what:
          `${d.device}: the file says DYN_INTR_CFG = YES for ${off.join(', ')}, ` +
          `but the driver still runs the configuration it read at its start (off): ${d.why}`,
        hint: `wanrouter restart ${d.device}, or wanbond up (restarts such devices one at a time)`,
      },
    ];
  });
}
