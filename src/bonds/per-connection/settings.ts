// A per-connection bond's settings section ([pcbondN]): its uplinks (`uplink.<dev> = <address> via
// <gateway> ...`, in the order written) and how new connections are balanced; of the shared keys
// only routes, rp_filter and mode. Pure.
import { ConfigError } from '../../errors.js';
import type { Entry } from '../../config/lex.js';
import { parseRate } from '../../config/line-rate.js';
import type { BondSettings, UplinkSettings } from '../../config/settings-types.js';
import { IFNAME_RE, isIpv4 } from '../../net/ipv4.js';
import type { KindSettings } from '../kind.js';

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

export const perConnectionSettings: KindSettings = {
  sections: '[pcbond0], ... (per-connection)',
  hint: 'pcbondN for per-connection balancing over NATed uplinks',
  named: 'a per-connection bond is named pcbondN',
  // Its lines keep the addresses their providers gave them; rp_filter loose: replies come back by any uplink.
  start: (b) => {
    b.rpFilter = 2;
    b.address = '';
  },
  shared: { keys: ['ROUTES', 'RP_FILTER', 'MODE'], known: ['UPLINK.<dev>', 'BALANCE', 'ROUTES', 'RP_FILTER', 'MODE'] },
  key(b, e, x) {
    const um = /^UPLINK\.(.+)$/.exec(e.keyUpper);
    if (um) {
      const name = e.key.slice('uplink.'.length);
      if (!IFNAME_RE.test(name) || /^teql\d/.test(name))
        throw new ConfigError(
          x.file,
          e.line,
          `uplink.${name}: invalid interface name '${name}'`,
          'use the name `ip link` shows, e.g. uplink.eth1 or uplink.ppp0',
        );
      if (b.uplinks.some((u) => u.name === name))
        throw new ConfigError(
          x.file,
          e.line,
          `uplink.${name} is written twice in [${b.name}]`,
          'keep one line per uplink',
        );
      x.claim(name, e, `uplink.${name}`);
      b.uplinks.push(parseUplink(x.file, e, name));
      return true;
    }
    if (e.keyUpper !== 'BALANCE') return false;
    const v = e.value.toLowerCase();
    if (v !== 'weight' && v !== 'load')
      throw new ConfigError(
        x.file,
        e.line,
        `balance: expected weight or load, found '${e.value}'`,
        "write 'balance = weight' (new connections by the uplinks' weights) " +
          "or 'balance = load' (by their measured spare capacity)",
      );
    b.balance = v;
    return true;
  },
  defaultRoutes: () => ['default'],
  finish(b, x) {
    const file = x.file;
    if (b.uplinks.length < 2) {
      throw new ConfigError(
        file,
        b.uplinks[0]?.line ?? b.line,
        `[${b.name}]: a per-connection bond needs at least two uplinks, found ${b.uplinks.length}`,
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
        b.line,
        `[${b.name}]: routes = none leaves a per-connection bond nothing to balance`,
        "write 'routes = default' (the default), or the prefixes its uplinks should carry",
      );
    const same = [...x.before.flatMap((y: BondSettings) => y.uplinks), ...b.uplinks].find((u, i, all) =>
      all.slice(0, i).some((y) => y.address === u.address),
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
  },
};
