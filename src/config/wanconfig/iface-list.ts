// The [interfaces] lines as wanconfig's build_chandef_list (wanconfig.c 1188-1376) takes them:
// `name = device, media address, used by[, protocol, profile[, label]]`. Pure.
import { OPERATION_MODES, LIP_PROTOCOLS } from '../wanpipe.js';
import { IFNAME_RE } from '../../net/ipv4.js';
import type { Entry } from '../lex.js';
import type { FileNote } from '../wanpipe.js';
import type { WSection } from './read.js';
import { ANNEXG_WITHOUT_PROTOCOL } from './tables.js';
import { decToUint } from './value.js';

export interface IfaceRow {
  entry: Entry;
  name: string;
  deviceField: string;
  media: string;
  mode: string;
  /** The protocol word, read only with six tokens or more (1237). */
  protocol: string | undefined;
  profile: string | undefined;
  comment: string;
}

export interface RowFault {
  line: number;
  what: string;
  hint: string;
  /** wanconfig's exit status, or 'accepts' where wanbond refuses what wanconfig takes. */
  exit: number | 'accepts';
}

/** Refuses names the kernel or wanbond's commands would not take, saying what wanconfig does with them. */
function nameFault(e: Entry): RowFault | undefined {
  const name = e.key;
  if (IFNAME_RE.test(name)) return undefined;
  const long = name.length > 15;
  return {
    line: e.line,
    what: long
      ? `interface name '${name}' is ${name.length} characters long: wanconfig accepts it, but gives the driver ` +
        `only '${name.slice(0, 15)}' (15 characters, the kernel's limit) while it reads the section [${name}]`
      : `invalid interface name '${name}': wanconfig accepts it and hands it to the driver as it is, but wanbond ` +
        `bonds only names of letters, digits, '_', '.', ':' and '-' (the kernel refuses '/', spaces and more)`,
    hint: 'rename the interface: 1-15 letters, digits, _ . : -, in [interfaces] and its section header',
    exit: 'accepts',
  };
}

export function readIfaceRows(
  sec: WSection | undefined,
  head: string,
): { rows: IfaceRow[]; faults: RowFault[]; notes: FileNote[] } {
  const rows: IfaceRow[] = [];
  const faults: RowFault[] = [];
  const notes: FileNote[] = [];
  for (const r of sec?.bare ?? []) {
    notes.push({
      line: r.line,
      what: `'${r.text}' in [interfaces] has no '=': wanconfig skips the line, so it creates no interface from it`,
      hint: "write 'name = device, media address, WANPIPE, comment', or comment the line out with #",
    });
  }
  for (const e of sec?.entries ?? []) {
    if (e.values.length < 3) {
      notes.push({
        line: e.line,
        what:
          `${e.key}: ${e.values.length} field${e.values.length === 1 ? '' : 's'} after '=': wanconfig needs at least ` +
          `device, media address and operation mode, and skips the line, so ${e.key} is never created`,
        hint: `write e.g. '${e.key} = ${head}, , WANPIPE, Comment' (an empty media address is allowed)`,
      });
      continue;
    }
    const [deviceField = '', media = '', mode = '', fourth = ''] = e.values;
    const bad = nameFault(e);
    if (bad) faults.push(bad);
    // A line wanconfig stops at is not read further here either: its profile would only add noise.
    const before = faults.length;
    if (!(OPERATION_MODES as readonly string[]).includes(mode)) {
      const near = OPERATION_MODES.find((m) => m.toUpperCase() === mode.toUpperCase());
      faults.push({
        line: e.line,
        what:
          `${e.key}: operation mode '${mode}' is not one wanconfig takes` +
          (near ? ` (it compares modes exactly, case included: '${near}')` : '') +
          `: wanrouter start fails here (wanconfig: "${e.key} to be used by an Invalid entity: ${mode}", exit 3)`,
        hint: near ? `write '${near}'` : 'use WANPIPE for an interface that carries IP',
        exit: 3,
      });
    }
    const hasProtocol = e.values.length >= 5;
    if (hasProtocol && !(LIP_PROTOCOLS as readonly string[]).includes(fourth)) {
      faults.push({
        line: e.line,
        what:
          `${e.key}: '${fourth}' is not a protocol wanconfig knows: with five fields or more the fourth names ` +
          `the protocol (${LIP_PROTOCOLS.join(', ')}): wanrouter start fails here ` +
          `(wanconfig: "${e.key} defined with invalid protocol ${fourth}", exit 3)`,
        hint: `write the protocol in lower case (e.g. ppp), or drop the fifth field if '${fourth}' is a comment`,
        exit: 3,
      });
    }
    if (faults.length > before) continue;
    if (deviceField !== head) {
      notes.push({
        line: e.line,
        what:
          `${e.key} names device '${deviceField}', but wanconfig never reads that field: ` +
          `every interface of this file belongs to ${head}, the device [devices] lists`,
        hint: `write '${head}' as the first field of ${e.key}`,
      });
    }
    rows.push({
      entry: e,
      name: e.key,
      deviceField,
      media,
      mode,
      protocol: hasProtocol ? fourth : undefined,
      profile: hasProtocol ? (e.values[4] ?? '') : undefined,
      comment: hasProtocol ? '' : e.values.slice(3).join(','),
    });
  }
  return { rows, faults, notes };
}

/** lapb, x25 and dsp are Annex G layers with masters of their own (master_lapb/x25/dsp_dev, 1890-1925), not LIP. */
export const isLip = (protocol: string): boolean => !ANNEXG_WITHOUT_PROTOCOL.includes(protocol);

/**
 * The hardware interface each LIP interface rides on: wanconfig passes master_lip_dev, set to every interface
 * without a protocol before it is configured (1527) and to every STACK interface after (1566-1567). The profile's
 * name plays no part.
 */
export function lipMasters(rows: readonly IfaceRow[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  let master: string | undefined;
  for (const r of rows) {
    if (r.protocol === undefined) master = r.name.slice(0, 15);
    else if (isLip(r.protocol)) out.set(r.name, master);
    if (r.mode === 'STACK') master = r.name.slice(0, 15);
  }
  return out;
}

/**
 * WAN_FR's DLCI rule (1460-1488): over the interfaces whose address is not exactly "auto" and that run no
 * protocol, the leading decimal digits of each address must rise, the first above 15. dec_to_uint reads "AUTO",
 * "" and "0x20" as 0.
 */
export function dlciFaults(rows: readonly IfaceRow[], file: string): RowFault[] {
  let hi = 15; // hi_DLCI is an unsigned short (1387): a DLCI of 65552 counts as 16 there
  for (const r of rows) {
    if (r.media === 'auto' || r.protocol !== undefined) continue;
    const dlci = decToUint(r.media);
    if (dlci > hi) {
      hi = dlci & 0xffff;
      continue;
    }
    const why =
      r.media.toLowerCase() === 'auto'
        ? `'${r.media}' is not 'auto': wanconfig compares it case-sensitively and reads DLCI 0`
        : !/^[0-9]/.test(r.media)
          ? `'${r.media}' is not a DLCI: wanconfig reads its leading digits, so DLCI 0`
          : hi === 15
            ? `DLCI ${dlci} is below 16`
            : `DLCI ${dlci} does not follow ${hi}: wanconfig wants the DLCIs of [interfaces] rising, none twice`;
    return [
      {
        line: r.entry.line,
        what:
          `${r.name}: ${why}: wanrouter start fails here ` +
          `(wanconfig: "DLCI(s) specified in ${file} are not in order or duplicate DLCI(s) assigned!", exit 1)`,
        hint:
          r.media.toLowerCase() === 'auto'
            ? `write 'auto' in lower case`
            : 'list the frame-relay interfaces by rising DLCI (16-1007), each DLCI once, or auto on a CPE',
        exit: 1,
      },
    ];
  }
  return [];
}
