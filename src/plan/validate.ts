// A step read back from the record is untrusted input: every field is checked before any of it can
// reach a command line. Pure.
import { IFNAME_RE, IPV4_RE as IPV4, PREFIX_RE } from '../net/ipv4.js';
import { validateRoute, type RouteSpec } from './route.js';
import type { Step, StepKind } from './steps.js';
import { stepTypeNamed } from './step-types.js';
import { kindOfSection } from '../bonds/registry.js';
import {
  checkBondRules,
  MARK_BASE,
  MARK_MASK,
  PC_MARK_BASE,
  type WeightedBondRules,
} from '../bonds/weighted/ruleset.js';
import { DEFAULT_RULE_PRIORITY, tableOf } from '../bonds/weighted/policy.js';
import type { PolicyRule } from '../net/rules.js';
import { PROBE_RULE_PRIORITY, PROBE_TABLES, probeMarkOf } from '../bonds/teql/probe-routes.js';
import {
  PC_LAN_PRIORITY,
  PC_MARK_MASK,
  PC_RULE_LAST,
  PC_RULE_PRIORITY,
  PC_TABLES,
} from '../bonds/per-connection/per-connection.js';

const KINDS: readonly StepKind[] = [
  'fix-config',
  'wanrouter-start',
  'wanrouter-stop',
  'restart-device',
  'wait-links',
  'load-module',
  'unload-module',
  'set-mtu',
  'hold-bond',
  'release-bond',
  'attach-slave',
  'detach-slave',
  'set-link-up',
  'set-link-down',
  'add-address',
  'del-address',
  'del-route',
  'replace-route',
  'restore-route',
  'set-sysctl',
  'create-dummy',
  'delete-link',
  'nft-table',
  'nft-delete-table',
  'nft-stripe',
  'add-rule',
  'del-rule',
  'conntrack-flush',
  'kind-step',
];

const DEVICE = /^(all|wanpipe[1-9][0-9]?)$/;
const TEQL = /^teql[0-9]{1,2}$/;
/** Only a weighted bond's own dummy device is ever created or deleted. */
const WBOND = /^wbond[0-9]{1,2}$/;
const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const SYSCTL_KEY = /^net\.ipv4\.(ip_forward|conf\.[A-Za-z0-9_.:-]{1,15}\.rp_filter)$/;
const SYSCTL_VALUE = /^[0-9]{1,3}$/;

type J = Record<string, unknown>;

function str(o: J, k: string, re: RegExp): string {
  const v = o[k];
  if (typeof v !== 'string' || !re.test(v))
    throw new Error(`${String(o['kind'])}: field ${k} is ${JSON.stringify(v)}, which is not valid here`);
  return v;
}

function int(o: J, k: string, min: number, max: number): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new Error(`${String(o['kind'])}: field ${k} is ${JSON.stringify(v)}, expected ${min} to ${max}`);
  return v;
}

function route(o: J, k: string): RouteSpec {
  const v = o[k];
  if (typeof v !== 'object' || v === null) throw new Error(`${String(o['kind'])}: field ${k} is not a route`);
  const r = v as RouteSpec;
  if (typeof r.to !== 'string') throw new Error(`${String(o['kind'])}: field ${k} has no destination`);
  const bad = validateRoute(r);
  if (bad) throw new Error(`${String(o['kind'])}: field ${k}: ${bad}`);
  return r;
}

function names(o: J, k: string, re = IFNAME_RE): string[] {
  const v = o[k];
  const what = re === IFNAME_RE ? 'interface names' : 'prefixes';
  if (!Array.isArray(v) || !v.every((i) => typeof i === 'string' && re.test(i))) {
    throw new Error(`${String(o['kind'])}: field ${k} is not a list of ${what}`);
  }
  return v as string[];
}

/** A weighted bond's rules as recorded: rebuilt field by field, then checked as the renderer checks them. */
function bondRules(o: J, v: unknown): WeightedBondRules {
  if (typeof v !== 'object' || v === null) throw new Error(`${String(o['kind'])}: not a weighted bond`);
  const b = v as J;
  const lines = b['lines'];
  if (!Array.isArray(lines)) throw new Error(`${String(o['kind'])}: a weighted bond without lines`);
  const pc = b['perConnection'];
  if (
    pc !== undefined &&
    (typeof pc !== 'object' ||
      pc === null ||
      !Array.isArray((pc as J)['nat']) ||
      !((pc as J)['nat'] as unknown[]).every((a) => typeof a === 'string' && IPV4.test(a)))
  ) {
    throw new Error(`${String(o['kind'])}: field perConnection is not a list of SNAT addresses`);
  }
  const daddr = pc === undefined || (pc as J)['daddr'] === undefined ? undefined : names(pc as J, 'daddr', PREFIX_RE);
  const out: WeightedBondRules = {
    bond: str(b, 'bond', /^(wbond|pcbond)[0-9]{1,2}$/),
    index: int(b, 'index', 0, 99),
    inRing: names(b, 'inRing'),
    lines: lines.map((l: unknown) => ({ name: str(l as J, 'name', IFNAME_RE), weight: int(l as J, 'weight', 0, 64) })),
    ...(pc !== undefined
      ? { perConnection: { nat: [...((pc as J)['nat'] as string[])], ...(daddr ? { daddr } : {}) } }
      : {}),
    ...(b['siteIifs'] !== undefined ? { siteIifs: names(b, 'siteIifs') } : {}),
  };
  try {
    checkBondRules(out);
  } catch (e) {
    throw new Error(`${String(o['kind'])}: ${(e as Error).message}`);
  }
  if (out.bond !== `${out.perConnection ? 'pcbond' : 'wbond'}${out.index}`)
    throw new Error(`${String(o['kind'])}: ${out.bond} with the index ${out.index}`);
  if (new Set(out.lines.map((l) => l.name)).size !== out.lines.length)
    throw new Error(`${String(o['kind'])}: ${out.bond} names a line twice`);
  return out;
}

function rule(o: J): PolicyRule {
  const r = o['rule'];
  if (typeof r !== 'object' || r === null) throw new Error(`${String(o['kind'])}: field rule is not a rule`);
  const x: J = { ...(r as J), kind: o['kind'] };
  // Only rules of the shape wanbond writes (src/bonds/weighted/policy.ts): a record is untrusted, and `down`
  // deletes what it names.
  if (x['priority'] === PC_LAN_PRIORITY && x['from'] !== undefined) {
    // A per-connection uplink's replies: main's routes longer than the bond's longest prefix first.
    if (x['table'] !== 'main' || x['fwmark'] !== undefined || x['oif'] !== undefined) {
      throw new Error(`${String(o['kind'])}: a rule at ${PC_LAN_PRIORITY} from an uplink looks up main`);
    }
    const suppress = int(x, 'suppressPrefixlength', 1, 32);
    return { priority: PC_LAN_PRIORITY, from: str(x, 'from', IPV4), table: 'main', suppressPrefixlength: suppress };
  }
  if (x['priority'] === PROBE_RULE_PRIORITY) {
    // A probe route's rule: the slave's probe mark (or, as an older wanbond wrote it, the slave a socket is
    // bound to), to that slave's table.
    const table = int(x, 'table', PROBE_TABLES.min, PROBE_TABLES.max);
    if (x['suppressPrefixlength'] !== undefined || (x['fwmark'] === undefined) === (x['oif'] === undefined))
      throw new Error(`${String(o['kind'])}: a probe rule selects by its mark or by oif, one of them`);
    if (x['oif'] !== undefined) return { priority: PROBE_RULE_PRIORITY, oif: str(x, 'oif', IFNAME_RE), table };
    int(x, 'mask', 0xffffffff, 0xffffffff);
    return {
      priority: PROBE_RULE_PRIORITY,
      fwmark: int(x, 'fwmark', probeMarkOf(0, 0), probeMarkOf(99, 253)),
      mask: 0xffffffff,
      table,
    };
  }
  if (typeof x['priority'] === 'number' && x['priority'] >= PC_RULE_PRIORITY && x['priority'] <= PC_RULE_LAST)
    return pcRule(x);
  if (x['oif'] !== undefined) throw new Error(`${String(o['kind'])}: oif on a rule that selects by mark`);
  const table = x['table'] === 'main' ? ('main' as const) : int(x, 'table', tableOf(0, 0), tableOf(99, 253));
  const fwmark = int(x, 'fwmark', MARK_BASE, MARK_BASE + 0xffff);
  const mask = int(x, 'mask', MARK_MASK, 0xffffffff);
  if (mask !== MARK_MASK && mask !== 0xffffffff)
    throw new Error(`${String(o['kind'])}: mask ${mask} is not one wanbond writes`);
  return {
    priority: int(x, 'priority', DEFAULT_RULE_PRIORITY, DEFAULT_RULE_PRIORITY + 2),
    fwmark,
    mask,
    table,
    ...(x['suppressPrefixlength'] !== undefined ? { suppressPrefixlength: int(x, 'suppressPrefixlength', 0, 0) } : {}),
  };
}

/**
 * A per-connection bond's rule (src/bonds/per-connection/per-connection.ts pcPolicyRules): its three groups'
 * shapes, nothing else.
 */
function pcRule(x: J): PolicyRule {
  const what = String(x['kind']);
  const priority = x['priority'] as number;
  const from = x['from'] === undefined ? undefined : str(x, 'from', IPV4);
  const oif = x['oif'] === undefined ? undefined : str(x, 'oif', IFNAME_RE);
  if ([from, oif, x['fwmark']].filter((v) => v !== undefined).length !== 1)
    throw new Error(`${what}: a per-connection rule selects by mark, by source or by device, one of them`);
  if (oif !== undefined && priority !== PC_RULE_LAST) throw new Error(`${what}: a device's rule is at ${PC_RULE_LAST}`);
  const main = priority === PC_RULE_PRIORITY + 1;
  const mark = x['fwmark'] === undefined ? undefined : int(x, 'fwmark', PC_MARK_BASE, PC_MARK_BASE + 0xffff);
  const mask = mark === undefined ? undefined : int(x, 'mask', PC_MARK_MASK, 0xffffffff);
  if (mask !== undefined && mask !== (main ? PC_MARK_MASK : 0xffffffff))
    throw new Error(`${what}: mask ${mask} is not the one wanbond writes at ${priority}`);
  const sel =
    from !== undefined ? { from } : oif !== undefined ? { oif } : { fwmark: mark as number, mask: mask as number };
  const suppress = priority !== PC_RULE_LAST;
  if ((x['suppressPrefixlength'] === 0) !== suppress || (!suppress && x['suppressPrefixlength'] !== undefined))
    throw new Error(`${what}: suppress_prefixlength is not as wanbond writes it at ${priority}`);
  if (main) {
    // The router's own networks first: main without its default.
    if (x['table'] !== 'main') throw new Error(`${what}: a rule at ${priority} looks up main`);
    return { priority, ...sel, table: 'main', suppressPrefixlength: 0 };
  }
  return {
    priority,
    ...sel,
    table: int(x, 'table', PC_TABLES.min, PC_TABLES.max),
    ...(suppress ? { suppressPrefixlength: 0 } : {}),
  };
}

export function validateStep(raw: unknown): Step {
  if (typeof raw !== 'object' || raw === null) throw new Error('not an object');
  const o = raw as J;
  const k = o['kind'];
  if (typeof k !== 'string' || !(KINDS as readonly string[]).includes(k))
    throw new Error(`unknown step kind ${JSON.stringify(k)}`);
  const kind = k as StepKind;
  const dev = () => str(o, 'dev', IFNAME_RE);
  switch (kind) {
    case 'fix-config': {
      const ifaces = o['ifaces'];
      if (!Array.isArray(ifaces) || !ifaces.every((i) => typeof i === 'string' && IFNAME_RE.test(i)))
        throw new Error('fix-config: field ifaces is not a list of interface names');
      return { kind: 'fix-config', ifaces: ifaces as string[] };
    }
    case 'wanrouter-start':
      return { kind: 'wanrouter-start', device: str(o, 'device', DEVICE) };
    case 'wanrouter-stop':
      return { kind: 'wanrouter-stop', device: str(o, 'device', DEVICE) };
    case 'restart-device': {
      const slaves = o['slaves'];
      if (!Array.isArray(slaves) || !slaves.every((i) => typeof i === 'string' && IFNAME_RE.test(i)))
        throw new Error('restart-device: field slaves is not a list of interface names');
      return { kind: 'restart-device', device: str(o, 'device', DEVICE), slaves: slaves as string[] };
    }
    case 'wait-links': {
      const devs = o['devs'];
      if (!Array.isArray(devs) || !devs.every((i) => typeof i === 'string' && IFNAME_RE.test(i)))
        throw new Error('wait-links: field devs is not a list of interface names');
      return { kind: 'wait-links', devs: devs as string[], timeoutMs: int(o, 'timeoutMs', 0, 3_600_000) };
    }
    case 'load-module':
      return { kind: 'load-module', maxEqualizers: int(o, 'maxEqualizers', 1, 100) };
    case 'unload-module':
      return { kind: 'unload-module' };
    case 'set-mtu':
      return { kind: 'set-mtu', dev: dev(), mtu: int(o, 'mtu', 68, 65535), was: int(o, 'was', 68, 65535) };
    case 'hold-bond':
      return { kind: 'hold-bond', teql: str(o, 'teql', TEQL) };
    case 'release-bond':
      return { kind: 'release-bond', teql: str(o, 'teql', TEQL) };
    case 'attach-slave':
      return { kind: 'attach-slave', dev: dev(), teql: str(o, 'teql', TEQL) };
    case 'detach-slave':
      return { kind: 'detach-slave', dev: dev(), teql: str(o, 'teql', TEQL) };
    case 'set-link-up':
      return { kind: 'set-link-up', dev: dev() };
    case 'set-link-down':
      return { kind: 'set-link-down', dev: dev() };
    case 'add-address': {
      if (o['prefixRoute'] !== undefined && typeof o['prefixRoute'] !== 'boolean')
        throw new Error('add-address: field prefixRoute is not true or false');
      return {
        kind: 'add-address',
        dev: dev(),
        cidr: str(o, 'cidr', CIDR),
        ...(o['prefixRoute'] === true ? { prefixRoute: true } : {}),
      };
    }
    case 'del-address':
      return { kind: 'del-address', dev: dev(), cidr: str(o, 'cidr', CIDR) };
    case 'del-route':
      return { kind: 'del-route', route: route(o, 'route') };
    case 'replace-route':
      return {
        kind: 'replace-route',
        route: route(o, 'route'),
        was: o['was'] === undefined || o['was'] === null ? undefined : route(o, 'was'),
      };
    case 'restore-route':
      return { kind: 'restore-route', route: route(o, 'route'), replaced: route(o, 'replaced') };
    case 'set-sysctl':
      return {
        kind: 'set-sysctl',
        key: str(o, 'key', SYSCTL_KEY),
        value: str(o, 'value', SYSCTL_VALUE),
        was: str(o, 'was', SYSCTL_VALUE),
      };
    case 'create-dummy':
      return { kind: 'create-dummy', dev: str(o, 'dev', WBOND) };
    case 'delete-link':
      return { kind: 'delete-link', dev: str(o, 'dev', WBOND) };
    case 'nft-table': {
      const bonds = o['bonds'];
      if (!Array.isArray(bonds)) throw new Error('nft-table: field bonds is not a list');
      if (typeof o['replaced'] !== 'boolean') throw new Error('nft-table: field replaced is not true or false');
      return { kind: 'nft-table', bonds: bonds.map((b) => bondRules(o, b)), replaced: o['replaced'] };
    }
    case 'nft-delete-table':
      return { kind: 'nft-delete-table' };
    case 'nft-stripe':
      return { kind: 'nft-stripe', bond: bondRules(o, o['bond']), wasInRing: names(o, 'wasInRing') };
    case 'conntrack-flush':
      return {
        kind: 'conntrack-flush',
        bond: str(o, 'bond', /^pcbond[0-9]{1,2}$/),
        dev: dev(),
        mark: int(o, 'mark', PC_MARK_BASE, PC_MARK_BASE + 0xffff),
      };
    case 'add-rule':
      return { kind: 'add-rule', rule: rule(o) };
    case 'del-rule':
      return { kind: 'del-rule', rule: rule(o) };
    case 'kind-step':
      return kindStep(o);
  }
}

/** A kind's own step: a registered type, a bond of a kind that has it, plain strings, and what its type checks. */
function kindStep(o: J): Step {
  const type = str(o, 'type', /^[a-z][a-z0-9-]{0,31}$/);
  const t = stepTypeNamed(type);
  if (!t) throw new Error(`kind-step: no bond kind of this wanbond has the step type ${type}`);
  const bond = str(o, 'bond', /^[a-z]{1,16}[0-9]{1,2}$/);
  const of = kindOfSection(bond)?.kind;
  if (!of?.steps?.includes(t)) throw new Error(`kind-step: ${bond} is not a bond of the kind whose step ${type} is`);
  const data = o['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new Error('kind-step: field data is not an object');
  if (!Object.values(data).every((v) => typeof v === 'string'))
    throw new Error('kind-step: field data holds something other than text');
  const s = { kind: 'kind-step' as const, type, bond, data: { ...(data as Record<string, string>) } };
  const why = t.invalid(s);
  if (why !== undefined) throw new Error(`kind-step ${type}: ${why}`);
  return s;
}
