// Issues the reads that make an ObservedState. Every read goes through the Runner.
import type { Runner } from '../exec/runner.js';
import type { ObservedState } from '../state/types.js';
import { moduleLoaded, parseAddrs, parseLinks, parseQdiscs, parseRoutes, parseWanrouterStatus } from './parse.js';

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

/** net.ipv4.conf.eth0.100.rp_filter -> net/ipv4/conf/eth0.100/rp_filter */
export function toSlashKey(key: string): string {
  const m = /^net\.ipv4\.conf\.(.+)\.([a-z_]+)$/.exec(key);
  return m ? `net/ipv4/conf/${m[1]}/${m[2]}` : key.replace(/\./g, '/');
}
