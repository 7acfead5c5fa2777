// A route as the kernel reports it (`ip -j route`), kept whole so a route wanbond replaced comes
// back exactly: gateway, onlink, src, scope, protocol, metric, metrics and every nexthop of a
// multipath route. Pure.
import { isWanbondTable } from '../net/tables.js';
import { IFNAME_RE, IPV4_RE as IPV4, PREFIX_RE as PREFIX } from '../net/ipv4.js';
import { WanbondError } from '../errors.js';

export interface Nexthop {
  gateway?: string | undefined;
  dev: string;
  weight?: number | undefined;
  onlink?: boolean | undefined;
}

export interface RouteSpec {
  to: string; // 'default' or a prefix
  dev?: string | undefined; // absent on a multipath route
  gateway?: string | undefined;
  protocol?: string | undefined;
  scope?: string | undefined;
  src?: string | undefined;
  metric?: number | undefined;
  onlink?: boolean | undefined;
  type?: string | undefined; // 'unicast' when absent
  nexthops?: Nexthop[] | undefined;
  /** RTAX_* metrics by iproute2 name (mtu, advmss, window, ...); `locked` lists those with `lock`. */
  metrics?: Record<string, number> | undefined;
  locked?: string[] | undefined;
  /** A routing table other than main (a weighted bond's per-line tables). */
  table?: number | undefined;
}

const WORD = /^[a-z][a-z0-9_-]{0,31}$/;
/** Metrics `ip route` can set by name, in iproute2's spelling (ip/iproute.c). */
export const ROUTE_METRICS = [
  'mtu',
  'hoplimit',
  'advmss',
  'reordering',
  'window',
  'cwnd',
  'initcwnd',
  'initrwnd',
  'rtt',
  'rttvar',
  'ssthresh',
  'rto_min',
  'features',
  'quickack',
  'congctl',
  'fastopen_no_cookie',
];
const NUMERIC_METRICS = new Set([
  'mtu',
  'hoplimit',
  'advmss',
  'reordering',
  'window',
  'cwnd',
  'initcwnd',
  'initrwnd',
  'ssthresh',
  'quickack',
  'fastopen_no_cookie',
]);

const KERNEL_FLAGS = [
  'dead',
  'linkdown',
  'offload',
  'trap',
  'offload_failed',
  'rt_offload',
  'rt_trap',
  'rt_offload_failed',
  'pervasive',
  'notify',
];
/** Route types that lead nowhere: they have no device. */
const NO_DEVICE_TYPES = ['unreachable', 'blackhole', 'prohibit', 'throw'];

/**
 * What `ip -j route` printed for one route -> RouteSpec; undefined (with the reason) when wanbond cannot
 * restore it exactly.
 */
export function routeFromKernel(r: Record<string, unknown>): { route: RouteSpec } | { why: string } {
  const known = new Set([
    'dst',
    'dev',
    'gateway',
    'protocol',
    'scope',
    'prefsrc',
    'metric',
    'flags',
    'type',
    'nexthops',
    'metrics',
    'table',
  ]);
  const unknown = Object.keys(r).filter((k) => !known.has(k));
  if (unknown.length > 0) return { why: `it has attributes wanbond cannot restore exactly: ${unknown.join(', ')}` };
  const flags = (r['flags'] as unknown[] | undefined) ?? [];
  // Flags the kernel sets on its own (a link without carrier, hardware offload) are not part of the route to give back.
  const otherFlags = flags.filter((f) => f !== 'onlink' && !KERNEL_FLAGS.includes(String(f)));
  if (otherFlags.length > 0) return { why: `it has flags wanbond cannot restore: ${otherFlags.join(', ')}` };
  const route: RouteSpec = { to: String(r['dst']) };
  const s = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  if (s('dev')) route.dev = s('dev');
  if (s('gateway')) route.gateway = s('gateway');
  if (s('protocol')) route.protocol = s('protocol');
  if (s('scope')) route.scope = s('scope');
  // iproute2 omits scope global; `ip route` gives a route without gateway scope link unless told.
  else if (route.dev && !route.gateway && !Array.isArray(r['nexthops'])) route.scope = 'global';
  if (s('prefsrc')) route.src = s('prefsrc');
  if (typeof r['metric'] === 'number' && r['metric'] !== 0) route.metric = r['metric'];
  if (flags.includes('onlink')) route.onlink = true;
  if (s('type') && s('type') !== 'unicast') route.type = s('type');
  if (Array.isArray(r['nexthops'])) {
    route.nexthops = [];
    for (const n of r['nexthops'] as Record<string, unknown>[]) {
      const nUnknown = Object.keys(n).filter((k) => !['gateway', 'dev', 'weight', 'flags'].includes(k));
      if (nUnknown.length > 0)
        return { why: `a nexthop has attributes wanbond cannot restore exactly: ${nUnknown.join(', ')}` };
      const nf = (n['flags'] as unknown[] | undefined) ?? [];
      if (nf.some((f) => f !== 'onlink' && !KERNEL_FLAGS.includes(String(f))))
        return { why: `a nexthop has flags wanbond cannot restore: ${nf.join(', ')}` };
      route.nexthops.push({
        dev: String(n['dev']),
        ...(typeof n['gateway'] === 'string' ? { gateway: n['gateway'] } : {}),
        ...(typeof n['weight'] === 'number' && n['weight'] !== 1 ? { weight: n['weight'] } : {}),
        ...(nf.includes('onlink') ? { onlink: true } : {}),
      });
    }
  }
  if (r['metrics'] !== undefined) {
    const m = parseMetrics(r['metrics']);
    if ('why' in m) return m;
    if (Object.keys(m.metrics).length > 0) route.metrics = m.metrics;
    if (m.locked.length > 0) route.locked = m.locked;
  }
  const bad = validateRoute(route);
  return bad ? { why: bad } : { route };
}

/** iproute2 prints metrics as [{"mtu":1400}] or, locked, [{"mtu":{"lock":true? ...}}]: accept the shapes it prints. */
function parseMetrics(v: unknown): { metrics: Record<string, number>; locked: string[] } | { why: string } {
  const metrics: Record<string, number> = {};
  const locked: string[] = [];
  const items = Array.isArray(v) ? v : [v];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) return { why: 'its metrics are in a form wanbond does not know' };
    for (const [k, val] of Object.entries(item as Record<string, unknown>)) {
      if (!ROUTE_METRICS.includes(k) || !NUMERIC_METRICS.has(k))
        return { why: `its metric ${k} is one wanbond cannot restore exactly` };
      if (typeof val === 'number') metrics[k] = val;
      else if (
        typeof val === 'object' &&
        val !== null &&
        typeof (val as Record<string, unknown>)['value'] === 'number' &&
        (val as Record<string, unknown>)['lock'] === true
      ) {
        metrics[k] = (val as Record<string, number>)['value'] as number;
        locked.push(k);
      } else return { why: `its metric ${k} is in a form wanbond does not know` };
    }
  }
  return { metrics, locked };
}

/** Every word of a route that will reach a command line; undefined when all are valid. */
export function validateRoute(r: RouteSpec): string | undefined {
  if (r.to !== 'default' && !PREFIX.test(r.to)) return `destination '${r.to}' is not an IPv4 prefix`;
  if (r.dev !== undefined && !IFNAME_RE.test(r.dev)) return `device '${r.dev}' is not a valid interface name`;
  if (r.gateway !== undefined && !IPV4.test(r.gateway)) return `gateway '${r.gateway}' is not an IPv4 address`;
  if (r.src !== undefined && !IPV4.test(r.src)) return `source '${r.src}' is not an IPv4 address`;
  for (const [k, v] of [
    ['protocol', r.protocol],
    ['scope', r.scope],
    ['type', r.type],
  ] as const) {
    if (v !== undefined && !WORD.test(v) && !/^\d{1,3}$/.test(v)) return `${k} '${v}' is not a word iproute2 accepts`;
  }
  if (r.metric !== undefined && !(Number.isInteger(r.metric) && r.metric >= 0 && r.metric <= 0xffffffff))
    return `metric ${r.metric} is out of range`;
  if (
    r.dev === undefined &&
    (r.nexthops === undefined || r.nexthops.length === 0) &&
    !NO_DEVICE_TYPES.includes(r.type ?? 'unicast')
  )
    return 'it has neither a device nor nexthops';
  for (const n of r.nexthops ?? []) {
    if (!IFNAME_RE.test(n.dev)) return `nexthop device '${n.dev}' is not a valid interface name`;
    if (n.gateway !== undefined && !IPV4.test(n.gateway))
      return `nexthop gateway '${n.gateway}' is not an IPv4 address`;
    if (n.weight !== undefined && !(Number.isInteger(n.weight) && n.weight >= 1 && n.weight <= 256))
      return `nexthop weight ${n.weight} is out of range`;
  }
  for (const [k, v] of Object.entries(r.metrics ?? {})) {
    if (!ROUTE_METRICS.includes(k) || !Number.isInteger(v) || v < 0) return `metric ${k} ${v} is not valid`;
  }
  if (r.table !== undefined && !(Number.isInteger(r.table) && isWanbondTable(r.table)))
    return `table ${r.table} is not one wanbond may write`;
  return undefined;
}

/** `ip route replace|del ARGS` for a route: the reverse of what `ip -j route` prints. */
export function routeArgs(r: RouteSpec): string[] {
  const a: string[] = [];
  if (r.type) a.push(r.type);
  a.push(r.to);
  if (r.gateway) a.push('via', r.gateway);
  if (r.dev) a.push('dev', r.dev);
  if (r.onlink) a.push('onlink');
  if (r.protocol && r.protocol !== 'boot') a.push('proto', r.protocol);
  // iproute2 prints scope only where it is not global, so passing it back is exact.
  if (r.scope) a.push('scope', r.scope);
  if (r.src) a.push('src', r.src);
  if (r.metric !== undefined && r.metric !== 0) a.push('metric', String(r.metric));
  for (const [k, v] of Object.entries(r.metrics ?? {})) {
    a.push(k);
    if (r.locked?.includes(k)) a.push('lock');
    a.push(String(v));
  }
  for (const n of r.nexthops ?? []) {
    a.push('nexthop');
    if (n.gateway) a.push('via', n.gateway);
    a.push('dev', n.dev);
    if (n.weight !== undefined && n.weight !== 1) a.push('weight', String(n.weight));
    if (n.onlink) a.push('onlink');
  }
  if (r.table !== undefined) a.push('table', String(r.table));
  return a;
}

/** The devices a route leaves by (none for unreachable, blackhole, prohibit, throw). */
export function routeDevs(r: RouteSpec): string[] {
  return [...(r.dev ? [r.dev] : []), ...(r.nexthops ?? []).map((n) => n.dev)];
}

export function assertRoute(r: RouteSpec, where: string): RouteSpec {
  const bad = validateRoute(r);
  if (bad)
    throw new WanbondError(
      `${where}: route ${r.to}: ${bad}`,
      'this route cannot be passed to ip safely; inspect it with `ip route`',
    );
  return r;
}
