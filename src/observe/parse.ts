// Kernel output (`ip -j`, `tc -j`, `sysctl`, /proc files) -> ObservedState pieces. Pure.
import { InternalError } from '../errors.js';
import { routeFromKernel } from '../plan/route.js';
import type { Addr6State, AddrState, LinkState, QdiscState, Route6State, RouteState } from '../state/types.js';

function json(what: string, text: string): unknown[] {
  const t = text.trim();
  if (t === '') return [];
  try {
    const v: unknown = JSON.parse(t);
    if (!Array.isArray(v)) throw new Error('not an array');
    return v;
  } catch (e) {
    throw new InternalError(`cannot parse ${what} output: ${(e as Error).message}: ${t.slice(0, 200)}`);
  }
}

type J = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The JSON documents of `ip -j -batch -`, one per command in order: it prints each command's array
 * after the previous one. Split at the top level (strings may hold brackets).
 */
export function splitJsonDocs(text: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = -1,
    inString = false,
    escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === ']' || c === '}') {
      if (--depth === 0) out.push(text.slice(start, i + 1));
    }
  }
  if (depth !== 0) throw new InternalError(`cannot parse ip -batch output: unbalanced brackets: ${text.slice(-200)}`);
  return out;
}

export function parseLinks(text: string): LinkState[] {
  return json('ip -j link', text).map((x) => {
    const l = x as J;
    const s = l['stats64'] as { rx?: J; tx?: J } | undefined;
    const link: LinkState = {
      name: String(l['ifname']),
      ifindex: num(l['ifindex']),
      flags: (l['flags'] as string[] | undefined) ?? [],
      mtu: num(l['mtu']),
      operstate: str(l['operstate']) ?? 'UNKNOWN',
    };
    if (s?.rx && s.tx) {
      link.stats = {
        rxBytes: num(s.rx['bytes']),
        rxPackets: num(s.rx['packets']),
        rxErrors: num(s.rx['errors']),
        rxDropped: num(s.rx['dropped']),
        txBytes: num(s.tx['bytes']),
        txPackets: num(s.tx['packets']),
        txErrors: num(s.tx['errors']),
        txDropped: num(s.tx['dropped']),
      };
    }
    return link;
  });
}

export function parseAddrs(text: string): AddrState[] {
  return json('ip -j addr', text).flatMap((x) => {
    const l = x as J;
    return ((l['addr_info'] as J[] | undefined) ?? [])
      .filter((a) => a['family'] === 'inet')
      .map((a) => ({
        dev: String(l['ifname']),
        local: String(a['local']),
        prefixlen: num(a['prefixlen']),
        noprefixroute: a['noprefixroute'] === true,
        ...(typeof a['address'] === 'string' && a['address'] !== a['local'] ? { peer: a['address'] } : {}),
      }));
  });
}

/** The IPv6 addresses in `ip -j addr show`, which lists both families. */
export function parseAddrs6(text: string): Addr6State[] {
  return json('ip -j addr', text).flatMap((x) => {
    const l = x as J;
    return ((l['addr_info'] as J[] | undefined) ?? [])
      .filter((a) => a['family'] === 'inet6')
      .map((a) => ({
        dev: String(l['ifname']),
        local: String(a['local']),
        prefixlen: num(a['prefixlen']),
        scope: str(a['scope']) ?? 'global',
      }));
  });
}

/** `ip -6 -j route show table all`: the unicast routes outside the local table (what carries traffic out). */
export function parseRoutes6(text: string): Route6State[] {
  return json('ip -6 -j route', text).flatMap((x) => {
    const r = x as J;
    const type = str(r['type']) ?? 'unicast';
    if (type !== 'unicast' || r['table'] === 'local') return [];
    const hops = Array.isArray(r['nexthops']) ? (r['nexthops'] as J[]) : [];
    const devs = [r, ...hops].flatMap((h) => str(h['dev']) ?? []);
    const gateway = str(r['gateway']) ?? hops.map((h) => str(h['gateway'])).find((g) => g !== undefined);
    return [{ dst: String(r['dst']), gateway, devs, table: str(r['table']) }];
  });
}

export function parseRoutes(text: string): RouteState[] {
  return json('ip -j route', text).map((x) => {
    const r = x as J;
    const whole = routeFromKernel(r);
    return {
      dst: String(r['dst']),
      dev: str(r['dev']),
      gateway: str(r['gateway']),
      protocol: str(r['protocol']),
      scope: str(r['scope']),
      metric: typeof r['metric'] === 'number' ? r['metric'] : undefined,
      type: str(r['type']),
      spec: 'route' in whole ? whole.route : undefined,
      ...('why' in whole ? { unrestorable: whole.why } : {}),
    };
  });
}

export function parseQdiscs(text: string): QdiscState[] {
  return json('tc -j qdisc', text).map((x) => {
    const q = x as J;
    return {
      dev: String(q['dev']),
      kind: String(q['kind']),
      handle: String(q['handle'] ?? ''),
      root: q['root'] === true,
    };
  });
}

export function moduleLoaded(procModules: string | undefined, name: string): boolean {
  return (procModules ?? '').split('\n').some((l) => l.split(' ')[0] === name);
}

/** modules.builtin of the running kernel lists sch_teql: it is compiled in and never appears in /proc/modules. */
export function builtinHas(modulesBuiltin: string | undefined, name: string): boolean {
  return (modulesBuiltin ?? '').split('\n').some((l) => l.trim().endsWith(`/${name}.ko`));
}

/** modules.dep of the running kernel lists the module (compressed or not): the kernel can load it. */
export function depHas(modulesDep: string | undefined, name: string): boolean {
  return new RegExp(`(^|/)${name}\\.ko(\\.\\w+)?:`, 'm').test(modulesDep ?? '');
}

/** sch_plug is loaded, compiled in, or among the modules the kernel can load. */
export function plugPresence(
  procModules: string | undefined,
  modulesBuiltin: string | undefined,
  modulesDep: string | undefined,
): boolean {
  return (
    moduleLoaded(procModules, 'sch_plug') || builtinHas(modulesBuiltin, 'sch_plug') || depHas(modulesDep, 'sch_plug')
  );
}

/**
 * TEQL is there when the module is loaded or compiled in; a compiled-in TEQL shows by modules.builtin,
 * or by teqlN devices that no loaded module made.
 */
export function teqlPresence(
  procModules: string | undefined,
  modulesBuiltin: string | undefined,
  links: LinkState[],
): { loaded: boolean; builtin: boolean } {
  const module = moduleLoaded(procModules, 'sch_teql');
  const devices = links.some((l) => /^teql\d+$/.test(l.name));
  const builtin = !module && (builtinHas(modulesBuiltin, 'sch_teql') || devices);
  return { loaded: module || builtin, builtin };
}

/** /proc/net/wanrouter/status: "Device name | Protocol | Station | Status        |" then one row a device. */
export function parseWanrouterStatus(text: string | undefined): { name: string; status: string }[] | undefined {
  if (text === undefined) return undefined;
  const out: { name: string; status: string }[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length < 4 || !/^wanpipe\d+$/.test(cols[0] as string)) continue;
    out.push({ name: cols[0] as string, status: cols[3] as string });
  }
  return out;
}
