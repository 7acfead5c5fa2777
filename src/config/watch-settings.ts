// The [watch] section of wanbond.conf: the daemon's timings, flap damping, probe targets and where it
// serves its metrics. Pure.
import { isIPv6 } from 'node:net';
import { ConfigError } from '../errors.js';
import { IFNAME_RE, isIpv4 } from '../net/ipv4.js';
import { DEFAULT_HEALTH, type HealthConfig } from '../watch/health.js';
import type { Entry, Section } from './lex.js';

export interface WatchSettings {
  health: HealthConfig;
  /** How often /proc/net/wanrouter/<device> is read for T1 alarms and error counters. */
  alarmPollMs: number;
  /** Per-line probe target from `probe.<ifname> = <address> | none`; none turns the probe off. */
  probes: Record<string, string | null>;
  /** Where the daemon serves Prometheus metrics (`metrics = host:port`), or null (`metrics = off`). */
  metrics: MetricsAddress | null;
}

/** host is an IPv4 or IPv6 literal (without brackets), never a name: no resolver is asked at start. */
export interface MetricsAddress {
  host: string;
  port: number;
}

/**
 * 15440 (a T1's 1.544 Mb/s), not a port in Prometheus's exporter range 9100-9999: that range is
 * fully allocated on the project's "Default port allocations" list (9737, the first candidate, is
 * the Folding@home exporter's), and Prometheus recommends ports outside it for exporters that have
 * none allocated. Below Linux's ephemeral range (32768-60999), so an outgoing connection never holds
 * it; not in /etc/services. Loopback only by default: the numbers say which lines are down and when.
 */
export const DEFAULT_METRICS: MetricsAddress = { host: '127.0.0.1', port: 15440 };

/** As an operator writes it (and as `status` shows it): 127.0.0.1:15440, [::1]:15440. */
export const formatAddress = (a: MetricsAddress): string =>
  a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;

export const defaultWatchSettings = (): WatchSettings => ({
  health: { ...DEFAULT_HEALTH },
  alarmPollMs: 1000,
  probes: {},
  metrics: { ...DEFAULT_METRICS },
});

const DURATIONS: Record<string, keyof HealthConfig | 'alarmPollMs'> = {
  PROBE_INTERVAL: 'probeIntervalMs',
  PROBE_TIMEOUT: 'probeTimeoutMs',
  NEVER_ANSWERED: 'neverAnsweredMs',
  SUSPECT_AFTER: 'suspectAfterMs',
  DOWN_AFTER: 'downAfterMs',
  HOLD_DOWN: 'holdDownMs',
  HALF_LIFE: 'halfLifeMs',
  ALARM_POLL: 'alarmPollMs',
};
const NUMBERS: Record<string, keyof HealthConfig> = {
  FLAP_PENALTY: 'flapPenalty',
  SUPPRESS: 'suppressAt',
  REUSE: 'reuseBelow',
  MAX_PENALTY: 'maxPenalty',
  LOSS_WINDOW: 'lossWindow',
};
const PERCENTS: Record<string, keyof HealthConfig> = { SUSPECT_LOSS: 'suspectLoss', DOWN_LOSS: 'downLoss' };
const KNOWN = [
  ...Object.keys(DURATIONS),
  ...Object.keys(NUMBERS),
  ...Object.keys(PERCENTS),
  'METRICS',
  'PROBE.<IFNAME>',
];

/** `metrics = off | <IPv4>:<port> | [<IPv6>]:<port>`. */
function metricsAddress(file: string, e: Entry): MetricsAddress | null {
  const v = e.value;
  if (v.toLowerCase() === 'off') return null;
  const example =
    `write e.g. '${e.key} = ${formatAddress(DEFAULT_METRICS)}' ` +
    `(an IPv4 address, or an IPv6 address in brackets such as [::1]:${DEFAULT_METRICS.port}), ` +
    `or '${e.key} = off'`;
  const bad = (what: string, hint = example) => new ConfigError(file, e.line, `${e.key}: ${what}`, hint);
  const m = /^(?:\[([^\]]*)\]|([^[\]:]*)):(\d{1,5})$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v))
      throw bad(
        `expected an address and a port such as ${formatAddress(DEFAULT_METRICS)}, found only '${v}'`,
        `write '${e.key} = 127.0.0.1:${v}' (loopback only) or '${e.key} = 0.0.0.0:${v}' (every address)`,
      );
    if (!v.startsWith('[') && isIPv6(v.replace(/:\d+$/, '')))
      throw bad(
        `an IPv6 address must be in brackets before its port, found '${v}'`,
        `write e.g. '${e.key} = [::1]:${DEFAULT_METRICS.port}'`,
      );
    throw bad(
      `expected address:port such as ${formatAddress(DEFAULT_METRICS)} ` +
        `or [::1]:${DEFAULT_METRICS.port}, or off, found '${v}'`,
    );
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535)
    throw bad(
      `port ${m[3]} is out of range`,
      `write a port from 1 to 65535, e.g. '${e.key} = ${formatAddress(DEFAULT_METRICS)}'`,
    );
  if (m[1] !== undefined) {
    // A zone (fe80::1%eth0) would name an interface: link-local scrapes are not supported.
    if (!isIPv6(m[1]) || m[1].includes('%')) throw bad(`'${m[1]}' is not an IPv6 address`);
    return { host: m[1].toLowerCase(), port };
  }
  const host = m[2] as string;
  if (!isIpv4(host))
    throw bad(
      /[a-z]/i.test(host)
        ? `'${host}' is a name: an IPv4 or IPv6 address is needed (the daemon never waits for a resolver)`
        : `'${host}' is not an IPv4 address`,
    );
  return { host, port };
}

function ms(file: string, e: Entry): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(e.value);
  if (!m)
    throw new ConfigError(
      file,
      e.line,
      `${e.key}: expected a duration with its unit such as 700ms or 3s, found '${e.value}'`,
      `write e.g. '${e.key} = 700ms'`,
    );
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000));
}

export function parseWatchSection(file: string, s: Section): WatchSettings {
  const w = defaultWatchSettings();
  const h = w.health as unknown as Record<string, number>;
  const lineOf: Partial<Record<string, number>> = {};
  for (const e of s.entries) {
    const probe = /^probe\.(.+)$/i.exec(e.key);
    if (probe) {
      const name = probe[1] as string;
      if (!IFNAME_RE.test(name))
        throw new ConfigError(
          file,
          e.line,
          `${e.key}: '${name}' is not an interface name`,
          'write probe.<ifname> = <IPv4 address>, e.g. probe.wan0 = 192.0.2.2',
        );
      const v = e.value.toLowerCase() === 'none' ? null : e.value;
      if (v !== null && !isIpv4(v))
        throw new ConfigError(
          file,
          e.line,
          `${e.key}: expected the IPv4 address of the line's far end, or none, found '${e.value}'`,
          `write e.g. '${e.key} = 192.0.2.2'`,
        );
      w.probes[name] = v;
      continue;
    }
    const k = e.keyUpper;
    lineOf[k] = e.line;
    if (k === 'METRICS') {
      w.metrics = metricsAddress(file, e);
    } else if (k in DURATIONS) {
      const v = ms(file, e);
      if (DURATIONS[k] === 'alarmPollMs') w.alarmPollMs = v;
      else h[DURATIONS[k] as string] = v;
      if (v < (k === 'PROBE_INTERVAL' ? 50 : k === 'ALARM_POLL' ? 100 : 1) || v > 3_600_000) {
        throw new ConfigError(
          file,
          e.line,
          `${e.key}: ${e.value} is out of range`,
          k === 'PROBE_INTERVAL'
            ? 'probes go out at most 20 times a second: write 50ms or more'
            : 'write a duration from 1ms to 1 hour',
        );
      }
    } else if (k in NUMBERS) {
      if (!/^\d+$/.test(e.value) || Number(e.value) < 1 || Number(e.value) > 1_000_000)
        throw new ConfigError(
          file,
          e.line,
          `${e.key}: expected a whole number from 1, found '${e.value}'`,
          `write e.g. '${e.key} = ${DEFAULT_HEALTH[NUMBERS[k]!]}'`,
        );
      h[NUMBERS[k] as string] = Number(e.value);
    } else if (k in PERCENTS) {
      const m = /^(\d{1,3})%$/.exec(e.value);
      if (!m || Number(m[1]) > 100 || Number(m[1]) === 0)
        throw new ConfigError(
          file,
          e.line,
          `${e.key}: expected a percentage from 1% to 100%, found '${e.value}'`,
          `write e.g. '${e.key} = ${DEFAULT_HEALTH[PERCENTS[k]!] * 100}%'`,
        );
      h[PERCENTS[k] as string] = Number(m[1]) / 100;
    } else {
      throw new ConfigError(
        file,
        e.line,
        `unknown setting '${e.key}' in [watch]: expected one of ${KNOWN.map((x) => x.toLowerCase()).join(', ')}`,
        'see docs/WATCH.md',
      );
    }
  }
  const c = w.health;
  const bad = (key: string, what: string, hint: string) => {
    throw new ConfigError(file, lineOf[key] ?? s.line, what, hint);
  };
  if (c.suspectAfterMs >= c.downAfterMs)
    bad(
      'SUSPECT_AFTER',
      `suspect_after (${c.suspectAfterMs} ms) must be shorter than down_after (${c.downAfterMs} ms)`,
      'a line is suspect before it is judged down',
    );
  if (c.downAfterMs < 2 * c.probeIntervalMs)
    bad(
      'DOWN_AFTER',
      `down_after (${c.downAfterMs} ms) must cover at least two probes (probe_interval ${c.probeIntervalMs} ms)`,
      'raise down_after or lower probe_interval',
    );
  if (c.neverAnsweredMs < c.downAfterMs)
    bad(
      'NEVER_ANSWERED',
      `never_answered (${c.neverAnsweredMs} ms) must not be shorter than down_after (${c.downAfterMs} ms)`,
      'a far end that has never answered is given at least the time one that answered is',
    );
  if (c.reuseBelow >= c.suppressAt)
    bad(
      'REUSE',
      `reuse (${c.reuseBelow}) must be below suppress (${c.suppressAt})`,
      'a suppressed line is reused once its penalty has decayed below reuse',
    );
  if (c.suppressAt > c.maxPenalty)
    bad(
      'SUPPRESS',
      `suppress (${c.suppressAt}) is above max_penalty (${c.maxPenalty}): no line would ever be suppressed`,
      'raise max_penalty or lower suppress',
    );
  if (c.suspectLoss > c.downLoss)
    bad('SUSPECT_LOSS', `suspect_loss must not exceed down_loss`, 'e.g. suspect_loss = 20%, down_loss = 50%');
  return w;
}
