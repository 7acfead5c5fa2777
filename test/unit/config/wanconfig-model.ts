// A reference model of Sangoma's wanconfig 7.0.15 parser, for property tests to use as the oracle. `wanrouter start`
// runs `wanconfig -v -f <file> -a <adsl list>`; this ports, line by line, what that run does with the file:
// parse_conf_file, build_linkdef_list (wanconfig.c 1122-1183), build_chandef_list (1188-1376), configure (1060-1090),
// configure_link (1379-1573), configure_chan (1698-1839), set_conf_param (2098-2276), read_conf_section (2287-2334),
// read_conf_record (2344-2362), tokenize (2386-2424), str_strip (2429-2439), strupcase (2444-2450), dec_to_uint
// (2570-2578), read_oct_chan_config (2516-2546), parse_active_channel and get_active_channels (3925-3990).
// Source: github.com/Distrotech/wanpipe at 8c8aab8273c224a87a0a7b498bb990f8126c8cab, util/wanconfig/wanconfig.{c,h}.
// The key tables, media/annexg table choice and symbols come from src/config/wanconfig/tables.ts.
//
// It was checked by differential fuzzing against wanconfig.c itself, compiled with the Makefile's flags (-O2
// -D__LINUX__ -DWAN_HWEC ...) on x86-64 with only the hardware stubbed as the assumptions below say.
//
// Assumptions (where the real run depends on more than the file):
// - Every ioctl succeeds (ROUTER_VER returns the matching version; ROUTER_SETUP, ROUTER_IFNEW*), and so does
//   wanconfig_hwec (the echo canceller set-up that runs external commands for a NO_ANNEXG interface).
// - A DTYPE_FILENAME key's file (FIRMWARE) reads successfully; the ADSL VCI/VPI list is absent or readable.
// - RTP_TAP_IP resolves iff it is a dotted quad: four groups of 1 to 3 decimal digits, each at most 255. (glibc's
//   gethostbyname_r also takes inet_aton forms such as `1.2.3` or `0x7f.0.0.1`... and sets err=1 for a host name
//   resolved through NSS, which set_conf_param then returns as a failure; both are outside this assumption.)
// - LP64 x86-64 glibc: strtoul saturates at 2^64-1 and is reduced into `unsigned int tmp` (mod 2^32), then stored by
//   the dtype's width; the C locale (isdigit/toupper act on ASCII only); the structs' layout (#pragma pack(1)) is the
//   one of the 7.0.15 headers, and an out-of-range shift `1 << n` acts as x86's SHL (count mod 32).
// Undefined behaviour: where wanconfig writes outside the object it writes to (a DTYPE_STR value longer than the
// rest of its struct, strcpy of a >= 56-char ACTIVE_CH into chan_def_t.active_ch[50], which overwrites the chanconf
// pointer, a second OCT_ECHOOPERATIONMODE in one section, which writes past a 1-element malloc, more than 163 ordered
// DLCIs on WAN_FR, past wandev_conf_t) or may loop forever (a channel range ending at 2147483647), the result
// depends on the heap and the compiler: runWanconfig throws WanconfigUndefinedBehaviour. Writes inside the struct
// (e.g. a long USERID running over if_down) are modelled byte by byte.

import {
  ANNEXG_TABLES,
  ANNEXG_WITHOUT_PROTOCOL,
  CONFIG_ID_NAMES,
  DEVICE_MEDIA_TABLES,
  IFACE_MEDIA_TABLES,
  type KeyDef,
  lookupKey,
  symbolValue,
} from '../../../src/config/wanconfig/tables.js';

export interface ModelInterface {
  name: string;
  /** chanconf.if_down as stored (unsigned char), 0 if never set */
  ifDown: number;
  usedby: string;
  /** [interfaces] protocol word when toknum > 5, else undefined */
  protocol?: string;
  /**
   * master_lip_dev passed for a LIP interface: chanconf->master as the ioctl gets it, the 15 bytes strncpy writes
   * and a 16th that only a long string value of the interface section can have set (up to the first NUL)
   */
  master?: string;
}

export interface ModelResult {
  /**
   * wanconfig's exit status: 0, 1 (ERR_SYSTEM / a bad value in a device section / FR DLCI order), 3 (ERR_CONFIG),
   * 234 (-EINVAL).
   */
  exit: number;
  /**
   * The C line (wanconfig.c) of the failure, undefined on success: the show_error line when one is printed
   * (`wanconfig:<line>: ERROR`: 1154, 1392, 1419, 1757, 1773, 1780, 1788, 1811, 1824), else the line printing the
   * message (1289 protocol, 1319 usedby, 1435 unknown device key, 1442 bad device value, 1484 DLCI order), else the
   * return (1133, no [devices]).
   */
  failedAt?: number;
  /** Short machine reason, e.g. 'no-devices-section', 'invalid-media-id', 'no-device-section', 'record-without-equals',
   *  'unknown-key', 'bad-value', 'dlci-order', 'invalid-usedby', 'invalid-protocol', 'no-link-definitions' (exit 0). */
  reason?: string;
  /** The key (upper-cased) for unknown-key/bad-value; the section it was read in. */
  key?: string;
  section?: string;
  device?: { name: string; mediaId: string };
  /** Interfaces fully configured before wanconfig stopped, in [interfaces] order. */
  interfaces: ModelInterface[];
}

/** Thrown where wanconfig's behaviour is undefined (it writes outside an object, or may not terminate). */
export class WanconfigUndefinedBehaviour extends Error {
  override name = 'WanconfigUndefinedBehaviour';
}

const ERR_SYSTEM = 1;
const ERR_CONFIG = 3;
const EINVAL_EXIT = 234; // main returns -EINVAL (-22); the exit status is its low byte
const MAX_CFGLINE = 256; // fgets reads at most MAX_CFGLINE - 1 bytes
const MAX_TOKENS = 32;
const WAN_DRVNAME_SZ = 15;
const WAN_IFNAME_SZ = 15;

// Layout of the 7.0.15 structs on x86-64 (printed from the compiled headers). wandev_conf_t (linkconf) and
// wanif_conf_t (chanconf) are packed; chan_def_t (wanconfig.h) is not.
const WANDEV_SIZE = 836;
const WANDEV_U = 154; // offsetof(wandev_conf_t, u): the device media table writes here
const WANDEV_FR_DLCI = 182; // offsetof(wandev_conf_t, u.fr.dlci): unsigned int dlci[DLCI_LIST_LEN = 100]
const WANIF_SIZE = 1658;
const WANIF_U = 828; // offsetof(wanif_conf_t, u): annexg and interface media tables write here
const WANIF_IF_DOWN = 446;
const WANIF_MASTER = 649; // unsigned char master[16]
const CHAN_DEF_ACTIVE_CH = 88; // char active_ch[50]
const CHAN_DEF_CHANCONF = 144; // wanif_conf_t *chanconf, after 6 bytes of padding
// Offsets, from the start of the table's struct (u for the annexg/media tables), of every DTYPE_STR and
// DTYPE_OCT_CHAN_CONF entry and of DYN_INTR_CFG: the only writes that can reach a byte wanconfig reads back
// (if_down, master[15], ec_conf/oct_conf). No numeric entry of any table overlaps those bytes.
const FIELD_OFFSETS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  common_conftab: { S514CPU: 36, USB_BUSID: 42, TDMV_OPERMODE: 629, RTP_TAP_DEV: 766, OCT_ECHOOPERATIONMODE: 814 },
  chan_conftab: {
    X25_SRC_ADDR: 490,
    X25_ACCEPT_DST_ADDR: 522,
    X25_ACCEPT_SRC_ADDR: 554,
    X25_ACCEPT_USR_DATA: 586,
    USERID: 256,
    PASSWD: 320,
    SYSNAME: 384,
    SW_DEV_NAME: 631,
    DYN_INTR_CFG: WANIF_IF_DOWN,
    OCT_ECHOOPERATIONMODE: 685,
  },
  sppp_conftab: { USERID: 26, PASSWD: 90 },
  lapb_annexg_conftab: { LABEL: 52, VIRTUAL_ADDR: 68, REAL_ADDR: 100 },
  x25_annexg_conftab: {
    X25_CALL_STRING: 72,
    X25_ACCEPT_DST_ADDR: 585,
    X25_ACCEPT_SRC_ADDR: 617,
    X25_ACCEPT_FCL_DATA: 649,
    X25_ACCEPT_USR_DATA: 681,
    LABEL: 713,
    VIRTUAL_ADDR: 734,
    REAL_ADDR: 766,
  },
};

const USEDBY = [
  'WANPIPE',
  'API',
  'API_LEGACY',
  'DATA_API',
  'BRIDGE',
  'SWITCH',
  'PPPoE',
  'STACK',
  'XMTP2_API',
  'NETGRAPH',
  'TTY',
  'BRIDGE_NODE',
  'TDM_VOICE',
  'TDM_VOICE_API',
  'TDM_SPAN_VOICE_API',
  'TDM_CHAN_VOICE_API',
  'MTP2_LSL_API',
  'MTP2_HSL_API',
  'TDM_API',
  'TRUNK',
  'ANNEXG',
];
/** build_chandef_list 1237-1292: the protocol words, and the MP_* protocol each sets (undefined: none). */
const PROTOCOL_WORDS: ReadonlyMap<string, string | undefined> = new Map([
  ['lapb', undefined],
  ['x25', undefined],
  ['dsp', undefined],
  ['fr', 'MP_FR'],
  ['ppp', 'MP_PPP'],
  ['chdlc', 'MP_CHDLC'],
  ['lip_atm', 'MP_ATM'],
  ['lip_katm', 'MP_KATM'],
  ['lip_x25', 'MP_X25'],
  ['lip_lapb', 'MP_LAPB'],
  ['lip_xmtp2', 'MP_XMTP2'],
  ['lip_lapd', 'MP_LAPD'],
  ['lip_hdlc', 'MP_HDLC'],
  ['lip_xdlc', 'MP_XDLC'],
  ['tty', 'MP_TTY'],
]);
const ACTIVE_CHANNEL_KEYS = ['TE_ACTIVE_CH', 'ACTIVE_CH', 'RBS_CH_MAP', 'TE_RBS_CH', 'TDMV_DCHAN'];
const SYMBOL_PATH_KEYS = [...ACTIVE_CHANNEL_KEYS, 'TE_LBO', 'LBO', 'FE_MEDIA', 'MEDIA'];

// ---------------------------------------------------------------------------------------------------------------
// Reading the file: fgets pieces, records, sections, tokens

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpaceTab = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** read_conf_record over the whole file: the records, in order (every read_conf_section rewinds and rescans). */
function readRecords(text: string): string[] {
  const records: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    // fgets(buf, 256): at most 255 bytes, or up to and including '\n'
    const start = pos;
    while (pos < text.length && pos - start < MAX_CFGLINE - 1) if (text[pos++] === '\n') break;
    let piece = text.slice(start, pos);
    const nul = piece.indexOf('\0');
    if (nul >= 0) piece = piece.slice(0, nul); // the C string ends at a NUL
    let i = 0;
    while (isSpaceTab(piece[i])) i++;
    let j = i;
    while (j < piece.length && !'#;\n\r'.includes(piece[j]!)) j++;
    if (j > i) records.push(piece.slice(i, j));
  }
  return records;
}

/** read_conf_section: the records after the first `[name]` header up to the next record starting with '['. */
function readSection(records: readonly string[], name: string): string[] | undefined {
  let found = false;
  const out: string[] = [];
  for (const rec of records) {
    if (found) {
      if (rec[0] === '[') break;
      out.push(rec);
    } else if (rec[0] === '[') {
      const close = rec.indexOf(']');
      if (close >= 0 && rec.slice(1, close) === name) found = true;
    }
  }
  return out.length > 0 ? out : undefined; // an empty section leaves buf NULL, like a missing one
}

function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpaceTab(s[a])) a++;
  while (b > a && isSpaceTab(s[b - 1])) b--;
  return s.slice(a, b);
}

/** tokenize: [] without '='; else the stripped key and at most 31 stripped comma-separated values. */
function tokenize(rec: string): string[] {
  const eq = rec.indexOf('=');
  if (eq < 0) return [];
  const values = rec.slice(eq + 1).split(',');
  return [strip(rec.slice(0, eq)), ...values.slice(0, MAX_TOKENS - 1).map(strip)];
}

/** strupcase: toupper in the C locale changes a-z only. */
const upcase = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

// ---------------------------------------------------------------------------------------------------------------
// Numbers

const U64 = 1n << 64n;
const ULONG_MAX = U64 - 1n;

/** glibc strtoul(s, NULL, 0) on LP64, as the unsigned long it returns. */
function strtoul0(s: string): bigint {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '-' || s[i] === '+') neg = s[i++] === '-';
  let base = 10;
  if (s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      base = 16;
      i += 2;
    } else base = 8;
  }
  return accumulate(s, i, base, neg).value;
}

function accumulate(s: string, from: number, base: number, neg: boolean): { value: bigint; end: number } {
  let acc = 0n;
  let overflow = false;
  let i = from;
  for (; i < s.length; i++) {
    const d = Number.parseInt(s[i]!, 36);
    if (Number.isNaN(d) || d >= base) break;
    acc = acc * BigInt(base) + BigInt(d);
    if (acc > ULONG_MAX) overflow = true;
  }
  if (overflow) return { value: ULONG_MAX, end: i };
  return { value: neg ? (U64 - acc) % U64 : acc, end: i };
}

const toU32 = (v: bigint): number => Number(v & 0xffffffffn);
const toI32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** get_active_channels (wanconfig.c 3964-3988); `1 << n` with n outside 0..31 acts as x86 SHL (n mod 32). */
function getActiveChannels(flag: number, start: number, stop: number): number {
  if (stop < 1) return 0;
  if ((flag & 3) === 0) return 0;
  if (flag & 1) {
    if (start > stop) return 0;
    if (stop === 2147483647) throw new WanconfigUndefinedBehaviour('channel range up to INT_MAX: i++ overflows');
    if (stop - start + 1 >= 32) return 0xffffffff;
    let tmp = 0;
    for (let i = start; i <= stop; i++) tmp |= 1 << ((i - 1) & 31);
    return tmp >>> 0;
  }
  return (1 << ((stop - 1) & 31)) >>> 0;
}

/** parse_active_channel (3925-3958), on the upper-cased value. */
function parseActiveChannel(val: string): number {
  if (val === 'ALL') return 0xffffffff; // ENABLE_ALL_CHANNELS
  if (val === '0') return 0;
  let flag = 0;
  let channel = 0;
  let start = 0;
  let tmp = 0;
  let p = 0;
  while (p < val.length) {
    if (isDigit(val[p])) {
      const { value, end } = accumulate(val, p, 10, false);
      channel = toI32(value); // unsigned long -> int
      p = end;
      flag |= 2;
    } else {
      if (val[p] === '-') {
        flag |= 1;
        start = channel;
      } else {
        tmp |= getActiveChannels(flag, start, channel);
        flag = 0;
      }
      p++;
    }
  }
  if (flag) tmp |= getActiveChannels(flag, start, channel);
  return tmp >>> 0;
}

/** dec_to_uint(str, 0): the leading decimal digits, in unsigned (mod 2^32) arithmetic. */
function decToUint(s: string): number {
  let v = 0;
  for (let i = 0; i < s.length && isDigit(s[i]); i++) v = (Math.imul(v, 10) + (s.charCodeAt(i) - 48)) >>> 0;
  return v;
}

function isDottedQuad(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

// ---------------------------------------------------------------------------------------------------------------
// Memory: the bytes of linkconf/chanconf the model reads back

/** A malloc'd struct: its bytes, and which bytes hold (part of) a pointer wanconfig malloc'd itself. */
class Struct {
  readonly bytes: Uint8Array;
  readonly heapPtr: Uint8Array;
  constructor(
    readonly what: string,
    readonly size: number,
  ) {
    this.bytes = new Uint8Array(size); // memset 0 after malloc
    this.heapPtr = new Uint8Array(size);
  }
  write(offset: number, data: readonly number[], why: string): void {
    if (offset + data.length > this.size)
      throw new WanconfigUndefinedBehaviour(
        `${why} writes ${offset + data.length - this.size} byte(s) past ${this.what}`,
      );
    data.forEach((b, i) => {
      this.bytes[offset + i] = b;
      this.heapPtr[offset + i] = 0;
    });
  }
  u32(offset: number): number {
    const b = this.bytes;
    return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
  }
  /** A pointer at offset: 'null', the one wanconfig stored ('heap'), or anything else ('garbage', not NULL). */
  pointer(offset: number): 'null' | 'heap' | 'garbage' {
    const range = [...Array(8).keys()].map((i) => offset + i);
    if (range.every((i) => this.heapPtr[i] === 1)) return 'heap';
    if (range.every((i) => this.heapPtr[i] === 0 && this.bytes[i] === 0)) return 'null';
    return 'garbage';
  }
}

/** The bytes up to the first NUL (or all of them), as latin1. */
const cString = (b: Uint8Array): string => {
  const end = b.indexOf(0);
  return String.fromCharCode(...(end < 0 ? b : b.subarray(0, end)));
};

/** Where a table's entries point: the struct, and the offset of the part of it the table describes. */
interface Target {
  struct: Struct;
  base: number;
}

/** The little-endian bytes of an unsigned 32-bit value, zero-extended to width. */
const leBytes = (v: number, width: number): number[] =>
  [...Array(width).keys()].map((i) => (i < 4 ? (v >>> (8 * i)) & 0xff : 0));
const DTYPE_WIDTH: Readonly<Record<string, number>> = {
  int: 4,
  uint: 4,
  long: 8,
  ulong: 8,
  short: 2,
  ushort: 2,
  char: 1,
  uchar: 1,
  ptr: 8,
};

function fieldOffset(table: string, def: KeyDef, target: Target): number | undefined {
  const off = FIELD_OFFSETS[table]?.[def.key];
  if (off === undefined && (def.dtype === 'str' || def.dtype === 'oct-chan-conf'))
    throw new Error(`wanconfig-model: no offset for ${table}.${def.key} (${def.dtype})`);
  return off === undefined ? undefined : target.base + off;
}

/** read_oct_chan_config (2516-2546) on the wan_custom_conf_t { u32 param_no; packed pointer params } at offset. */
function readOctChanConfig(t: Target, offset: number): number {
  const s = t.struct;
  const paramNo = s.u32(offset);
  const params = s.pointer(offset + 4);
  if ((paramNo === 0 && params !== 'null') || (paramNo !== 0 && params === 'null')) return ERR_SYSTEM;
  if (paramNo === 0)
    for (let i = 0; i < 8; i++) s.heapPtr[offset + 4 + i] = 1; // params = malloc(1 param)
  else if (params === 'garbage')
    throw new WanconfigUndefinedBehaviour('OCT_ECHOOPERATIONMODE writes through an overwritten params pointer');
  else throw new WanconfigUndefinedBehaviour('a second OCT_ECHOOPERATIONMODE writes params[1] of a 1-element malloc');
  s.write(offset, leBytes(paramNo + 1, 4), 'param_no++');
  return 0;
}

/**
 * set_conf_param (2098-2276): 0 set, 1 bad value, -1 key not in the table (or an empty ACTIVE_CH-type channel set),
 * or read_oct_chan_config's ERR_SYSTEM. The value is upper-cased in place on the symbol path (val.v changes).
 */
function setConfParam(key: string, val: { v: string }, table: string, t: Target): number {
  const def = lookupKey(table, key);
  if (def === undefined) return -1;
  if (def.dtype === 'filename') return 0; // assumption: the file reads
  if (def.dtype === 'oct-filename') return 0;
  if (def.dtype === 'oct-chan-conf') return readOctChanConfig(t, fieldOffset(table, def, t)!);
  if (key === 'RTP_TAP_IP') return isDottedQuad(val.v) ? 0 : 1;
  if (key === 'RTP_TAP_MAC') return val.v.split(':').filter((x) => x !== '').length >= 6 ? 0 : 1;
  if (def.dtype === 'str') {
    const bytes = [...val.v].map((c) => c.charCodeAt(0));
    t.struct.write(fieldOffset(table, def, t)!, [...bytes, 0], `${key} (strcpy of ${bytes.length} bytes)`);
    return 0;
  }
  let tmp: number;
  const v = val.v;
  if (!(isDigit(v[0]) || (v[0] === '-' && isDigit(v[1]))) || SYMBOL_PATH_KEYS.includes(key)) {
    val.v = upcase(v);
    const sym = symbolValue(val.v);
    if (sym === undefined) {
      if (!ACTIVE_CHANNEL_KEYS.includes(key)) return 1; // " * invalid term"
      tmp = parseActiveChannel(val.v);
      if (tmp === 0 && key !== 'TDMV_DCHAN') return -1; // "Illegal active channel range!"
    } else tmp = sym >>> 0;
  } else tmp = toU32(strtoul0(v));
  const off = fieldOffset(table, def, t);
  const width = DTYPE_WIDTH[def.dtype];
  if (off !== undefined && width !== undefined) t.struct.write(off, leBytes(tmp, width), key);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// The run

interface ChanDef {
  name: string; // truncated to WAN_IFNAME_SZ
  section: string; // token[0], untruncated
  addr: string;
  usedby: string;
  word?: string; // protocol word, toknum > 5
  protocol?: string; // MP_*
  profile?: string;
  label?: string;
  virtualAddr?: string;
  realAddr?: string;
  conf?: string[];
  confProfile?: string[];
}

class Stop {
  constructor(
    readonly exit: number,
    readonly failedAt: number | undefined,
    readonly reason: string,
    readonly key?: string,
    readonly section?: string,
  ) {}
}

/** Run wanconfig -v -f on the text (latin1: one char per byte); see the header for the assumptions. */
export function runWanconfig(text: string): ModelResult {
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > 0xff) throw new RangeError('runWanconfig: text must be latin1 (one char per byte)');
  const records = readRecords(text);
  const result: ModelResult = { exit: 0, interfaces: [] };
  try {
    run(records, result);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    result.exit = e.exit;
    result.reason = e.reason;
    if (e.failedAt !== undefined) result.failedAt = e.failedAt;
    if (e.key !== undefined) result.key = e.key;
    if (e.section !== undefined) result.section = e.section;
  }
  return result;
}

function run(records: readonly string[], result: ModelResult): void {
  // build_linkdef_list
  const devices = readSection(records, 'devices');
  if (devices === undefined) throw new Stop(ERR_CONFIG, 1133, 'no-devices-section');
  let head: { name: string; mediaId: string } | undefined;
  for (const rec of devices) {
    const tok = tokenize(rec);
    if (tok.length < 2) continue;
    const mediaId = upcase(tok[1]!);
    if (!CONFIG_ID_NAMES.includes(mediaId)) throw new Stop(ERR_CONFIG, 1154, 'invalid-media-id', undefined, 'devices');
    head = { name: tok[0]!.slice(0, WAN_DRVNAME_SZ), mediaId }; // prepended: the last one is the head
    result.device = head;
  }
  // build_chandef_list
  const chans: ChanDef[] = [];
  if (head !== undefined) {
    for (const rec of readSection(records, 'interfaces') ?? []) {
      const tok = tokenize(rec);
      if (tok.length < 4) continue;
      const chan: ChanDef = { name: tok[0]!.slice(0, WAN_IFNAME_SZ), section: tok[0]!, addr: tok[2]!, usedby: tok[3]! };
      if (tok.length > 5) {
        const word = tok[4]!;
        if (!PROTOCOL_WORDS.has(word)) throw new Stop(ERR_CONFIG, 1289, 'invalid-protocol', undefined, 'interfaces');
        chan.word = word;
        const protocol = PROTOCOL_WORDS.get(word);
        if (protocol !== undefined) chan.protocol = protocol;
      }
      if (!USEDBY.includes(chan.usedby)) throw new Stop(ERR_CONFIG, 1319, 'invalid-usedby', undefined, 'interfaces');
      if (tok.length > 5) {
        chan.profile = tok[5]!;
        if (tok.length > 7) {
          chan.virtualAddr = tok[6]!;
          chan.realAddr = tok[7]!;
          if (tok.length > 8) chan.label = tok[8]!;
        } else if (tok.length > 6) chan.label = tok[6]!;
        const profile = readSection(records, chan.profile);
        if (profile !== undefined) chan.confProfile = profile;
      }
      const conf = readSection(records, chan.section);
      if (conf !== undefined) chan.conf = conf;
      chans.push(chan);
    }
  }
  // configure
  if (head === undefined) {
    result.reason = 'no-link-definitions';
    return;
  }
  configureLink(records, head, chans, result);
}

function configureLink(
  records: readonly string[],
  dev: { name: string; mediaId: string },
  chans: readonly ChanDef[],
  result: ModelResult,
): void {
  const conf = readSection(records, dev.name);
  if (conf === undefined) throw new Stop(ERR_CONFIG, 1392, 'no-device-section', undefined, dev.name);
  const linkconf = new Struct('wandev_conf_t', WANDEV_SIZE);
  const mediaTable = DEVICE_MEDIA_TABLES[dev.mediaId];
  for (const rec of conf) {
    const tok = tokenize(rec);
    if (tok.length < 2) throw new Stop(ERR_CONFIG, 1419, 'record-without-equals', undefined, dev.name);
    const key = upcase(tok[0]!);
    const val = { v: tok[1]! };
    let err = setConfParam(key, val, 'common_conftab', { struct: linkconf, base: 0 });
    if (err < 0 && mediaTable !== undefined)
      err = setConfParam(key, val, mediaTable, { struct: linkconf, base: WANDEV_U });
    if (err < 0) throw new Stop(ERR_CONFIG, 1435, 'unknown-key', key, dev.name);
    if (err) throw new Stop(err, 1442, 'bad-value', key, dev.name);
  }
  if (dev.mediaId === 'WAN_FR') {
    let i = 0;
    let hi = 15; // unsigned short hi_DLCI
    for (const chan of chans) {
      if (chan.addr === 'auto') continue;
      if (chan.word !== undefined) continue; // annexg != NO_ANNEXG
      const dlci = decToUint(chan.addr);
      linkconf.write(WANDEV_FR_DLCI + 4 * i, leBytes(dlci, 4), `u.fr.dlci[${i}]`);
      if (dlci > hi) {
        hi = dlci & 0xffff;
        i++;
      } else throw new Stop(ERR_SYSTEM, 1484, 'dlci-order', undefined, 'interfaces');
    }
  }
  // exec_link_cmd: assumed to succeed. Then each interface, in [interfaces] order.
  let masterLip = '';
  for (const chan of chans) {
    if (chan.word === undefined) masterLip = chan.name;
    const chanconf = configureChan(chan, dev.mediaId);
    const done: ModelInterface = { name: chan.name, ifDown: chanconf.bytes[WANIF_IF_DOWN]!, usedby: chan.usedby };
    if (chan.word !== undefined) {
      done.protocol = chan.word;
      if (!ANNEXG_WITHOUT_PROTOCOL.includes(chan.word)) {
        // exec_chan_cmd 1958: strncpy(chanconf->master, master_lip_dev, 15) leaves master[15] as it was, which a
        // long STR value of the interface section may have written
        const lip = [...masterLip].map((c) => c.charCodeAt(0));
        chanconf.write(
          WANIF_MASTER,
          [...Array(WAN_IFNAME_SZ).keys()].map((i) => lip[i] ?? 0),
          'master',
        );
        done.master = cString(chanconf.bytes.subarray(WANIF_MASTER, WANIF_MASTER + WAN_IFNAME_SZ + 1));
      }
    }
    result.interfaces.push(done);
    if (chan.usedby === 'STACK') masterLip = chan.name;
  }
}

/** configure_chan: parses the interface's section and profile into a new chanconf, or throws a Stop. */
function configureChan(def: ChanDef, mediaId: string): Struct {
  const chanconf = new Struct('wanif_conf_t', WANIF_SIZE);
  const whole: Target = { struct: chanconf, base: 0 };
  const u: Target = { struct: chanconf, base: WANIF_U };
  const ifTable = IFACE_MEDIA_TABLES[mediaId];
  let annexgTable: string | undefined;
  if (def.word !== undefined && def.protocol !== undefined) {
    annexgTable = ANNEXG_TABLES[def.word];
    if (annexgTable !== undefined) setConfParam('PROTOCOL', { v: def.protocol }, 'chan_conftab', whole);
  }
  if (def.label !== undefined && annexgTable !== undefined) setConfParam('LABEL', { v: def.label }, annexgTable, u);
  if (def.virtualAddr !== undefined && annexgTable !== undefined)
    setConfParam('VIRTUAL_ADDR', { v: def.virtualAddr }, annexgTable, u);
  if (def.realAddr !== undefined && def.word !== undefined && annexgTable !== undefined)
    setConfParam('REAL_ADDR', { v: def.realAddr }, annexgTable, u);

  for (const rec of def.conf ?? []) {
    const tok = tokenize(rec);
    if (tok.length < 2) throw new Stop(EINVAL_EXIT, 1757, 'record-without-equals', undefined, def.section);
    const key = upcase(tok[0]!);
    const val = { v: tok[1]! };
    const tried: string[] = ['chan_conftab'];
    if (setConfParam(key, val, 'chan_conftab', whole)) {
      if (def.word !== undefined && annexgTable !== undefined) {
        tried.push(annexgTable);
        if (setConfParam(key, val, annexgTable, u)) throw fail(1773, key, tried, def.section);
      } else if (ifTable !== undefined) {
        tried.push(ifTable);
        if (setConfParam(key, val, ifTable, u)) throw fail(1780, key, tried, def.section);
      } else throw fail(1788, key, tried, def.section);
    } else if (key === 'ACTIVE_CH' && CHAN_DEF_ACTIVE_CH + val.v.length >= CHAN_DEF_CHANCONF) {
      throw new WanconfigUndefinedBehaviour(`strcpy of a ${val.v.length}-char ACTIVE_CH overwrites def->chanconf`);
    }
  }
  if (def.word !== undefined) {
    const profileTable = ANNEXG_TABLES[def.word];
    for (const rec of def.confProfile ?? []) {
      const tok = tokenize(rec);
      if (tok.length < 2) throw new Stop(EINVAL_EXIT, 1811, 'record-without-equals', undefined, def.profile);
      const key = upcase(tok[0]!);
      const val = { v: tok[1]! };
      if (profileTable === undefined || setConfParam(key, val, profileTable, u)) {
        if (setConfParam(key, val, 'chan_conftab', whole))
          throw fail(
            1824,
            key,
            profileTable === undefined ? ['chan_conftab'] : [profileTable, 'chan_conftab'],
            def.profile,
          );
      }
    }
  }
  return chanconf;
}

/** An interface/profile key no table took: exit 3 either way; the reason says whether any table had the key. */
function fail(line: number, key: string, tables: readonly string[], section: string | undefined): Stop {
  const known = tables.some((t) => lookupKey(t, key) !== undefined);
  return new Stop(ERR_CONFIG, line, known ? 'bad-value' : 'unknown-key', key, section);
}
