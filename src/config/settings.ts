// /etc/wanbond/wanbond.conf: which bonds, which slaves, address, routes, rp_filter, MTU.
// Read with our own line lexer (lex.ts), not the `ini` package: errors must name file:line,
// and `ini` keeps no line numbers and skips lines it cannot match. Pure.
import { ConfigError } from '../errors.js';
import { lex, type Entry, type Section } from './lex.js';
import { IFNAME_RE, isIpv4, networkOf, parseCidr } from '../net/ipv4.js';
import { defaultWatchSettings, parseWatchSection, type WatchSettings } from './watch-settings.js';

export type BondKind = 'teql' | 'weighted' | 'per-connection';

/**
 * A per-connection bond's uplink (a NATed line to its own provider): its address, next hop, share of new
 * connections.
 */
export interface UplinkSettings {
  name: string;
  /** The uplink's own address: what its connections are SNATed to, and what its replies are routed from. */
  address: string;
  gateway: string;
  weight: number;
  /** The uplink's capacity in the measured direction (bit/s): needed by `balance = load`. */
  bps: number | undefined;
  /** Which way load is measured: in (downloads, what asymmetric DSL runs out of first) or out. */
  measure: 'in' | 'out';
  line: number;
}

export interface BondSettings {
  /** The bond's device: teqlN (TEQL's own), or wbondN (a dummy wanbond creates for the address of a weighted bond). */
  teql: string;
  kind: BondKind;
  /**
   * The next hop of the bond's routes (a DSL-router site: the routers' shared LAN address, which TEQL
   * resolves on each slave). With it, the bond's address is a real one: its prefix is routed.
   */
  gateway: string | undefined;
  /**
   * Per slave, the router beyond it (its probe route's next hop) where it is not the other host of the
   * slave's /30 or /31.
   */
  routers: Record<string, string>;
  /** A per-connection bond's uplinks, in the order written (`uplink.<dev> = ...`). */
  uplinks: UplinkSettings[];
  /** A per-connection bond: new connections by weight, or by the daemon's measured load. */
  balance: 'weight' | 'load';
  /** Per-line rates in bit/s that override what the wanpipe configuration says (weighted bonds). */
  rates: Record<string, number>;
  ratesLine: number | undefined;
  index: number;
  slaves: string[] | undefined; // undefined: every IP interface of the wanpipe configuration
  address: string;
  routes: string[]; // 'default' and/or prefixes
  rpFilter: 0 | 2;
  mtu: number | undefined;
  line: number;
  /** Line of `slaves =`, when the section has one. */
  slavesLine: number | undefined;
}

export interface Settings {
  file: string | undefined;
  bonds: BondSettings[];
  slaveWaitMs: number;
  configFix: boolean;
  /** sch_teql's max_equalizers when wanbond loads it; at least what the bonds need. */
  maxEqualizers: number | undefined;
  /** The watch daemon's [watch] section. */
  watch: WatchSettings;
}

export const DEFAULT_SETTINGS_FILE = '/etc/wanbond/wanbond.conf';

export function defaultBond(index = 0): BondSettings {
  return {
    teql: `teql${index}`,
    kind: 'teql',
    gateway: undefined,
    routers: {},
    uplinks: [],
    balance: 'weight',
    rates: {},
    ratesLine: undefined,
    index,
    slaves: undefined,
    address: `10.0.${index}.0/31`,
    routes: index === 0 ? ['default'] : [],
    rpFilter: 0,
    mtu: undefined,
    line: 0,
    slavesLine: undefined,
  };
}

export function defaultSettings(): Settings {
  return {
    file: undefined,
    bonds: [defaultBond(0)],
    slaveWaitMs: 10_000,
    configFix: true,
    maxEqualizers: undefined,
    watch: defaultWatchSettings(),
  };
}

const KNOWN_GLOBAL = ['SLAVE_WAIT', 'CONFIG_FIX', 'MAX_EQUALIZERS'];
const KNOWN_BOND = ['SLAVES', 'ADDRESS', 'GATEWAY', 'ROUTERS', 'ROUTES', 'RP_FILTER', 'MTU', 'MODE', 'RATES'];
const KNOWN_PC = ['UPLINK.<dev>', 'BALANCE', 'ROUTES', 'RP_FILTER', 'MODE'];
const KIND_OF: Record<string, BondKind> = { teql: 'teql', wbond: 'weighted', pcbond: 'per-connection' };
const PREFIX_OF: Record<BondKind, string> = { teql: 'teql', weighted: 'wbond', 'per-connection': 'pcbond' };

/**
 * `uplink.eth1 = 100.64.1.2 via 100.64.1.1 weight 2 rate 20M measure in` -> the uplink; a file:line error
 * otherwise.
 */
export function parseUplink(file: string, e: Entry, name: string): UplinkSettings {
  const example =
    `write e.g. 'uplink.${name} = 100.64.1.2 via 100.64.1.1 weight 1' ` +
    `(its address, its provider's gateway; optional weight, rate, measure in|out)`;
  const words = e.value.split(/\s+/).filter((w) => w !== '');
  const [address, via, gateway, ...rest] = words;
  const ip = (a: string | undefined) => a !== undefined && isIpv4(a);
  if (!ip(address) || via !== 'via' || !ip(gateway))
    throw new ConfigError(
      file,
      e.line,
      `uplink.${name}: expected '<address> via <gateway> ...', found '${e.value}'`,
      example,
    );
  const u: UplinkSettings = {
    name,
    address: address as string,
    gateway: gateway as string,
    weight: 1,
    bps: undefined,
    measure: 'in',
    line: e.line,
  };
  const seen = new Set<string>();
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i] as string,
      v = rest[i + 1];
    if (seen.has(k)) throw new ConfigError(file, e.line, `uplink.${name}: ${k} is written twice`, example);
    seen.add(k);
    if (k === 'weight' && v !== undefined && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 64) u.weight = Number(v);
    else if (k === 'rate' && v !== undefined && parseRate(v) !== undefined) u.bps = parseRate(v);
    else if (k === 'measure' && (v === 'in' || v === 'out')) u.measure = v;
    else
      throw new ConfigError(
        file,
        e.line,
        `uplink.${name}: '${[k, v].filter((x) => x !== undefined).join(' ')}' ` +
          `is not weight 1..64, rate <bit/s> or measure in|out`,
        example,
      );
  }
  return u;
}

/** `768k`, `1.536M`, `1536000` (bit/s) -> bit/s; undefined when it is none of those or out of 8 kbit/s..100 Gbit/s. */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmg])?(?:bit)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bps = Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1));
  return bps >= 8000 && bps <= 100e9 ? bps : undefined;
}

function unknownKey(file: string, s: Section, e: Entry, known: string[]): ConfigError {
  return new ConfigError(
    file,
    e.line,
    `unknown setting '${e.key}' in [${s.name}]: expected one of ${known.map((k) => k.toLowerCase()).join(', ')}`,
    'see the settings reference in README.md',
  );
}

function duration(file: string, e: Entry): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(e.value);
  if (!m)
    throw new ConfigError(
      file,
      e.line,
      `${e.key}: expected a duration such as 10s or 500ms, found '${e.value}'`,
      `write e.g. '${e.key} = 10s'`,
    );
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000));
}

function yesNo(file: string, e: Entry): boolean {
  const v = e.value.toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(v)) return true;
  if (['no', 'false', 'off', '0'].includes(v)) return false;
  throw new ConfigError(
    file,
    e.line,
    `${e.key}: expected yes or no, found '${e.value}'`,
    `write '${e.key} = yes' or '${e.key} = no'`,
  );
}

export function parseSettings(file: string, text: string): Settings {
  const lexed = lex(file, text);
  const out: Settings = {
    file,
    bonds: [],
    slaveWaitMs: 10_000,
    configFix: true,
    maxEqualizers: undefined,
    watch: defaultWatchSettings(),
  };
  const usedSlaves = new Map<string, string>();
  for (const s of lexed.sections) {
    if (s.name === 'global') {
      for (const e of s.entries) {
        if (e.keyUpper === 'SLAVE_WAIT') out.slaveWaitMs = duration(file, e);
        else if (e.keyUpper === 'CONFIG_FIX') out.configFix = yesNo(file, e);
        else if (e.keyUpper === 'MAX_EQUALIZERS') {
          if (!/^\d+$/.test(e.value) || Number(e.value) < 1 || Number(e.value) > 100) {
            throw new ConfigError(
              file,
              e.line,
              `max_equalizers: expected 1 to 100, found '${e.value}'`,
              "write e.g. 'max_equalizers = 2'",
            );
          }
          out.maxEqualizers = Number(e.value);
        } else throw unknownKey(file, s, e, KNOWN_GLOBAL);
      }
      continue;
    }
    if (s.name === 'watch') {
      out.watch = parseWatchSection(file, s);
      continue;
    }
    const m = /^(teql|wbond|pcbond)([0-9]|[1-9][0-9])$/.exec(s.name);
    if (!m) {
      throw new ConfigError(
        file,
        s.line,
        `unknown section [${s.name}]: expected [global], [watch] or a bond named [teql0], [teql1], ... (TEQL), ` +
          `[wbond0], ... (weighted) or [pcbond0], ... (per-connection)`,
        'name each bond section after its kind: teqlN for a TEQL bond, wbondN for a weighted one, ' +
          'pcbondN for per-connection balancing over NATed uplinks',
      );
    }
    const b = defaultBond(Number(m[2]));
    b.teql = s.name;
    b.kind = KIND_OF[m[1] as string] as BondKind;
    if (b.kind === 'per-connection') {
      b.rpFilter = 2;
      b.address = '';
    }
    const uplinkNames = new Set<string>();
    b.line = s.line;
    b.routes = [];
    let routesSet = false;
    let mtuLine: number | undefined;
    let gatewayLine: number | undefined;
    let routersLine: number | undefined;
    for (const e of s.entries) {
      if (b.kind === 'per-connection') {
        const um = /^UPLINK\.(.+)$/.exec(e.keyUpper);
        if (um) {
          const name = e.key.slice('uplink.'.length);
          if (!IFNAME_RE.test(name) || /^teql\d/.test(name))
            throw new ConfigError(
              file,
              e.line,
              `uplink.${name}: invalid interface name '${name}'`,
              'use the name `ip link` shows, e.g. uplink.eth1 or uplink.ppp0',
            );
          if (uplinkNames.has(name))
            throw new ConfigError(
              file,
              e.line,
              `uplink.${name} is written twice in [${s.name}]`,
              'keep one line per uplink',
            );
          const prev = usedSlaves.get(name);
          if (prev)
            throw new ConfigError(
              file,
              e.line,
              `uplink.${name}: ${name} is already a slave of ${prev}`,
              `list ${name} in one bond only`,
            );
          usedSlaves.set(name, s.name);
          uplinkNames.add(name);
          b.uplinks.push(parseUplink(file, e, name));
          continue;
        }
        if (e.keyUpper === 'BALANCE') {
          const v = e.value.toLowerCase();
          if (v !== 'weight' && v !== 'load')
            throw new ConfigError(
              file,
              e.line,
              `balance: expected weight or load, found '${e.value}'`,
              "write 'balance = weight' (new connections by the uplinks' weights) " +
                "or 'balance = load' (by their measured spare capacity)",
            );
          b.balance = v;
          continue;
        }
        if (!['ROUTES', 'RP_FILTER', 'MODE'].includes(e.keyUpper)) throw unknownKey(file, s, e, KNOWN_PC);
      }
      switch (e.keyUpper) {
        case 'SLAVES': {
          const names = e.values.filter((v) => v !== '');
          if (names.length === 0)
            throw new ConfigError(
              file,
              e.line,
              `slaves: expected at least one interface name`,
              `write e.g. 'slaves = wan0, wan1'`,
            );
          for (const n of names) {
            if (!IFNAME_RE.test(n) || /^teql\d/.test(n)) {
              throw new ConfigError(
                file,
                e.line,
                `slaves: invalid interface name '${n}'`,
                'use the names `ip link` shows, e.g. wan0 or eth2 (a teql device cannot be a slave)',
              );
            }
            const prev = usedSlaves.get(n);
            if (prev)
              throw new ConfigError(
                file,
                e.line,
                `slaves: ${n} is already a slave of ${prev}`,
                `list ${n} in one bond only`,
              );
            usedSlaves.set(n, s.name);
          }
          b.slaves = names;
          b.slavesLine = e.line;
          break;
        }
        case 'ADDRESS': {
          const c = parseCidr(e.value);
          if (!c)
            throw new ConfigError(
              file,
              e.line,
              `address: expected an IPv4 address with prefix length such as 10.0.0.0/31, found '${e.value}'`,
              `write e.g. 'address = 10.0.${b.index}.0/31'`,
            );
          b.address = e.value;
          break;
        }
        case 'ROUTES': {
          routesSet = true;
          for (const r of e.values.filter((v) => v !== '')) {
            if (r.toLowerCase() === 'none') continue;
            if (r.toLowerCase() === 'default') {
              b.routes.push('default');
              continue;
            }
            const c = parseCidr(r);
            if (!c || networkOf(r) !== r) {
              throw new ConfigError(
                file,
                e.line,
                `routes: expected 'default' or a network prefix such as 192.0.2.0/24, found '${r}'`,
                c ? `write the network address: ${networkOf(r)}` : "list prefixes separated by commas, or 'none'",
              );
            }
            b.routes.push(r);
          }
          break;
        }
        case 'RP_FILTER': {
          if (e.value !== '0' && e.value !== '2') {
            throw new ConfigError(
              file,
              e.line,
              `rp_filter: expected 0 (off) or 2 (loose), found '${e.value}'`,
              'TEQL slaves receive packets for the bond address: strict rp_filter (1) drops them',
            );
          }
          b.rpFilter = Number(e.value) as 0 | 2;
          break;
        }
        case 'MODE': {
          const v = e.value.toLowerCase();
          if (v !== 'teql' && v !== 'weighted' && v !== 'per-connection') {
            throw new ConfigError(
              file,
              e.line,
              `mode: expected teql, weighted or per-connection, found '${e.value}'`,
              "write 'mode = weighted' for lines of unequal speed, " +
                "'mode = per-connection' for NATed uplinks to different providers, or leave the default (teql)",
            );
          }
          // sch_teql owns the names teql0..N-1: another kind's bond must not take one. The section's name
          // says the kind.
          if (v !== b.kind) {
            const why =
              v === 'teql'
                ? `${s.name} names a ${b.kind} bond`
                : v === 'weighted'
                  ? 'a weighted bond is named wbondN (sch_teql owns the names teqlN)'
                  : 'a per-connection bond is named pcbondN';
            throw new ConfigError(
              file,
              e.line,
              `mode = ${v} in [${s.name}]: ${why}`,
              `rename the section [${PREFIX_OF[v]}${b.index}]${v === 'teql' ? ', or remove the mode line' : ''}`,
            );
          }
          break;
        }
        case 'ROUTERS': {
          for (const v of e.values.filter((x) => x !== '')) {
            const [name, addr] = v.split(':').map((x) => x.trim());
            if (!name || !IFNAME_RE.test(name) || !addr || !isIpv4(addr)) {
              throw new ConfigError(
                file,
                e.line,
                `routers: expected slave:address such as eth2:172.16.8.2, found '${v}'`,
                "list the router beyond each slave, e.g. 'routers = eth2:172.16.8.2, eth3:172.16.8.6'",
              );
            }
            b.routers[name] = addr;
          }
          routersLine = e.line;
          break;
        }
        case 'RATES': {
          for (const v of e.values.filter((x) => x !== '')) {
            const [name, rate] = v.split(':').map((x) => x.trim());
            const bps = rate === undefined ? undefined : parseRate(rate);
            if (!name || !IFNAME_RE.test(name) || bps === undefined) {
              throw new ConfigError(
                file,
                e.line,
                `rates: expected line:rate such as w2g1ppp:768k, found '${v}'`,
                "list each line's rate in bit/s (k, M or G), e.g. 'rates = w1g1ppp:1536k, w2g1ppp:768k'",
              );
            }
            b.rates[name] = bps;
          }
          b.ratesLine = e.line;
          break;
        }
        case 'GATEWAY': {
          if (!isIpv4(e.value))
            throw new ConfigError(
              file,
              e.line,
              `gateway: expected an IPv4 address, found '${e.value}'`,
              "write the routers' shared LAN address, e.g. 'gateway = 203.0.113.9'",
            );
          b.gateway = e.value;
          gatewayLine = e.line;
          break;
        }
        case 'MTU': {
          const n = Number(e.value);
          if (!/^\d+$/.test(e.value) || n < 68 || n > 65535)
            throw new ConfigError(
              file,
              e.line,
              `mtu: expected 68 to 65535, found '${e.value}'`,
              "write e.g. 'mtu = 1500'",
            );
          b.mtu = n;
          mtuLine = e.line;
          break;
        }
        default:
          throw unknownKey(file, s, e, KNOWN_BOND);
      }
    }
    if (!routesSet) b.routes = b.index === 0 || b.kind === 'per-connection' ? ['default'] : [];
    if (b.kind === 'per-connection') {
      if (b.uplinks.length < 2) {
        throw new ConfigError(
          file,
          b.uplinks[0]?.line ?? s.line,
          `[${s.name}]: a per-connection bond needs at least two uplinks, found ${b.uplinks.length}`,
          "write one line per uplink: 'uplink.eth1 = 100.64.1.2 via 100.64.1.1' and " +
            "'uplink.eth2 = 100.64.2.2 via 100.64.2.1'",
        );
      }
      const unrated = b.uplinks.find((u) => u.bps === undefined);
      if (b.balance === 'load' && unrated)
        throw new ConfigError(
          file,
          unrated.line,
          `uplink.${unrated.name}: balance = load compares each uplink's load with its capacity, ` +
            `and ${unrated.name} has no rate`,
          `add its rate in the measured direction, e.g. '... rate 16M measure ${unrated.measure}'`,
        );
      if (b.routes.length === 0)
        throw new ConfigError(
          file,
          s.line,
          `[${s.name}]: routes = none leaves a per-connection bond nothing to balance`,
          "write 'routes = default' (the default), or the prefixes its uplinks should carry",
        );
      const same = [...out.bonds.flatMap((x) => x.uplinks), ...b.uplinks].find((u, i, all) =>
        all.slice(0, i).some((x) => x.address === u.address),
      );
      if (same)
        throw new ConfigError(
          file,
          same.line,
          `uplink.${same.name}: the address ${same.address} is another uplink's`,
          "give each uplink the address its provider gave it ('ip -4 addr show dev <uplink>')",
        );
      b.slaves = b.uplinks.map((u) => u.name);
      b.slavesLine = b.uplinks[0]?.line;
    }
    if (b.gateway !== undefined) {
      if (b.kind === 'weighted')
        throw new ConfigError(
          file,
          gatewayLine ?? b.line,
          `gateway in [${s.name}]: a weighted bond routes by each line's own table`,
          'remove the line (gateways for weighted bonds are not built yet)',
        );
      if (
        networkOf(b.address) !== networkOf(`${b.gateway}/${b.address.split('/')[1]}`) ||
        b.gateway === b.address.split('/')[0]
      ) {
        throw new ConfigError(
          file,
          gatewayLine ?? b.line,
          `gateway ${b.gateway} is not another address of ${b.address}'s network: ` +
            `the bond's routes go via it on ${s.name}, so it must be on that link`,
          `write the bond's real address and prefix (address = 203.0.113.10/29) ` +
            `and the routers' shared address in it (gateway = 203.0.113.9)`,
        );
      }
    }
    if (routersLine !== undefined && b.gateway === undefined) {
      throw new ConfigError(
        file,
        routersLine,
        `routers in [${s.name}]: a bond's probes go via the routers beyond its slaves ` +
          `only at a DSL-router site, a bond with a gateway`,
        "add 'gateway = <the routers' shared address>', or remove the line",
      );
    }
    const strangers = Object.keys(b.routers).filter((n) => b.slaves !== undefined && !b.slaves.includes(n));
    if (routersLine !== undefined && strangers.length > 0)
      throw new ConfigError(
        file,
        routersLine,
        `routers: ${strangers.join(', ')} ${strangers.length > 1 ? 'are' : 'is'} not a slave of [${s.name}]`,
        `name the routers of ${b.slaves?.join(', ')} only`,
      );
    if (b.kind === 'weighted' && mtuLine !== undefined) {
      throw new ConfigError(
        file,
        mtuLine,
        `mtu in [${s.name}]: a weighted bond sends each packet by one line as it is, so each line keeps its own MTU`,
        'remove the line, or set the MTU on the lines themselves',
      );
    }
    if (b.kind === 'teql' && b.ratesLine !== undefined) {
      throw new ConfigError(
        file,
        b.ratesLine,
        `rates in [${s.name}]: TEQL hands every line the same number of packets, whatever their rates`,
        `for lines of unequal speed, make it a weighted bond: rename the section [wbond${b.index}]`,
      );
    }
    if (b.kind === 'weighted' && b.slaves !== undefined) {
      const unknown = Object.keys(b.rates).filter((n) => !b.slaves?.includes(n));
      if (unknown.length > 0)
        throw new ConfigError(
          file,
          b.ratesLine ?? b.line,
          `rates: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a slave of [${s.name}]`,
          `list the rates of ${b.slaves.join(', ')} only`,
        );
    }
    out.bonds.push(b);
  }
  if (out.bonds.length === 0) out.bonds.push(defaultBond(0));
  const needed = Math.max(0, ...out.bonds.filter((b) => b.kind === 'teql').map((b) => b.index + 1));
  if (out.maxEqualizers !== undefined && out.maxEqualizers < needed) {
    throw new ConfigError(
      file,
      lexed.sections.find((s) => s.name === 'global')?.entries.find((e) => e.keyUpper === 'MAX_EQUALIZERS')?.line ?? 1,
      `max_equalizers = ${out.maxEqualizers} is too few for teql${needed - 1}`,
      `write 'max_equalizers = ${needed}' or more`,
    );
  }
  for (const [i, b] of out.bonds.entries()) {
    const other = b.kind === 'per-connection' ? undefined : out.bonds.slice(0, i).find((x) => x.address === b.address);
    if (other)
      throw new ConfigError(
        file,
        b.line,
        `[${b.teql}]: address ${b.address} is already [${other.teql}]'s`,
        `give [${b.teql}] its own address, e.g. 'address = 10.0.${b.index}.0/31'`,
      );
    const route = b.routes.find((r) => r !== 'default' && out.bonds.slice(0, i).some((x) => x.routes.includes(r)));
    if (route)
      throw new ConfigError(
        file,
        b.line,
        `[${b.teql}]: the route ${route} is already another bond's`,
        'give each prefix to one bond only',
      );
  }
  const defaults = out.bonds.filter((b) => b.routes.includes('default'));
  if (defaults.length > 1) {
    // A bond whose section says nothing of routes took the default by itself: say where to write others.
    throw new ConfigError(
      file,
      defaults[1]!.line,
      `${defaults[1]!.teql}: a default route is already set on ${defaults[0]!.teql}`,
      `give the default route to one bond only: write 'routes = <prefixes>' ` +
        `(or 'routes = none' for a TEQL or weighted bond) ` +
        `in [${defaults[1]!.teql}] or [${defaults[0]!.teql}]`,
    );
  }
  const implicit = out.bonds.filter((b) => b.slaves === undefined);
  if (out.bonds.length > 1 && implicit.length > 0) {
    throw new ConfigError(
      file,
      implicit[0]!.line,
      `[${implicit[0]!.teql}] has no 'slaves =' line: with several bonds each must list its slaves`,
      "add e.g. 'slaves = wan0, wan1'",
    );
  }
  return out;
}
