// A value as wanconfig's set_conf_param (wanconfig.c 2098-2276, 7.0.15) takes it: a symbol of its symbol table,
// a channel list for the channel-map keys, or strtoul(v, NULL, 0) folded into an unsigned int and then into the
// field's width. Exact to the bit on the LP64 build wanrouter runs, because the driver sees the folded number,
// not what the text means to a person (2^53 is 0, -1 is 255 in an unsigned char). Pure.
import { type Dtype, type KeyDef, symbolValue } from './tables.js';

export type ValueResult =
  | { ok: true; value: number; via: 'symbol' | 'number' | 'channels' | 'text' }
  | {
      ok: false;
      why: string /** set_conf_param's -1: the lookup goes on to the next table (channel maps). */;
      notFound?: true;
    };

const U64 = (1n << 64n) - 1n;

/** glibc strtoul(s, NULL, 0) on LP64: the number as an unsigned long (overflow gives ULONG_MAX). */
export function strtoul0(s: string): bigint {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i] as string)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10n;
  let digits = /[0-9]/;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16n;
    digits = /[0-9a-fA-F]/;
    i += 2;
  } else if (s[i] === '0') {
    base = 8n;
    digits = /[0-7]/;
  }
  let n = 0n;
  let overflow = false;
  for (; i < s.length && digits.test(s[i] as string); i++) {
    n = n * base + BigInt(parseInt(s[i] as string, 16));
    if (n > U64) overflow = true;
  }
  if (overflow) return U64;
  return neg ? (U64 + 1n - n) & U64 : n;
}

const WIDTH: Partial<Record<Dtype, { bits: bigint; signed: boolean }>> = {
  int: { bits: 32n, signed: true },
  uint: { bits: 32n, signed: false },
  long: { bits: 32n, signed: false }, // `*(long*) = tmp` widens an unsigned int: never negative
  ulong: { bits: 32n, signed: false },
  ptr: { bits: 32n, signed: false },
  short: { bits: 16n, signed: true },
  ushort: { bits: 16n, signed: false },
  char: { bits: 8n, signed: true }, // char is signed on x86
  uchar: { bits: 8n, signed: false },
};

/** `unsigned int tmp` stored into a field of this type, read back as the driver reads it. */
export function foldInto(dtype: Dtype, tmp: bigint): number {
  const w = WIDTH[dtype];
  if (!w) return Number(tmp & 0xffffffffn);
  const mask = (1n << w.bits) - 1n;
  let v = tmp & 0xffffffffn & mask;
  if (w.signed && v >> (w.bits - 1n) === 1n) v -= 1n << w.bits;
  return Number(v);
}

/** parse_active_channel (wanconfig.c 3925-3960): a bit per channel of "1-24", "1.3.5", ...; ALL is every channel. */
export function activeChannels(val: string): number {
  if (val === 'ALL') return 0xffffffff;
  if (val === '0') return 0;
  let tmp = 0;
  let flag = 0; // 2: a channel read, 1: a range open
  let channel = 0;
  let start = 0;
  const bits = (f: number, from: number, to: number): number => {
    if (to < 1 || (f & 3) === 0) return 0;
    let m = 0;
    // x86 shifts by the count mod 32, as JS does: a range of 32 channels or more sets every bit.
    if (f & 1) {
      if (to - from >= 31) return 0xffffffff;
      for (let c = from; c <= to; c++) m |= 1 << (c - 1);
    } else m = 1 << (to - 1);
    return m >>> 0;
  };
  let i = 0;
  while (i < val.length) {
    const d = /^[0-9]+/.exec(val.slice(i));
    if (d) {
      const n = BigInt(d[0]);
      channel = Number(BigInt.asIntN(32, n > U64 ? U64 : n)); // strtoul(ptr, &ptr, 10) into an int
      flag |= 2;
      i += d[0].length;
    } else {
      if (val[i] === '-') {
        flag |= 1;
        start = channel;
      } else {
        tmp |= bits(flag, start, channel);
        flag = 0;
      }
      i++;
    }
  }
  if (flag) tmp |= bits(flag, start, channel);
  return tmp >>> 0;
}

/** Keys whose value goes through the symbol table even when it starts with a digit (2184-2187). */
export const SYMBOL_PATH_KEYS: ReadonlySet<string> = new Set([
  'TE_ACTIVE_CH',
  'ACTIVE_CH',
  'TE_LBO',
  'LBO',
  'FE_MEDIA',
  'MEDIA',
  'RBS_CH_MAP',
  'TE_RBS_CH',
  'TDMV_DCHAN',
]);
const CHANNEL_KEYS = new Set(['TE_ACTIVE_CH', 'ACTIVE_CH', 'RBS_CH_MAP', 'TE_RBS_CH', 'TDMV_DCHAN']);

/** dec_to_uint(s, 0) (wanconfig.c 2570-2578): the leading decimal digits in an unsigned int; "", AUTO, 0x20 are 0. */
export const decToUint = (s: string): number => Number(BigInt(/^[0-9]*/.exec(s)?.[0] || '0') & 0xffffffffn);

/** inet_aton's forms: a, a.b, a.b.c, a.b.c.d; each part decimal, 0-octal or 0x-hex; the last fills the rest. */
function inetAton(s: string): boolean {
  const parts = s.split('.');
  if (parts.length > 4) return false;
  const nums: bigint[] = [];
  for (const p of parts) {
    const m = /^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/.exec(p);
    if (!m) return false;
    nums.push(
      /^0[xX]/.test(p)
        ? BigInt(`0x${p.slice(2) || '0'}`)
        : p.startsWith('0')
          ? BigInt(`0o${p.slice(1) || '0'}`)
          : BigInt(p),
    );
  }
  const lastBits = BigInt(32 - 8 * (nums.length - 1));
  return nums.every((n, i) => (i === nums.length - 1 ? n < 1n << lastBits : n <= 255n));
}

/** What set_conf_param does with `key = raw` for a key found in a table (`def`). */
export function convertValue(def: KeyDef, raw: string): ValueResult {
  const key = def.key;
  if (def.dtype === 'filename' || def.dtype === 'oct-filename' || def.dtype === 'oct-chan-conf')
    return { ok: true, value: 0, via: 'text' };
  if (key === 'RTP_TAP_IP') {
    // wanconfig resolves the name at start; a dotted quad always resolves, a host name only where it is known.
    // A host name is resolved when wanrouter starts, where wanbond cannot know the answer: it passes here.
    // Digits and dots are an address to glibc only in a form inet_aton reads (10.1 and 0x0a.1 are).
    if (!/^[0-9a-fA-FxX.]+$/.test(raw) || !/^[0-9]/.test(raw) || inetAton(raw))
      return { ok: true, value: 0, via: 'text' };
    return { ok: false, why: `${raw} is not an IPv4 address glibc reads` };
  }
  if (key === 'RTP_TAP_MAC') {
    const parts = raw.split(':').filter((p) => p !== '');
    return parts.length >= 6
      ? { ok: true, value: 0, via: 'text' }
      : { ok: false, why: 'expected a MAC address of six hex fields separated by ":"' };
  }
  if (def.dtype === 'str') return { ok: true, value: 0, via: 'text' };
  const numeric = /^[0-9]/.test(raw) || /^-[0-9]/.test(raw);
  if (!numeric || SYMBOL_PATH_KEYS.has(key)) {
    const val = raw.toUpperCase();
    const sym = symbolValue(val);
    if (sym !== undefined) return { ok: true, value: foldInto(def.dtype, BigInt(sym >>> 0)), via: 'symbol' };
    if (!CHANNEL_KEYS.has(key)) return { ok: false, why: `'${val}' is neither a number nor a symbol wanconfig knows` };
    const ch = activeChannels(val);
    if (ch === 0 && key !== 'TDMV_DCHAN')
      return { ok: false, why: `'${val}' names no channel (wanconfig: Illegal active channel range!)`, notFound: true };
    return { ok: true, value: foldInto(def.dtype, BigInt(ch)), via: 'channels' };
  }
  return { ok: true, value: foldInto(def.dtype, strtoul0(raw) & 0xffffffffn), via: 'number' };
}
