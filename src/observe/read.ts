// Issues the reads that make an ObservedState. Every read goes through the Runner.
import type { Runner } from '../exec/runner.js';
import type { ObservedState, PolicyObserved } from '../state/types.js';
import { NFT_FAMILY, NFT_TABLE } from '../bonds/weighted/ruleset.js';
import { CommandError, InternalError } from '../errors.js';
import { parseNftTable, parseRules } from '../bonds/weighted/observe.js';
import {
  moduleLoaded,
  parseAddrs,
  parseAddrs6,
  parseLinks,
  parseQdiscs,
  parseRoutes,
  parseRoutes6,
  parseWanrouterStatus,
  plugPresence,
  splitJsonDocs,
  teqlPresence,
} from './parse.js';
import { toSlashKey } from '../net/ipv4.js';
import type { Ipv6Observed } from '../state/types.js';

export const DEFAULT_WANROUTER_PROC = '/proc/net/wanrouter';
const IP_READS = ['link show', 'addr show', 'route show table main'];

export interface ObserveOptions {
  /** sysctl keys to read (dotted). */
  sysctls: string[];
  wanrouterProc: string;
  /**
   * Links (without counters), qdiscs, modules and sysctls only: what a ring change needs (addrs and routes
   * come back empty).
   */
  lean?: boolean;
  /** Weighted bonds: also read nftables, the rules and these routing tables (wanbond's per-line tables). */
  weightedTables?: number[];
  /** Per-connection bonds: whether the conntrack program is there (it flushes a dead uplink's connections). */
  conntrack?: boolean;
  /**
   * The bonded lines whose IPv6 doctor, status and up report (never the daemon's ring: a lean read
   * ignores it). Their addresses come with the address read; the IPv6 routes cost one more process,
   * spent only when one of these lines has an IPv6 address at all (a line without one, IPv6 disabled
   * or a PPP line without IPV6CP, carries no IPv6).
   */
  ipv6Lines?: readonly string[];
}

/** undefined when the route read fails: a report about IPv6 is never worth failing `up` or `status` for. */
async function readIpv6(runner: Runner, addrsDoc: string, lines: readonly string[]): Promise<Ipv6Observed | undefined> {
  const addrs = parseAddrs6(addrsDoc);
  if (!addrs.some((a) => lines.includes(a.dev))) return { addrs, routes: [] };
  try {
    const routes = await runner.read({ file: 'ip', args: ['-6', '-j', 'route', 'show', 'table', 'all'] });
    return { addrs, routes: parseRoutes6(routes) };
  } catch (e) {
    if (e instanceof CommandError) return undefined;
    throw e;
  }
}

async function hasConntrack(runner: Runner): Promise<boolean> {
  try {
    await runner.read({ file: 'conntrack', args: ['--version'] });
    return true;
  } catch (e) {
    if (e instanceof CommandError && /command not found/.test(e.message)) return false;
    throw e;
  }
}

/**
 * `nft -j list table ip wanbond` (wanbond's table alone: another table's size or objects are none of
 * its business), an empty listing when there is no such table, undefined when this system has no
 * nft (a weighted bond's plan says what to install), or why an nft that is there cannot list (built
 * without JSON, a kernel without nf_tables): only the bonds nftables draws depend on it.
 */
export async function readNft(runner: Runner): Promise<string | { cannot: string } | undefined> {
  try {
    return await runner.read({ file: 'nft', args: ['-j', 'list', 'table', NFT_FAMILY, NFT_TABLE] });
  } catch (e) {
    if (e instanceof CommandError && /command not found/.test(e.message)) return undefined;
    if (e instanceof CommandError && /No such file or directory/.test(e.stderr)) return '{"nftables": []}';
    if (e instanceof CommandError) return { cannot: e.message };
    throw e;
  }
}

/** The nft listing read: wanbond's table, or why it cannot be known. */
type NftRead = Pick<PolicyObserved, 'nftAvailable' | 'nft' | 'nftUnusable'>;
function nftState(out: string | { cannot: string } | undefined): NftRead {
  if (out === undefined) return { nftAvailable: false, nft: undefined };
  if (typeof out !== 'string') return { nftAvailable: false, nft: undefined, nftUnusable: out.cannot };
  try {
    return { nftAvailable: true, nft: parseNftTable(out) };
  } catch {
    const why = `nft -j list table ${NFT_FAMILY} ${NFT_TABLE} printed no JSON: ${out.slice(0, 80)}`;
    return { nftAvailable: false, nft: undefined, nftUnusable: why };
  }
}

/** The running kernel's modules folder, for a release name that is safe in a path; undefined otherwise. */
export const modulesDirOf = (release: string | undefined): string | undefined =>
  release && /^[A-Za-z0-9._+-]+$/.test(release) ? `/lib/modules/${release}` : undefined;

/**
 * /proc/modules, and modules.builtin and modules.dep where they can tell more: with sch_teql and sch_plug
 * both loaded they cannot, and modules.dep is half a megabyte read twice in each of the daemon's ring changes.
 */
async function moduleFiles(
  runner: Runner,
  modulesDir: string | undefined,
): Promise<[string | undefined, string | undefined, string | undefined]> {
  const modules = await runner.readFile('/proc/modules');
  if (!modulesDir || (moduleLoaded(modules, 'sch_teql') && moduleLoaded(modules, 'sch_plug')))
    return [modules, undefined, undefined];
  const [builtin, dep] = await Promise.all([
    runner.readFile(`${modulesDir}/modules.builtin`),
    runner.readFile(`${modulesDir}/modules.dep`),
  ]);
  return [modules, builtin, dep];
}

export async function observe(runner: Runner, o: ObserveOptions): Promise<ObservedState> {
  const release = (await runner.readFile('/proc/sys/kernel/osrelease'))?.trim();
  const modulesDir = modulesDirOf(release);
  const w = o.weightedTables;
  const reads = [...IP_READS, ...(w ? ['rule show', ...w.map((t) => `route show table ${t}`)] : [])];
  const [conntrack, nftOut, ipOut, qdiscs, [modules, builtin, dep], status, ...sysctlValues] = await Promise.all([
    o.conntrack && w && !o.lean ? hasConntrack(runner) : Promise.resolve(undefined),
    w && !o.lean ? readNft(runner) : Promise.resolve(undefined),
    // Links, addresses and routes (and a weighted bond's rules and tables) from one ip process: every process
    // start counts on a router's CPU.
    runner.read(
      o.lean
        ? { file: 'ip', args: ['-j', 'link', 'show'] }
        : { file: 'ip', args: ['-j', '-s', '-batch', '-'], input: `${reads.join('\n')}\n` },
    ),
    runner.read({ file: 'tc', args: ['-j', 'qdisc', 'show'] }),
    moduleFiles(runner, modulesDir),
    runner.readFile(`${o.wanrouterProc}/status`),
    ...o.sysctls.map((k) => runner.readFile(`/proc/sys/${toSlashKey(k)}`)),
  ]);
  const docs = o.lean ? [ipOut, '[]', '[]'] : splitJsonDocs(ipOut);
  const want = o.lean ? 3 : reads.length;
  if (docs.length !== want)
    throw new InternalError(
      `ip -j -batch printed ${docs.length} documents for its ${want} commands (${reads.join('; ')}): ` +
        `${ipOut.slice(0, 200)}`,
    );
  const [links, addrs, routes, rules, ...tables] = docs as [string, string, string, string | undefined, ...string[]];
  const sysctls: Record<string, string> = {};
  o.sysctls.forEach((k, i) => {
    const v = sysctlValues[i];
    if (v !== undefined) sysctls[k] = v.trim();
  });
  const linkList = parseLinks(links);
  const ipv6 = o.ipv6Lines && !o.lean ? await readIpv6(runner, addrs, o.ipv6Lines) : undefined;
  return {
    links: linkList,
    addrs: parseAddrs(addrs),
    routes: parseRoutes(routes),
    qdiscs: parseQdiscs(qdiscs),
    sysctls,
    teql: teqlPresence(modules, builtin, linkList),
    plug: plugPresence(modules, builtin, dep),
    wanrouterDevices: parseWanrouterStatus(status),
    staleDrivers: [],
    ...(w && !o.lean
      ? {
          policy: {
            ...nftState(nftOut),
            rules: parseRules(rules ?? '[]'),
            tables: Object.fromEntries(w.map((t, i) => [t, parseRoutes(tables[i] ?? '[]')])),
            ...(conntrack !== undefined ? { conntrack } : {}),
          },
        }
      : {}),
    ...(ipv6 ? { ipv6 } : {}),
    ...(o.lean ? { lean: true as const } : {}),
  };
}
