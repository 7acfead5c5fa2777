// Issues the reads that make an ObservedState. Every read goes through the Runner.
import type { Runner } from '../exec/runner.js';
import type { ObservedState } from '../state/types.js';
import { moduleLoaded, parseAddrs, parseLinks, parseQdiscs, parseRoutes, parseWanrouterStatus, toSlashKey } from './parse.js';

export { toSlashKey };

export const DEFAULT_WANROUTER_PROC = '/proc/net/wanrouter';

export interface ObserveOptions {
  /** sysctl keys to read (dotted). */
  sysctls: string[];
  wanrouterProc: string;
}

export async function observe(runner: Runner, o: ObserveOptions): Promise<ObservedState> {
  const [links, addrs, routes, qdiscs, modules, status, ...sysctlValues] = await Promise.all([
    runner.read({ file: 'ip', args: ['-j', '-s', 'link', 'show'] }),
    runner.read({ file: 'ip', args: ['-j', 'addr', 'show'] }),
    runner.read({ file: 'ip', args: ['-j', 'route', 'show', 'table', 'main'] }),
    runner.read({ file: 'tc', args: ['-j', 'qdisc', 'show'] }),
    runner.readFile('/proc/modules'),
    runner.readFile(`${o.wanrouterProc}/status`),
    ...o.sysctls.map((k) => runner.readFile(`/proc/sys/${toSlashKey(k)}`)),
  ]);
  const sysctls: Record<string, string> = {};
  o.sysctls.forEach((k, i) => { const v = sysctlValues[i]; if (v !== undefined) sysctls[k] = v.trim(); });
  return {
    links: parseLinks(links), addrs: parseAddrs(addrs), routes: parseRoutes(routes), qdiscs: parseQdiscs(qdiscs),
    sysctls,
    teqlLoaded: moduleLoaded(modules, 'sch_teql'),
    wanrouterDevices: parseWanrouterStatus(status),
  };
}
