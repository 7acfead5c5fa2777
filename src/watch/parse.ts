// What `wanbond watch` reads, line by line or file by file -> events. Pure.
// Formats checked against iproute2 6.1 (`ip -o monitor link`), iputils 20221126 (`ping`) and the
// WANPIPE sources (wanproc.c, sdla_8te1.c, sdla_te1.c; wanpipe.md section 3.5); the tests carry the
// captured lines.

export interface LinkEvent {
  deleted: boolean;
  ifindex: number;
  name: string;
  up: boolean;
  carrier: boolean;
}

/** iproute2's `-ts` prefix, `[2026-11-26T11:50:59.500369] `. */
const ISO_STAMP = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\]\s*/;
/** `ifindex: name[@peer]: <FLAGS> rest` (after an optional `Deleted `). */
const LINK_LINE = /^(Deleted )?(\d+): (.+?): <([A-Za-z0-9_,-]*)>(.*)$/;

/**
 * One line of `ip -o monitor link` (iproute2 6.1). Returns undefined for lines that are not link messages.
 *
 * - Prefixes: `ip -o -ts monitor link` (`[2026-11-26T11:50:59.500369] `) is handled, and so is the
 *   `[LINK]` tag `ip monitor` prints when it watches several objects (`ip -o monitor all`, `monitor
 *   link address`); lines tagged otherwise (`[ADDR]`, `[NETCONF]`, ...) are undefined. With `-t` iproute2
 *   prints the time on a line of its own (`Timestamp: Thu Nov 26 11:50:59 2026 500369 usec`): that line
 *   is undefined and the next one parses as usual.
 * - `name` is without the `@peer` / `@ifN` / `@NONE` iproute2 appends for veth, vlan and the like (cut
 *   at the last `@`; a name that itself contains `@` and has no link suffix is cut wrongly, iproute2's
 *   output cannot tell the two apart). A rename shows as a plain event with the same ifindex and the
 *   new name: key links by ifindex.
 * - `up` is IFF_UP (admin up, `UP` in the flags). `carrier` is IFF_LOWER_UP (`LOWER_UP`): the kernel only
 *   reports it while the link is up, so a link set down always has carrier false. A link can briefly
 *   show `NO-CARRIER` and `LOWER_UP` together (carrier back, operstate not yet UP): carrier is true then.
 * - `deleted`: `Deleted ` lines, RTM_DELLINK. A link moved to another namespace also ends this way (with
 *   `new-netns X` at the end): for this namespace it is gone.
 * - Bridge-family (AF_BRIDGE) messages about bridge ports are undefined: they repeat what the link
 *   messages say, and `ip link set X nomaster` sends a `Deleted` one for a link that still exists. They
 *   are told apart by having neither `qdisc` nor `group` (every RTM_NEWLINK/DELLINK of the link itself
 *   carries IFLA_GROUP and IFLA_QDISC).
 */
export function parseMonitorLine(line: string): LinkEvent | undefined {
  let s = line.trim().replace(ISO_STAMP, '');
  if (s.startsWith('[LINK]')) s = s.slice('[LINK]'.length).trimStart();
  const m = LINK_LINE.exec(s);
  if (!m) return undefined;
  const [, deleted, index, rawName, flagText, rest] = m as unknown as [
    string,
    string | undefined,
    string,
    string,
    string,
    string,
  ];
  if (!/\s(qdisc|group)\s/.test(` ${rest} `)) return undefined;
  const at = rawName.lastIndexOf('@');
  const name = at > 0 ? rawName.slice(0, at) : rawName;
  const flags = flagText.split(',');
  return {
    deleted: deleted !== undefined,
    ifindex: Number(index),
    name,
    up: flags.includes('UP'),
    carrier: flags.includes('LOWER_UP'),
  };
}

/** What a link message says beyond LinkEvent: what a cached read of the kernel is checked against. */
export interface LinkDetail {
  flags: string[];
  mtu: number | undefined;
  /** IFLA_QDISC: the kind of the link's root qdisc. */
  qdisc: string | undefined;
  operstate: string | undefined;
}

/** The flags, MTU, root qdisc kind and operstate of a link line (one parseMonitorLine took). */
export function linkDetail(line: string): LinkDetail {
  const flags = /<([A-Za-z0-9_,-]*)>/.exec(line)?.[1] ?? '';
  const word = (key: string) => new RegExp(`\\s${key} (\\S+)`).exec(line)?.[1];
  const mtu = word('mtu');
  return {
    flags: flags === '' ? [] : flags.split(','),
    mtu: mtu === undefined ? undefined : Number(mtu),
    qdisc: word('qdisc'),
    operstate: word('state'),
  };
}

export interface AddressEvent {
  deleted: boolean;
  ifindex: number;
  name: string;
  family: 'inet' | 'inet6';
  cidr: string;
}
const ADDR_LINE = /^(Deleted )?(\d+): (\S+)\s+(inet6?) (\S+)/;

/**
 * One address line of `ip -o monitor link address` (iproute2 6.1, captured): `3: eth2    inet
 * 100.64.2.9/30 scope global eth2\       valid_lft forever ...`, `Deleted ` before a removal. It has no
 * `<FLAGS>`, so parseMonitorLine never takes it for a link event. Anything else is undefined.
 */
export function parseAddressLine(line: string): AddressEvent | undefined {
  let s = line.trim().replace(ISO_STAMP, '');
  if (s.startsWith('[ADDR]')) s = s.slice('[ADDR]'.length).trimStart();
  const m = ADDR_LINE.exec(s);
  if (!m) return undefined;
  type Groups = [string, string | undefined, string, string, AddressEvent['family'], string];
  const [, deleted, index, name, family, cidr] = m as unknown as Groups;
  return { deleted: deleted !== undefined, ifindex: Number(index), name, family, cidr };
}

const ROUTE_DEV = /^(?:Deleted )?(?:local |broadcast |unicast )?(?:default|[\d.]+(?:\/\d+)?)\s.*?\bdev (\S+)/;

/**
 * The device of one route line of `ip -o monitor route` (iproute2 6.1: `default via 10.0.0.1 dev teql0`,
 * `Deleted 198.51.100.0/24 dev teql0 scope link`), IPv4 only; undefined for any other line.
 */
export function routeDevOf(line: string): string | undefined {
  let s = line.trim().replace(ISO_STAMP, '');
  if (s.startsWith('[ROUTE]')) s = s.slice('[ROUTE]'.length).trimStart();
  return ROUTE_DEV.exec(s)?.[1];
}

export type PingEvent =
  | { kind: 'reply'; seq: number; rttMs: number }
  | { kind: 'pending'; seq: number }
  | { kind: 'error'; text: string };

/** `ping -D` prefix, `[1795693904.894522] `. */
const PING_STAMP = /^\[\d+(?:\.\d+)?\]\s*/;
const REPLY = /^\d+ bytes from .*?: icmp_seq=(\d+) .*?\btime=(\d+(?:\.\d+)?) ms\b/;
const PENDING = /^no answer yet for icmp_seq=(\d+)\s*$/;
const ICMP_FROM = /^From .+? icmp_seq=\d+ (.*)$/;

/**
 * One output line of iputils `ping -n -O -I <if> -i 0.2 <addr>` (with or without -D timestamps), stdout
 * or stderr. Returns undefined for the banner, the statistics and anything else.
 *
 * - `64 bytes from A: icmp_seq=N ttl=64 time=0.202 ms` -> reply (`time=2028 ms` too; a `(DUP!)` reply is
 *   a reply). A late reply can follow a `no answer yet` for the same seq. iputils prints the 16-bit
 *   sequence number: it wraps 65535 -> 0. A reply without `time=` (payload under 16 bytes) is undefined.
 * - `no answer yet for icmp_seq=N` (-O) -> pending. iputils repeats it with the same N while sendto fails
 *   with ENOBUFS (neighbour resolution stuck), so N is not always new.
 * - `From A icmp_seq=N Destination Host Unreachable` (and Net/Port Unreachable, Time to live exceeded, ...)
 *   -> error, text being the whole line without the -D time (so N stays readable): something on the path
 *   answered that this probe is lost, it will not be followed by a reply. Not 'pending', which means "no
 *   word yet". `Redirect` and `Source Quench` lines are undefined: advice, not a loss.
 *   Note: bound with -I, iputils 20221126 (tested, root, raw socket) prints no `From ... Unreachable`
 *   when ARP fails, only `no answer yet`; unbound it does.
 * - `ping: ...` lines on stderr -> error, text without the -D time: `ping: sendmsg: Network is down`,
 *   `ping: sendmsg: No such device` (older iputils print one per failed send; 20221126 only when an ICMP
 *   error is queued too, and otherwise goes on printing `no answer yet` while the interface is down or
 *   gone), `ping: connect: Network is unreachable` and `ping: SO_BINDTODEVICE X: No such device` (start
 *   on a link that is down or missing, ping then exits 2), `ping: local error: ...`.
 */
export function parsePingLine(line: string): PingEvent | undefined {
  const s = line.trim().replace(PING_STAMP, '');
  let m = REPLY.exec(s);
  if (m) return { kind: 'reply', seq: Number(m[1]), rttMs: Number(m[2]) };
  m = PENDING.exec(s);
  if (m) return { kind: 'pending', seq: Number(m[1]) };
  m = ICMP_FROM.exec(s);
  if (m) return /^(Redirect|Source Quench)/.test(m[1] ?? '') ? undefined : { kind: 'error', text: s };
  if (/^ping: \S/.test(s)) return { kind: 'error', text: s };
  return undefined;
}

export interface DeviceProc {
  alarms: { RED: boolean; AIS: boolean; LOF: boolean; LOS: boolean; RAI: boolean; ALOS: boolean } | undefined;
  counters: Record<string, number>;
}

/** `%25s: %10s` pairs, one or two a line; a key may be empty (`"", 0` pads the T1 PMON block). */
const PAIR = /\s*([^:]*?)\s*:\s+(\S+)/g;
const ALARMS_HEADER = /^=+ (T1|E1|J1) Alarms =+$/;
const ANY_HEADER = /^=+ .* =+$/;

/**
 * /proc/net/wanrouter/<wanpipeN> (wanproc.c `wandev_get_info`, then the front end's alarm and PMON blocks):
 *
 * - every numeric pair outside the alarm block goes to `counters` under its trimmed key: the
 *   `"%25s: %10lu %25s: %10lu"` stat pairs ('total rx packets', 'CRC errors', 'abort frames', ...,
 *   'aborted tx frames' alone on its line) and the PMON counters ('Line Code Violation', 'Bit Errors',
 *   'Out of Frame Errors'; E1 'CRC4 Errors', 'FAS Errors', 'Far End Block Errors'; the older PMC chip's
 *   'Framing Bit Error'). Pairs with an empty key are skipped.
 * - `alarms` is the `T1 Alarms` block (E1 and J1 too) with ON/OFF values, undefined when there is none
 *   (not an AFT/TE1 card, a DS3/E3 card, `device is not configured!`, `Device is busy!`). An alarm the
 *   block does not list is false; the older PMC chip (sdla_te1.c) prints `YEL` (the T1 yellow alarm,
 *   which is RAI) instead of `RAI`, and is read as RAI.
 * Also what the lab's wanrouter-sim writes (the alarm block only).
 */
export function parseDeviceProc(text: string): DeviceProc {
  const counters: Record<string, number> = {};
  let alarmValues: Record<string, string> | undefined;
  let inAlarms = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (ANY_HEADER.test(line)) {
      inAlarms = ALARMS_HEADER.test(line);
      if (inAlarms) alarmValues ??= {};
      continue;
    }
    for (const m of line.matchAll(PAIR)) {
      const key = m[1] ?? '',
        value = m[2] ?? '';
      if (key === '') continue;
      if (inAlarms) alarmValues![key] = value;
      else if (/^\d+$/.test(value)) counters[key] = Number(value);
    }
  }
  if (!alarmValues) return { alarms: undefined, counters };
  const v = alarmValues;
  const on = (k: string) => v[k] === 'ON';
  return {
    alarms: {
      RED: on('RED'),
      AIS: on('AIS'),
      LOF: on('LOF'),
      LOS: on('LOS'),
      RAI: 'RAI' in v ? on('RAI') : on('YEL'),
      ALOS: on('ALOS'),
    },
    counters,
  };
}
