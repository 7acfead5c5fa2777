// /etc/wanbond/wanbond.conf: which bonds, which slaves, address, routes, rp_filter, MTU.
// Read with our own line lexer (lex.ts), not the `ini` package: errors must name file:line,
// and `ini` keeps no line numbers and skips lines it cannot match. Pure.
import type { SectionContext } from '../bonds/kind.js';
import { KINDS, kindOf, kindOfSection } from '../bonds/registry.js';
import { ConfigError } from '../errors.js';
import { lex, type Entry, type Section } from './lex.js';
import { parseRate } from './line-rate.js';
import { IFNAME_RE, isIpv4, networkOf, parseCidr } from '../net/ipv4.js';
import type { BondSettings, Settings } from './settings-types.js';
import { defaultWatchSettings, parseWatchSection } from './watch-settings.js';

export * from './settings-types.js';

export function defaultBond(index = 0): BondSettings {
  return {
    name: `teql${index}`,
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

/** `a`, `a or b`, `a, b or c`. */
const oneOf = (xs: readonly string[]) =>
  xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`;

function unknownKey(file: string, s: Section, e: Entry, known: readonly string[]): ConfigError {
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
  // An empty file may be one cut short (a full disk): the built-in default bond would take over the
  // default route, so it is refused, and the hint says how to get that default on purpose.
  const lexed = lex(file, text, {
    emptyHint:
      "write the bonds (e.g. '[teql0]' and 'slaves = wan0, wan1'; see the settings reference in README.md), " +
      `or remove ${file} to use the built-in default: one TEQL bond teql0 of every WANPIPE IP interface, ` +
      'with the default route',
  });
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
    const found = kindOfSection(s.name);
    if (!found) {
      throw new ConfigError(
        file,
        s.line,
        `unknown section [${s.name}]: expected [global], [watch] or a bond named ` +
          oneOf(KINDS.map((k) => k.settings.sections)),
        `name each bond section after its kind: ${KINDS.map((k) => k.settings.hint).join(', ')}`,
      );
    }
    const kind = found.kind;
    const b = defaultBond(found.index);
    b.name = s.name;
    b.kind = kind.name;
    kind.settings.start?.(b);
    b.line = s.line;
    b.routes = [];
    let routesSet = false;
    const lines: SectionContext['lines'] = { mtu: undefined, gateway: undefined };
    let routersLine: number | undefined;
    const x: SectionContext = {
      file,
      before: out.bonds,
      lines,
      claim(name, e, what) {
        const prev = usedSlaves.get(name);
        if (prev)
          throw new ConfigError(
            file,
            e.line,
            `${what}: ${name} is already a slave of ${prev}`,
            `list ${name} in one bond only`,
          );
        usedSlaves.set(name, s.name);
      },
    };
    for (const e of s.entries) {
      if (kind.settings.key?.(b, e, x)) continue;
      const shared = kind.settings.shared;
      if (shared && !shared.keys.includes(e.keyUpper)) throw unknownKey(file, s, e, shared.known);
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
            x.claim(n, e, 'slaves');
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
          const named = KINDS.find((k) => k.name === v);
          if (!named) {
            throw new ConfigError(
              file,
              e.line,
              `mode: expected ${oneOf(KINDS.map((k) => k.name))}, found '${e.value}'`,
              "write 'mode = weighted' for lines of unequal speed, " +
                "'mode = per-connection' for NATed uplinks to different providers, or leave the default (teql)",
            );
          }
          // sch_teql owns the names teql0..N-1: another kind's bond must not take one. The section's name
          // says the kind.
          if (named !== kind) {
            const deflt = named === KINDS[0];
            throw new ConfigError(
              file,
              e.line,
              `mode = ${v} in [${s.name}]: ${deflt ? `${s.name} names a ${b.kind} bond` : named.settings.named}`,
              `rename the section [${named.prefix}${b.index}]${deflt ? ', or remove the mode line' : ''}`,
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
          lines.gateway = e.line;
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
          lines.mtu = e.line;
          break;
        }
        default:
          throw unknownKey(file, s, e, KNOWN_BOND);
      }
    }
    if (!routesSet) b.routes = kind.settings.defaultRoutes(b);
    kind.settings.finish?.(b, x);
    if (b.gateway !== undefined) {
      if (
        networkOf(b.address) !== networkOf(`${b.gateway}/${b.address.split('/')[1]}`) ||
        b.gateway === b.address.split('/')[0]
      ) {
        throw new ConfigError(
          file,
          lines.gateway ?? b.line,
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
    out.bonds.push(b);
  }
  if (out.bonds.length === 0) out.bonds.push(defaultBond(0));
  const needed = Math.max(0, ...out.bonds.filter((b) => kindOf(b).needsTeql).map((b) => b.index + 1));
  if (out.maxEqualizers !== undefined && out.maxEqualizers < needed) {
    throw new ConfigError(
      file,
      lexed.sections.find((s) => s.name === 'global')?.entries.find((e) => e.keyUpper === 'MAX_EQUALIZERS')?.line ?? 1,
      `max_equalizers = ${out.maxEqualizers} is too few for teql${needed - 1}`,
      `write 'max_equalizers = ${needed}' or more`,
    );
  }
  for (const [i, b] of out.bonds.entries()) {
    const other = !kindOf(b).ownDevice ? undefined : out.bonds.slice(0, i).find((x) => x.address === b.address);
    if (other)
      throw new ConfigError(
        file,
        b.line,
        `[${b.name}]: address ${b.address} is already [${other.name}]'s`,
        `give [${b.name}] its own address, e.g. 'address = 10.0.${b.index}.0/31'`,
      );
    const route = b.routes.find((r) => r !== 'default' && out.bonds.slice(0, i).some((x) => x.routes.includes(r)));
    if (route)
      throw new ConfigError(
        file,
        b.line,
        `[${b.name}]: the route ${route} is already another bond's`,
        'give each prefix to one bond only',
      );
  }
  const defaults = out.bonds.filter((b) => b.routes.includes('default'));
  if (defaults.length > 1) {
    // A bond whose section says nothing of routes took the default by itself: say where to write others.
    throw new ConfigError(
      file,
      defaults[1]!.line,
      `${defaults[1]!.name}: a default route is already set on ${defaults[0]!.name}`,
      `give the default route to one bond only: write 'routes = <prefixes>' ` +
        `(or 'routes = none' for a TEQL or weighted bond) ` +
        `in [${defaults[1]!.name}] or [${defaults[0]!.name}]`,
    );
  }
  const implicit = out.bonds.filter((b) => b.slaves === undefined);
  if (out.bonds.length > 1 && implicit.length > 0) {
    throw new ConfigError(
      file,
      implicit[0]!.line,
      `[${implicit[0]!.name}] has no 'slaves =' line: with several bonds each must list its slaves`,
      "add e.g. 'slaves = wan0, wan1'",
    );
  }
  return out;
}
