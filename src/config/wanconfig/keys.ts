// Every key of a device section, an interface section and a LIP profile checked as wanconfig checks it
// (configure_link 1413-1447, configure_chan 1751-1798 and 1801-1830 of wanconfig.c 7.0.15): which tables it
// searches in which order, what it says, and the exit status `wanrouter start` then fails with. Pure.
import type { Entry } from '../lex.js';
import {
  ANNEXG_TABLES,
  ANNEXG_WITHOUT_PROTOCOL,
  DEVICE_MEDIA_TABLES,
  IFACE_MEDIA_TABLES,
  KEY_TABLES,
  KEYS_FROM_7_0_34,
  lookupKey,
} from './tables.js';
import type { ConfRecord, WSection } from './read.js';
import { convertValue, SYMBOL_PATH_KEYS } from './value.js';

/** A key as the driver receives it. */
export interface SetKey {
  entry: Entry;
  table: string;
  value: number;
}

/** What makes wanconfig stop: its words, its exit status, and how to fix it. */
export interface KeyFault {
  line: number;
  /** The fgets piece of the line: a line's start is read before the rest of an overlong line. */
  piece?: number;
  what: string;
  hint: string;
  exit: number | 'accepts';
}

export interface SectionKeys {
  set: SetKey[];
  faults: KeyFault[];
  /** Accepted, with a warning: keys of a later wanconfig than 7.0.15. */
  notes?: { line: number; what: string; hint: string }[];
}

type Try =
  | { kind: 'set'; table: string; value: number }
  | { kind: 'bad'; why: string }
  | { kind: 'none'; channels?: string };

/** A channel map naming no channel is "not found" to wanconfig, after it says so on stderr (2214-2219). */
const NO_CHANNEL = 'Illegal active channel range! min=1 max=31';

/** set_conf_param: 0 set, 1 bad value, -1 not in this table (or a channel map naming no channel). */
function tryTable(table: string | undefined, e: Entry): Try {
  if (!table) return { kind: 'none' };
  const def = lookupKey(table, e.keyUpper);
  if (!def) return { kind: 'none' };
  const r = convertValue(def, e.values[0] ?? '');
  if (r.ok) return { kind: 'set', table, value: r.value };
  return r.notFound ? { kind: 'none', channels: r.why } : { kind: 'bad', why: r.why };
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j] as number;
      d[j] = Math.min(cur + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length] as number;
}

/** The key meant, when a typo is one or two letters off a key these tables hold. */
function nearKey(key: string, tables: (string | undefined)[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const t of tables) {
    for (const def of t ? (KEY_TABLES[t] ?? []) : []) {
      const d = distance(key, def.key);
      if (d <= 2 && (!best || d < best.d)) best = { k: def.key, d };
    }
  }
  return best?.k;
}

function unknownHint(key: string, tables: (string | undefined)[], elsewhere: string | undefined): string {
  const near = nearKey(key, tables);
  if (near) return `did you mean ${near}? Correct the key, or remove the line`;
  if (elsewhere) return `${key} belongs in ${elsewhere}: move the line there, or remove it`;
  return `remove the line, or check the key against the sample files of wanpipe (wanpipe-conf/ has some)`;
}

// Text fields, in bytes (wanpipe_cfg.h 349, 722, 949-1005, wanpipe_cfg_sppp.h 15-37, sdla_remora.h 114). On Linux
// wanconfig.h turns strlcpy into strcpy (177-178), so a longer value runs on into the fields after it: PASSWD,
// SYSNAME, then if_down, DYN_INTR_CFG's byte (a USERID of 191 characters reaches it).
// S514CPU's field is one byte, so its usual 'A' already spills a NUL: wanrouter has always run so, and it stays out.
const TEXT_FIELDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  common_conftab: { USB_BUSID: 30, TDMV_OPERMODE: 20, RTP_TAP_DEV: 16 },
  chan_conftab: {
    USERID: 64,
    PASSWD: 64,
    SYSNAME: 31,
    SW_DEV_NAME: 16,
    // WAN_ADDRESS_SZ + 1 (wanpipe_cfg.h 990-999)
    X25_SRC_ADDR: 32,
    X25_ACCEPT_DST_ADDR: 32,
    X25_ACCEPT_SRC_ADDR: 32,
    X25_ACCEPT_USR_DATA: 32,
  },
  sppp_conftab: { USERID: 64, PASSWD: 64 },
};

/** configure_chan also copies an interface section's ACTIVE_CH into chan_def_t.active_ch[50] (1794). */
const ACTIVE_CH_COPY = 50;

function overrun(table: string, e: Entry, copiesActiveCh = false): KeyFault | undefined {
  const size =
    copiesActiveCh && table === 'chan_conftab' && e.keyUpper === 'ACTIVE_CH'
      ? ACTIVE_CH_COPY
      : TEXT_FIELDS[table]?.[e.keyUpper];
  const len = (e.values[0] ?? '').length;
  if (size === undefined || len < size) return undefined;
  return {
    line: e.line,
    piece: e.piece,
    what:
      `${e.keyUpper} is ${len} characters long: wanconfig accepts it, but copies it with strcpy into a ` +
      `${size}-byte field, so the rest overwrites the settings stored after it`,
    hint: `shorten ${e.keyUpper} to ${size - 1} characters or fewer`,
    exit: 'accepts',
  };
}

/** wanconfig reads a section's records in order and stops at the first it cannot take. */
const inOrder = (faults: KeyFault[]): KeyFault[] =>
  faults.sort((a, b) => a.line - b.line || (a.piece ?? 0) - (b.piece ?? 0));

const CHANNEL_HINT = 'name the channels: 1-24, 1.3.5, or ALL';

/** wanconfig prints a value after upper-casing it in place, which it does on the symbol path only. */
const asPrinted = (e: Entry): string => {
  const v = e.values[0] ?? '';
  if (e.keyUpper === 'RTP_TAP_IP' || e.keyUpper === 'RTP_TAP_MAC') return v;
  return /^-?[0-9]/.test(v) && !SYMBOL_PATH_KEYS.has(e.keyUpper) ? v : v.toUpperCase();
};

function valueHint(e: Entry): string {
  if (e.keyUpper === 'RTP_TAP_IP') return 'write the IPv4 address of the tap, such as 192.0.2.10';
  if (e.keyUpper === 'RTP_TAP_MAC') return 'write the MAC address as six hex fields, such as 00:11:22:33:44:55';
  return `write a number, or a symbol such as YES or NO, after ${e.keyUpper} =`;
}

function bareFaults(bare: ConfRecord[], where: string, exit: number, at: number): KeyFault[] {
  return bare.map((r) => ({
    exit,
    line: r.line,
    piece: r.piece,
    what:
      `'${r.text}' in ${where} is not 'KEY = value'` +
      (r.piece > 0 ? ` (it is the rest of a line longer than 255 bytes, read as a line of its own)` : '') +
      `: wanrouter start fails here (wanconfig.c ${at}: "Invalid configuration file syntax", exit ${exit})`,
    hint:
      r.piece > 0
        ? `shorten line ${r.line} to 255 bytes or fewer (split a long comment over several lines)`
        : `write '= value' after the key, or comment the line out with #`,
  }));
}

/** A key 7.0.15 lacks but 7.0.34 has, with a value 7.0.34 reads; a bad value falls through to "unknown". */
function laterKey(e: Entry, tables: (string | undefined)[]): boolean {
  if (tables.some((t) => t && lookupKey(t, e.keyUpper))) return false;
  return tables.some((t) => {
    const def = t ? KEYS_FROM_7_0_34[t]?.find((d) => d.key === e.keyUpper) : undefined;
    return def !== undefined && convertValue(def, e.values[0] ?? '').ok;
  });
}

/** The device section [wanpipeN] of a device with this media id. */
export function deviceKeys(sec: WSection, mediaId: string, file: string): SectionKeys {
  const media = DEVICE_MEDIA_TABLES[mediaId];
  const faults = bareFaults(sec.bare, `[${sec.name}]`, 3, 1419);
  const set: SetKey[] = [];
  const notes: { line: number; what: string; hint: string }[] = [];
  for (const e of sec.entries) {
    if (laterKey(e, ['common_conftab', media])) {
      notes.push({
        line: e.line,
        what:
          `${e.keyUpper} is a device key of wanpipe 7.0.34 and later: the wanconfig of 7.0.15 stops at it ` +
          `("Unknown parameter ${e.keyUpper}", exit 3)`,
        hint: 'on wanpipe older than 7.0.34, remove the line',
      });
      continue;
    }
    const r0 = tryTable('common_conftab', e);
    let r = r0;
    if (r.kind === 'none') r = tryTable(media, e);
    const channels = (r0.kind === 'none' && r0.channels) || (r.kind === 'none' && r.channels) || undefined;
    const over = r.kind === 'set' ? overrun(r.table, e) : undefined;
    if (over) faults.push(over);
    if (r.kind === 'set') set.push({ entry: e, table: r.table, value: r.value });
    else if (r.kind === 'none') {
      const inIface = lookupKey('chan_conftab', e.keyUpper) ? 'an interface section' : undefined;
      faults.push({
        line: e.line,
        piece: e.piece,
        what: channels
          ? `${e.keyUpper} = ${e.values[0]} in [${sec.name}]: ${channels}: wanrouter start fails here ` +
            `(wanconfig: "${NO_CHANNEL}", then "Unknown parameter ${e.keyUpper}", exit 3)`
          : `${e.keyUpper} is not a key of a ${mediaId} device section [${sec.name}]: wanrouter start fails here ` +
            `(wanconfig: "Unknown parameter ${e.keyUpper}", "ERROR in ${file} !!", exit 3)`,
        hint: channels ? CHANNEL_HINT : unknownHint(e.keyUpper, ['common_conftab', media], inIface),
        exit: 3,
      });
    } else {
      faults.push({
        line: e.line,
        piece: e.piece,
        what:
          `${e.keyUpper} = ${e.values[0]} in [${sec.name}]: ${r.why}: wanrouter start fails here ` +
          `(wanconfig: "Error parsing ${file} configuration file. Token (${e.keyUpper} = ${asPrinted(e)})", exit 1)`,
        hint: valueHint(e),
        exit: 1,
      });
    }
  }
  return { set, faults: inOrder(faults), notes };
}

/** The annexg table configure_chan uses for this protocol word: only with a protocol number (1707-1713). */
export function annexgTable(protocol: string | undefined, inProfile: boolean): string | undefined {
  if (protocol === undefined) return undefined;
  if (!inProfile && ANNEXG_WITHOUT_PROTOCOL.includes(protocol)) return undefined;
  return ANNEXG_TABLES[protocol];
}

/** How a channel section reads: two tables in order, and what wanconfig prints when neither takes a key. */
interface ChannelReading {
  tables: [string | undefined, string | undefined];
  where: string;
  said: string;
  elsewhere: (key: string) => string | undefined;
  bare: { exit: number; at: number };
  copiesActiveCh?: boolean;
}

/** A key either table takes is set; a bad value in the first stands when the second does not know the key. */
function channelKeys(sec: WSection, how: ChannelReading): SectionKeys {
  const faults = bareFaults(sec.bare, how.where, how.bare.exit, how.bare.at);
  const set: SetKey[] = [];
  for (const e of sec.entries) {
    let r = tryTable(how.tables[0], e);
    if (r.kind !== 'set') {
      const first = r;
      r = tryTable(how.tables[1], e);
      if (r.kind === 'none' && (first.kind === 'bad' || (first.kind === 'none' && first.channels))) r = first;
    }
    if (r.kind === 'set') {
      set.push({ entry: e, table: r.table, value: r.value });
      const over = overrun(r.table, e, how.copiesActiveCh);
      if (over) faults.push(over);
      continue;
    }
    const channels = r.kind === 'none' ? r.channels : undefined;
    const why = r.kind === 'bad' ? r.why : (channels ?? 'wanconfig knows no such key there');
    faults.push({
      line: e.line,
      piece: e.piece,
      what:
        `${e.keyUpper} = ${e.values[0]} in ${how.where}: ${why}: wanrouter start fails here ` +
        `(wanconfig: ${channels ? `"${NO_CHANNEL}", then ` : ''}"${how.said} ${e.keyUpper}", exit 3)`,
      hint:
        r.kind === 'bad'
          ? valueHint(e)
          : channels
            ? CHANNEL_HINT
            : unknownHint(e.keyUpper, how.tables, how.elsewhere(e.keyUpper)),
      exit: 3,
    });
  }
  return { set, faults: inOrder(faults) };
}

/** An interface's own section: chan_conftab, then its protocol's table or the media's interface table. */
export function interfaceKeys(sec: WSection, mediaId: string, protocol: string | undefined): SectionKeys {
  const annexg = annexgTable(protocol, false);
  const media = IFACE_MEDIA_TABLES[mediaId];
  return channelKeys(sec, {
    tables: ['chan_conftab', annexg ?? media],
    where: `interface section [${sec.name}]`,
    said: annexg
      ? 'Invalid Annexg/Lip parameter'
      : media
        ? 'Invalid Iface parameter'
        : 'Invalid config table !!! parameter',
    elsewhere: (key) => (lookupKey('common_conftab', key) ? 'the device section' : undefined),
    bare: { exit: 234, at: 1757 },
    copiesActiveCh: true,
  });
}

/** A LIP profile section: the protocol's table first, then chan_conftab; read after the interface's section. */
export function profileKeys(sec: WSection, protocol: string): SectionKeys {
  return channelKeys(sec, {
    tables: [annexgTable(protocol, true), 'chan_conftab'],
    where: `${protocol} profile [${sec.name}]`,
    said: 'Invalid parameter',
    elsewhere: () => undefined,
    bare: { exit: 234, at: 1811 },
  });
}

/** Keys set more than once in a section: wanconfig applies every line in order, so the last one wins. */
export function duplicateKeys(sec: WSection): { line: number; what: string; hint: string }[] {
  const seen = new Map<string, Entry[]>();
  for (const e of sec.entries) seen.set(e.keyUpper, [...(seen.get(e.keyUpper) ?? []), e]);
  const out: { line: number; what: string; hint: string }[] = [];
  for (const [k, list] of seen) {
    if (list.length < 2) continue;
    const last = list[list.length - 1] as Entry;
    out.push({
      line: last.line,
      what:
        `${k} is set ${list.length} times in [${sec.name}] (lines ${list.map((e) => e.line).join(', ')}): ` +
        `wanconfig applies them in order, so line ${last.line} (${k} = ${last.value}) wins`,
      hint: `keep one ${k} line in [${sec.name}]`,
    });
  }
  return out;
}
