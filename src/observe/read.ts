// Issues the reads that make an ObservedState. Every read goes through the Runner.
import type { Runner } from '../exec/runner.js';
import type { ObservedState } from '../state/types.js';
import { InternalError } from '../errors.js';
import { parseAddrs, parseLinks, parseQdiscs, parseRoutes, parseWanrouterStatus, plugPresence, splitJsonDocs, teqlPresence, toSlashKey } from './parse.js';

export { toSlashKey };

export const DEFAULT_WANROUTER_PROC = '/proc/net/wanrouter';
const IP_READS = ['link show', 'addr show', 'route show table main'];

export interface ObserveOptions {
  /** sysctl keys to read (dotted). */
  sysctls: string[];
  wanrouterProc: string;
  /** Links (without counters), qdiscs, modules and sysctls only: what a ring change needs (addrs and routes come back empty). */
  lean?: boolean;
}

/** The running kernel's modules folder, for a release name that is safe in a path; undefined otherwise. */
export const modulesDirOf = (release: string | undefined): string | undefined =>
  release && /^[A-Za-z0-9._+-]+$/.test(release) ? `/lib/modules/${release}` : undefined;

export async function observe(runner: Runner, o: ObserveOptions): Promise<ObservedState> {
  const release = (await runner.readFile('/proc/sys/kernel/osrelease'))?.trim();
  const modulesDir = modulesDirOf(release);
  const [ipOut, qdiscs, modules, builtin, dep, status, ...sysctlValues] = await Promise.all([
    // Links, addresses and routes from one ip process: every process start counts on a router's CPU.
    runner.read(o.lean ? { file: 'ip', args: ['-j', 'link', 'show'] } : { file: 'ip', args: ['-j', '-s', '-batch', '-'], input: IP_READS.join('\n') + '\n' }),
    runner.read({ file: 'tc', args: ['-j', 'qdisc', 'show'] }),
    runner.readFile('/proc/modules'),
    modulesDir ? runner.readFile(`${modulesDir}/modules.builtin`) : Promise.resolve(undefined),
    modulesDir ? runner.readFile(`${modulesDir}/modules.dep`) : Promise.resolve(undefined),
    runner.readFile(`${o.wanrouterProc}/status`),
    ...o.sysctls.map((k) => runner.readFile(`/proc/sys/${toSlashKey(k)}`)),
  ]);
  const docs = o.lean ? [ipOut, '[]', '[]'] : splitJsonDocs(ipOut);
  if (docs.length !== 3) throw new InternalError(`ip -j -batch printed ${docs.length} documents for its 3 commands (${IP_READS.join('; ')}): ${ipOut.slice(0, 200)}`);
  const [links, addrs, routes] = docs as [string, string, string];
  const sysctls: Record<string, string> = {};
  o.sysctls.forEach((k, i) => { const v = sysctlValues[i]; if (v !== undefined) sysctls[k] = v.trim(); });
  const linkList = parseLinks(links);
  return {
    links: linkList, addrs: parseAddrs(addrs), routes: parseRoutes(routes), qdiscs: parseQdiscs(qdiscs),
    sysctls,
    teql: teqlPresence(modules, builtin, linkList),
    plug: plugPresence(modules, builtin, dep),
    wanrouterDevices: parseWanrouterStatus(status),
    staleDrivers: [],
  };
}
