// A wanpipeN.conf judged in the order `wanconfig` (7.0.15) checks it: [devices], [interfaces], the device section,
// frame relay's DLCIs, then each interface's section and LIP profile. Each problem says what `wanrouter start`
// would say and its exit status; what wanconfig accepts but may surprise is a note with the value that wins. Pure.
import { ConfigErrors, WanconfigError } from '../../errors.js';
import { classify, cardOf } from '../visibility.js';
import type { Device, FileModel, FileNote, Interface, MediaAddr } from '../wanpipe.js';
import { dlciFaults, type IfaceRow, isLip, lipMasters, readIfaceRows } from './iface-list.js';
import { deviceKeys, duplicateKeys, interfaceKeys, profileKeys, type SectionKeys, type SetKey } from './keys.js';
import { findSection } from '../lex.js';
import { lastEntry, type WanpipeText, type WSection } from './read.js';
import { CONFIG_ID_NAMES } from './tables.js';
import { decToUint } from './value.js';

const DEVICE_RE = /^wanpipe[1-9][0-9]?$/;

class Faults {
  readonly list: WanconfigError[] = [];
  constructor(readonly file: string) {}
  add(line: number, what: string, hint: string, exit: number | 'accepts'): void {
    this.list.push(new WanconfigError(this.file, line, what, hint, exit));
  }
}

function bomWhy(t: WanpipeText, name: string): string {
  return t.bomHeader === name
    ? `: line 1 holds [${name}] behind a UTF-8 byte-order mark (EF BB BF), which wanconfig does not skip`
    : '';
}

function wholeFileFaults(t: WanpipeText, f: Faults): void {
  if (t.crOnly) {
    const seen = t.records.slice(0, 3).map((r) => `'${r.text}'`);
    f.add(
      1,
      'the file has CR-only line endings (old Mac style): wanconfig reads it in 255-byte pieces and keeps only ' +
        `the text before the first CR of each (here ${seen.join(', ')}), not the configuration written`,
      `convert the line endings: sed -i 's/\\r/\\n/g' ${t.file}`,
      'accepts',
    );
  }
}

/** The rest of an overlong line is a record of its own to wanconfig: the sections judge it like any other. */
function longLineNotes(t: WanpipeText): FileNote[] {
  const seen = new Set<number>();
  const out: FileNote[] = [];
  for (const r of t.records) {
    if (r.piece === 0 || seen.has(r.line) || t.crOnly) continue;
    seen.add(r.line);
    out.push({
      line: r.line,
      what:
        `line ${r.line} is ${t.lines[r.line - 1]?.text.length ?? 0} bytes long: wanconfig reads a line 255 bytes ` +
        `at a time and takes the rest ('${r.text}') as a line of its own`,
      hint: `shorten line ${r.line} to 255 bytes or fewer (split a long comment over several lines)`,
    });
  }
  return out;
}

/** The device wanconfig configures: the last valid line of [devices] (each is prepended to its list, 1172-1177). */
function readDevice(
  t: WanpipeText,
  f: Faults,
  notes: FileNote[],
): { name: string; mediaId: string; line: number; description: string } | undefined {
  const sec = findSection(t, 'devices');
  if (!sec || sec.entries.length + sec.bare.length === 0) {
    f.add(
      sec?.line ?? 1,
      `no [devices] section${sec ? ' with a line in it' : ''}${bomWhy(t, 'devices')}: wanrouter start fails ` +
        '(wanconfig: "section [devices] not found!", exit 3)',
      t.bomHeader === 'devices'
        ? `remove the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' ${t.file}`
        : "add '[devices]' with a line such as 'wanpipe1 = WAN_CHDLC, Comment'",
      3,
    );
    return undefined;
  }
  for (const r of sec.bare) {
    notes.push({
      line: r.line,
      what: `'${r.text}' in [devices] has no '=': wanconfig skips the line`,
      hint: "write 'wanpipeN = MEDIA_ID, comment', or comment the line out with #",
    });
  }
  const valid: { name: string; mediaId: string; line: number; description: string }[] = [];
  for (const e of sec.entries) {
    const mediaId = (e.values[0] ?? '').toUpperCase();
    if (!CONFIG_ID_NAMES.includes(mediaId)) {
      f.add(
        e.line,
        `${e.key}: unknown media id '${e.values[0] ?? ''}': wanrouter start fails here ` +
          `(wanconfig: "Media ID ${mediaId} is invalid!", "Invalid configuration file syntax", exit 3)`,
        'use the media id wancfg writes for your card and protocol: WAN_CHDLC, WAN_PPP, WAN_FR, WAN_AFT_TE1, ...',
        3,
      );
      return undefined;
    }
    valid.push({ name: e.key.slice(0, 15), mediaId, line: e.line, description: e.values.slice(1).join(',') });
  }
  if (valid.length === 0) {
    f.add(
      sec.line,
      '[devices] has no line with a device: wanconfig accepts this and configures nothing ' +
        '("No link definitions found...", exit 0), so no line of this file ever comes up',
      "add a line such as 'wanpipe1 = WAN_CHDLC, Comment', or remove the file and its WAN_DEVICES entry",
      'accepts',
    );
    return undefined;
  }
  const head = valid[valid.length - 1] as (typeof valid)[number];
  if (valid.length > 1) {
    f.add(
      (valid[1] as (typeof valid)[number]).line,
      `[devices] lists ${valid.map((d) => d.name).join(' and ')}: wanconfig accepts this, but configures only the ` +
        `last one (${head.name}) and gives it every interface`,
      'keep one device per file: wanpipe1 in wanpipe1.conf, wanpipe2 in wanpipe2.conf, each listed in WAN_DEVICES',
      'accepts',
    );
  }
  return head;
}

/** Checked where wanconfig first opens the device (1515, 1592): after every parsing check of the file. */
function deviceNameFault(f: Faults, head: { name: string; line: number }): void {
  if (!DEVICE_RE.test(head.name)) {
    // The driver registers its cards as wanpipe1, wanpipe2, ...: wanconfig finds no /proc/net/wanrouter/<name>.
    f.add(
      head.line,
      `device name '${head.name}': the driver registers its cards only as wanpipeN, so wanconfig finds no ` +
        `/proc/net/wanrouter/${head.name} and stops ("WAN device ${head.name} driver load failed !!", exit 234)`,
      'name the device wanpipeN, matching its section [wanpipeN] and file wanpipeN.conf',
      234,
    );
  }
}

function deviceSection(t: WanpipeText, f: Faults, name: string, mediaId: string, line: number): SectionKeys {
  const sec = findSection(t, name);
  if (!sec || sec.entries.length + sec.bare.length === 0) {
    const near = t.sections.find((x) => x.name.trim() === name && x.name !== name);
    f.add(
      sec?.line ?? line,
      `${name} has no [${name}] section${sec ? ' with a line in it' : ''}` +
        (near
          ? `: [${near.name}] at line ${near.line} has spaces inside the brackets, and wanconfig matches ` +
            'section names exactly'
          : bomWhy(t, name)) +
        ': wanrouter start fails (wanconfig.c 1392: "Invalid configuration file syntax", exit 3)',
      near
        ? `write [${name}] on line ${near.line}`
        : `add a [${name}] section with the card's settings (CARD_TYPE, ...)`,
      3,
    );
    return { set: [], faults: [] };
  }
  return deviceKeys(sec, mediaId, t.file);
}

function mediaAddr(row: IfaceRow, dev: Device): MediaAddr {
  const text = row.media;
  if (text === '') return { kind: 'none' };
  if (dev.configId === 'WAN_FR' && row.protocol === undefined) {
    if (text === 'auto') return { kind: 'auto' };
    return { kind: 'dlci', dlci: decToUint(text) };
  }
  if (text.toLowerCase() === 'auto') return { kind: 'auto' };
  const fr = dev.configId === 'WAN_FR' || dev.configId === 'WAN_MFR' || row.protocol === 'fr';
  return fr && /^[0-9]+$/.test(text) ? { kind: 'dlci', dlci: Number(text) } : { kind: 'other', text };
}

/** The DYN_INTR_CFG that reaches the driver: the last one set, the profile's after the interface section's. */
function dynIntrCfgOf(keys: SetKey[]): SetKey | undefined {
  return keys.filter((k) => k.entry.keyUpper === 'DYN_INTR_CFG' && k.table === 'chan_conftab').at(-1);
}

function buildInterface(
  t: WanpipeText,
  f: Faults,
  notes: FileNote[],
  row: IfaceRow,
  dev: Device,
  master: string | undefined,
): Interface {
  const sec = findSection(t, row.name);
  const keys: SetKey[] = [];
  const sections: WSection[] = [];
  if (sec) {
    const r = interfaceKeys(sec, dev.configId, row.protocol);
    keys.push(...r.set);
    for (const x of r.faults) f.add(x.line, x.what, x.hint, x.exit);
    sections.push(sec);
  }
  let profileSec: WSection | undefined;
  if (row.protocol !== undefined) {
    profileSec = findSection(t, row.profile ?? '');
    if (!profileSec || profileSec.entries.length + profileSec.bare.length === 0) {
      notes.push({
        line: row.entry.line,
        what:
          `${row.name}: its ${row.protocol} profile [${row.profile}] is ${profileSec ? 'empty' : 'missing'}: ` +
          'wanconfig ' +
          `accepts this and runs ${row.protocol} with the driver's defaults`,
        hint: `add a [${row.profile || `${row.name}.${row.protocol}`}] section with the ${row.protocol} settings`,
      });
    } else {
      const r = profileKeys(profileSec, row.protocol);
      keys.push(...r.set);
      for (const x of r.faults) f.add(x.line, x.what, x.hint, x.exit);
      sections.push(profileSec);
    }
  }
  const dyn = dynIntrCfgOf(keys);
  const winner = dyn ? sections.find((s) => s.entries.includes(dyn.entry)) : undefined;
  let dynIntrCfg: Interface['dynIntrCfg'];
  if (dyn) {
    // LIP takes any non-zero as on; S514 frame relay only 1 (WANOPT_YES); the other drivers any non-zero.
    const on = row.protocol === undefined && dev.configId === 'WAN_FR' ? dyn.value === 1 : dyn.value !== 0;
    dynIntrCfg = on ? 'YES' : 'NO';
    const other = sections.find((s) => s !== winner && lastEntry(s, 'DYN_INTR_CFG') !== undefined);
    if (other && profileSec && dyn.entry === lastEntry(profileSec, 'DYN_INTR_CFG')) {
      notes.push({
        line: dyn.entry.line,
        what:
          `${row.name}: DYN_INTR_CFG is set in [${other.name}] and in its profile [${profileSec.name}]: wanconfig ` +
          `reads the profile last, so ${dyn.entry.key} = ${dyn.entry.value} (line ${dyn.entry.line}) wins`,
        hint: `keep DYN_INTR_CFG in one of the two sections`,
      });
    }
  }
  if (row.protocol !== undefined && isLip(row.protocol) && master === undefined) {
    f.add(
      row.entry.line,
      `${row.name}: a ${row.protocol} interface with no hardware interface listed before it: wanconfig accepts ` +
        'this, but the driver has nothing to attach it to',
      `list '${row.profile?.includes('.') ? row.profile.split('.')[0] : 'w1g1'} = ${dev.name}, , STACK, Comment' ` +
        `in [interfaces] before ${row.name}`,
      'accepts',
    );
  }
  const misnamed = sec ? undefined : t.sections.find((x) => x.name.trim() === row.name);
  return {
    name: row.name,
    device: dev.name,
    file: t.file,
    line: row.entry.line,
    mediaAddr: mediaAddr(row, dev),
    mode: row.mode,
    lipProtocol: row.protocol,
    profile: row.profile,
    parent: master,
    comment: row.comment,
    sectionLine: sec?.line,
    dynIntrCfg,
    dynIntrCfgRaw: dyn?.entry.value,
    dynIntrCfgLine: dyn?.entry.line,
    dynIntrCfgNumber: dyn?.value,
    dynIntrCfgSection: winner?.name,
    misnamedSection: misnamed ? { name: misnamed.name, line: misnamed.line } : undefined,
    ...classify(dev, row.mode, row.protocol, dynIntrCfg),
  };
}

export function buildFileModel(t: WanpipeText): FileModel {
  const f = new Faults(t.file);
  const notes: FileNote[] = [...t.notes, ...longLineNotes(t)];
  if (t.records.length === 0 && t.lines.every((l) => l.text.trim() === '')) {
    throw new WanconfigError(
      t.file,
      1,
      'file is empty: wanrouter start fails on it (wanconfig: "section [devices] not found!", exit 3)',
      'write a [devices] and an [interfaces] section (see wanpipe-conf/ for samples), ' +
        'or remove the file and its WAN_DEVICES entry',
      3,
    );
  }
  wholeFileFaults(t, f);
  const head = readDevice(t, f, notes);
  const devices: Device[] = [];
  const interfaces: Interface[] = [];
  if (head) {
    const ifs = readIfaceRows(findSection(t, 'interfaces'), head.name);
    notes.push(...ifs.notes);
    for (const x of ifs.faults) f.add(x.line, x.what, x.hint, x.exit);
    const devKeys = deviceSection(t, f, head.name, head.mediaId, head.line);
    for (const x of devKeys.faults) f.add(x.line, x.what, x.hint, x.exit);
    notes.push(...(devKeys.notes ?? []));
    if (head.mediaId === 'WAN_FR') for (const x of dlciFaults(ifs.rows, t.file)) f.add(x.line, x.what, x.hint, x.exit);
    deviceNameFault(f, head);
    const cardType = devKeys.set.filter((k) => k.entry.keyUpper === 'CARD_TYPE').at(-1)?.entry.value;
    const dev: Device = {
      name: head.name,
      file: t.file,
      line: head.line,
      configId: head.mediaId,
      description: head.description,
      cardType,
      card: cardOf(head.mediaId, cardType),
    };
    devices.push(dev);
    const masters = lipMasters(ifs.rows);
    for (const row of ifs.rows) interfaces.push(buildInterface(t, f, notes, row, dev, masters.get(row.name)));
    for (const i of interfaces) {
      const p = i.parent === undefined ? undefined : interfaces.find((x) => x.name === i.parent);
      if (p && p.mode !== 'STACK') {
        f.add(
          i.line,
          `${i.name}: wanconfig attaches this ${i.lipProtocol} interface to ${p.name}, the interface listed before ` +
            `it, which is ${p.mode}, not STACK: wanconfig accepts this, but wancfg always writes STACK there and ` +
            `wanbond does not bond ${i.lipProtocol} over anything else`,
          `make ${p.name} a STACK interface ('${p.name} = ${dev.name}, ` +
            `${ifs.rows.find((r) => r.name === p.name)?.media ?? ''}, STACK, Comment'), or list ${i.name} after one`,
          'accepts',
        );
      }
    }
    for (const s of t.sections) if (s.name !== 'devices' && s.name !== 'interfaces') notes.push(...duplicateKeys(s));
  }
  if (f.list.length === 1) throw f.list[0];
  if (f.list.length > 1) throw new ConfigErrors(f.list);
  notes.sort((a, b) => a.line - b.line);
  return { file: t.file, lexed: t, notes, devices, interfaces };
}
