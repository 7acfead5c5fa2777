// Settings + wanpipe site -> the state wanbond wants. Pure.
import { kindOf } from '../bonds/registry.js';
import { ConfigError, WanbondError } from '../errors.js';
import { DEFAULT_SETTINGS_FILE, type Settings } from '../config/settings.js';
import { ipInterfaces, type Site } from '../config/site.js';
import type { DesiredBond, DesiredState } from './types.js';

export function desiredState(
  settings: Settings,
  site: Site | undefined,
  settingsFile: string = settings.file ?? DEFAULT_SETTINGS_FILE,
): DesiredState {
  const bonds: DesiredBond[] = settings.bonds.map((b) => {
    const kind = kindOf(b);
    let names = b.slaves;
    if (names === undefined) {
      if (!site) {
        throw new WanbondError(
          `${b.name}: no slaves: there is no wanpipe configuration and ${settingsFile} lists none`,
          `list the slaves in ${settingsFile} ([${b.name}] slaves = eth1, eth2) ` +
            `or point --conf-dir at the wanpipe configuration`,
        );
      }
      names = ipInterfaces(site).map((i) => i.name);
      if (names.length === 0) {
        throw new WanbondError(
          `${b.name}: the wanpipe configuration in ${site.confDir} has no IP (WANPIPE mode) interface to bond`,
          `set an interface's operation mode to WANPIPE in [interfaces], or list plain slaves in ${settingsFile}`,
        );
      }
    }
    const listed = b.slaves !== undefined;
    const slaves = names
      .map((name) => {
        const i = site?.interfaces.find((x) => x.name === name);
        if (i && !i.carriesIp) {
          throw new ConfigError(
            settingsFile,
            b.slavesLine ?? b.line,
            `${b.name}: slave ${name} is a ${i.mode} interface (${i.file}:${i.line}) and carries no IP`,
            `bond the IP interface instead (${
              site?.interfaces
                .filter((x) => x.carriesIp && x.device === i.device)
                .map((x) => x.name)
                .join(', ') || 'operation mode WANPIPE'
            })`,
          );
        }
        const where = listed ? `${settingsFile}:${b.slavesLine ?? b.line}` : i ? `${i.file}:${i.line}` : settingsFile;
        return { name, device: i?.device, where, ...(b.routers[name] ? { router: b.routers[name] } : {}) };
        // Some kinds keep their lines in the order written (a per-connection bond: an uplink added at the
        // end leaves the others' marks and tables, and with them their live connections, as they were).
      })
      .sort((x, y) => (kind.keepsLineOrder ? 0 : x.name.localeCompare(y.name)));
    const own = kind.desired(
      b,
      slaves.map((x) => x.name),
      site,
      settingsFile,
    );
    return {
      name: b.name,
      kind: b.kind,
      ...own,
      index: b.index,
      slaves,
      address: b.address,
      ...(b.gateway ? { gateway: b.gateway } : {}),
      routes: b.routes.map((to) => ({ to })),
      rpFilter: b.rpFilter,
      mtu: b.mtu,
    };
  });
  bonds.sort((a, b) => a.index - b.index);
  const wanpipeSlaves = new Set(
    bonds.flatMap((b) => b.slaves.filter((s) => s.device !== undefined).map((s) => s.name)),
  );
  const wanpipeDevices = (site?.devices ?? [])
    .map((d) => ({
      name: d.name,
      slaves: [...wanpipeSlaves].filter((n) => site?.interfaces.find((i) => i.name === n)?.device === d.name).sort(),
    }))
    .filter((d) => d.slaves.length > 0);
  const configFix =
    settings.configFix && site
      ? site.interfaces
          .filter((i) => wanpipeSlaves.has(i.name) && i.dynIntrCfgApplies && i.dynIntrCfg !== 'YES')
          .map((i) => i.name)
      : [];
  return {
    bonds,
    maxEqualizers: Math.max(
      settings.maxEqualizers ?? 1,
      ...bonds.filter((b) => kindOf(b).needsTeql).map((b) => b.index + 1),
    ),
    wanpipeDevices,
    configFix,
    slaveWaitMs: settings.slaveWaitMs,
    settingsFile,
  };
}
