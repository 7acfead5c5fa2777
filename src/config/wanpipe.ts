// The wanpipe model: devices, interfaces, and how a line failure will be seen on each IP interface.
// Rules come from ../shared/domain/wanpipe.md sections 1 and 2 (wanconfig.c, the drivers). Pure.
import { ConfigError } from '../errors.js';
import { findSection, getEntry, type LexedFile, type Section } from './lex.js';
import { IFNAME_RE } from '../net/ipv4.js';

export const CONFIG_IDS = [
  'WAN_PPP',
  'WAN_FR',
  'WAN_X25',
  'WAN_CHDLC',
  'WAN_ASYHDLC',
  'WAN_BSC',
  'WAN_HDLC',
  'WAN_MULTPPP',
  'WAN_MULTPROT',
  'WAN_LIP_ATM',
  'WAN_LIP_KATM',
  'WAN_BITSTRM',
  'WAN_EDU_KIT',
  'WAN_SS7',
  'WAN_BSCSTRM',
  'WAN_ADSL',
  'WAN_ETH',
  'WAN_SDLC',
  'WAN_ATM',
  'WAN_POS',
  'WAN_AFT',
  'WAN_AFT_TE1',
  'WAN_AFT_ANALOG',
  'WAN_AFT_ISDN_BRI',
  'WAN_AFT_SERIAL',
  'WAN_AFT_56K',
  'WAN_AFT_TE3',
  'WAN_XILINX',
  'WAN_MFR',
  'WAN_DEBUG',
  'WAN_ADCCP',
  'WAN_MLINK_PPP',
  'WAN_USB_ANALOG',
  'WAN_AFT_GSM',
] as const;

// wanconfig compares these with strcmp: exactly as written, case included (PPPoE, never PPPOE).
export const OPERATION_MODES = [
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
] as const;

export const LIP_PROTOCOLS = [
  'fr',
  'ppp',
  'chdlc',
  'lip_atm',
  'lip_katm',
  'lip_x25',
  'lip_lapb',
  'lip_xmtp2',
  'lip_lapd',
  'lip_hdlc',
  'lip_xdlc',
  'tty',
  'lapb',
  'x25',
  'dsp',
] as const;

const DEVICE_RE = /^wanpipe([1-9][0-9]?)$/;

export type MediaAddr =
  | { kind: 'none' }
  | { kind: 'auto' }
  | { kind: 'dlci'; dlci: number }
  | { kind: 'other'; text: string };

/** How a dead line shows itself to TEQL and to wanbond. */
export type FailureVisibility =
  | 'driver-downs' // the driver clears IFF_UP (DYN_INTR_CFG = YES on a driver that honours it)
  | 'carrier' // the driver drops carrier (AFT core, LIP)
  | 'none'; // the interface stays up and silently drops: TEQL keeps feeding it 1/N of the traffic

export interface Device {
  name: string;
  file: string;
  line: number;
  configId: string;
  description: string;
  cardType: string | undefined; // CARD_TYPE in [wanpipeN]: S51X, AFT ...
  card: 'S514' | 'AFT' | 'other';
}

export interface Interface {
  name: string;
  device: string;
  file: string;
  line: number;
  mediaAddr: MediaAddr;
  mode: string; // upper-cased operation mode
  lipProtocol: string | undefined;
  profile: string | undefined;
  parent: string | undefined; // the STACK hardware interface a LIP interface rides on
  comment: string;
  /** Line of the interface's own section, if it has one. */
  sectionLine: number | undefined;
  /**
   * DYN_INTR_CFG as the driver will take it: YES (it downs the interface on a dead line) or NO;
   * undefined when absent (the driver's default is NO). `dynIntrCfgRaw` is the value as written.
   */
  dynIntrCfg: 'YES' | 'NO' | undefined;
  dynIntrCfgRaw: string | undefined;
  dynIntrCfgLine: number | undefined;
  /** A section whose name differs only by spaces inside the brackets: wanconfig never applies it here. */
  misnamedSection: { name: string; line: number } | undefined;
  carriesIp: boolean;
  visibility: FailureVisibility;
  /** Whether setting DYN_INTR_CFG = YES is meaningful here, and if not, why. */
  dynIntrCfgApplies: boolean;
  why: string;
}

export interface FileModel {
  file: string;
  lexed: LexedFile;
  devices: Device[];
  interfaces: Interface[];
}

const S514_DOWNERS = new Set(['WAN_CHDLC', 'WAN_PPP', 'WAN_FR']);
const LIP_DOWNERS = new Set(['fr', 'ppp', 'chdlc']);
// DYN_INTR_CFG means dynamic IP negotiation on these (wanpipe_multppp.c, README.adsl), never interface down.
export const KEY_MEANS_DYNAMIC_IP: ReadonlySet<string> = new Set(['WAN_MULTPPP', 'WAN_ADSL']);

function cardOf(configId: string, cardType: string | undefined): Device['card'] {
  const ct = cardType?.toUpperCase();
  if (ct === 'AFT' || configId.startsWith('WAN_AFT') || configId === 'WAN_XILINX') return 'AFT';
  if (
    ct === 'S51X' ||
    ct === 'S50X' ||
    S514_DOWNERS.has(configId) ||
    configId === 'WAN_MULTPPP' ||
    configId === 'WAN_MFR'
  )
    return 'S514';
  return 'other';
}

function parseMediaAddr(file: string, line: number, ifname: string, text: string, device: Device): MediaAddr {
  if (text === '') return { kind: 'none' };
  if (text.toLowerCase() === 'auto') return { kind: 'auto' };
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    const isFr = device.configId === 'WAN_FR' || device.configId === 'WAN_MFR' || device.card === 'AFT';
    if (isFr && (n < 16 || n > 1007)) {
      throw new ConfigError(
        file,
        line,
        `${ifname}: DLCI ${n} out of range: expected 16 to 1007`,
        `use the DLCI your carrier assigned (16-1007) or 'auto' on a CPE`,
      );
    }
    return isFr ? { kind: 'dlci', dlci: n } : { kind: 'other', text };
  }
  if (device.configId === 'WAN_FR' || device.configId === 'WAN_MFR') {
    throw new ConfigError(
      file,
      line,
      `${ifname}: expected a DLCI number (16-1007) or 'auto', found '${text}'`,
      `write the DLCI number or 'auto' in the second field`,
    );
  }
  return { kind: 'other', text };
}

function classify(
  dev: Device,
  mode: string,
  lip: string | undefined,
  dyn: 'YES' | 'NO' | undefined,
): Pick<Interface, 'carriesIp' | 'visibility' | 'dynIntrCfgApplies' | 'why'> {
  const carriesIp = mode === 'WANPIPE';
  if (!carriesIp)
    return {
      carriesIp,
      visibility: 'none',
      dynIntrCfgApplies: false,
      why: `operation mode ${mode} carries no IP: not bondable`,
    };
  if (KEY_MEANS_DYNAMIC_IP.has(dev.configId)) {
    return {
      carriesIp,
      visibility: 'none',
      dynIntrCfgApplies: false,
      why: `on ${dev.configId} DYN_INTR_CFG means dynamic IP, not interface down: a dead line stays up`,
    };
  }
  if (lip !== undefined) {
    if (LIP_DOWNERS.has(lip)) {
      return dyn === 'YES'
        ? {
            carriesIp,
            visibility: 'driver-downs',
            dynIntrCfgApplies: true,
            why: `LIP ${lip} downs the interface (DYN_INTR_CFG = YES)`,
          }
        : {
            carriesIp,
            visibility: 'carrier',
            dynIntrCfgApplies: true,
            why: `LIP ${lip} drops carrier only; DYN_INTR_CFG = YES also downs the interface`,
          };
    }
    return { carriesIp, visibility: 'carrier', dynIntrCfgApplies: false, why: `LIP ${lip} signals carrier only` };
  }
  if (dev.card === 'S514' && S514_DOWNERS.has(dev.configId)) {
    return dyn === 'YES'
      ? {
          carriesIp,
          visibility: 'driver-downs',
          dynIntrCfgApplies: true,
          why: `S514 ${dev.configId} downs the interface (DYN_INTR_CFG = YES)`,
        }
      : {
          carriesIp,
          visibility: 'none',
          dynIntrCfgApplies: true,
          why: `S514 ${dev.configId} without DYN_INTR_CFG = YES stays up on a dead line and black-holes its share`,
        };
  }
  if (dev.configId === 'WAN_AFT' || dev.configId === 'WAN_XILINX') {
    // The A101/A102 driver (sdla_xilinx.c) honours DYN_OPT_ON like the S514 drivers.
    return dyn === 'YES'
      ? {
          carriesIp,
          visibility: 'driver-downs',
          dynIntrCfgApplies: true,
          why: `AFT A101/2 downs the interface (DYN_INTR_CFG = YES)`,
        }
      : {
          carriesIp,
          visibility: 'none',
          dynIntrCfgApplies: true,
          why: `AFT A101/2 without DYN_INTR_CFG = YES is not known to signal a dead line`,
        };
  }
  if (dev.card === 'AFT') {
    return {
      carriesIp,
      visibility: 'carrier',
      dynIntrCfgApplies: false,
      why: `AFT raw HDLC (${dev.configId}) signals carrier; DYN_INTR_CFG has no effect`,
    };
  }
  return {
    carriesIp,
    visibility: 'none',
    dynIntrCfgApplies: false,
    why: `${dev.configId} does not implement DYN_INTR_CFG: a dead line is not signalled`,
  };
}

export function buildFileModel(lexed: LexedFile): FileModel {
  const file = lexed.file;
  const devSec = findSection(lexed, 'devices');
  if (!devSec) {
    throw new ConfigError(
      file,
      1,
      'no [devices] section',
      "add '[devices]' with a line such as 'wanpipe1 = WAN_CHDLC, Comment'",
    );
  }
  const devices: Device[] = [];
  for (const e of devSec.entries) {
    const name = e.key;
    if (!DEVICE_RE.test(name)) {
      throw new ConfigError(
        file,
        e.line,
        `expected a device name wanpipe1..wanpipe16 in [devices], found '${name}'`,
        'name devices wanpipeN, matching their section [wanpipeN] and file wanpipeN.conf',
      );
    }
    const id = (e.values[0] ?? '').toUpperCase();
    if (!(CONFIG_IDS as readonly string[]).includes(id)) {
      throw new ConfigError(
        file,
        e.line,
        `${name}: unknown protocol '${e.values[0] ?? ''}': expected one of ` +
          `WAN_CHDLC, WAN_PPP, WAN_FR, WAN_MULTPPP, WAN_AFT, WAN_AFT_TE1, ...`,
        'use the config id wancfg writes for your card and protocol',
      );
    }
    const sec = findSection(lexed, name);
    if (!sec) {
      const near = lexed.sections.find((x) => x.name.trim() === name);
      throw new ConfigError(
        file,
        e.line,
        near
          ? `${name} has no [${name}] section: [${near.name}] at line ${near.line} has spaces inside the brackets, ` +
              `and wanconfig matches section names exactly`
          : `${name} has no [${name}] section`,
        near
          ? `write [${name}] on line ${near.line}`
          : `add a [${name}] section with the card's settings (CARD_TYPE, ...)`,
      );
    }
    const cardType = getEntry(sec, 'CARD_TYPE')?.value;
    devices.push({
      name,
      file,
      line: e.line,
      configId: id,
      description: e.values.slice(1).join(','),
      cardType,
      card: cardOf(id, cardType),
    });
  }
  if (devices.length === 0) {
    throw new ConfigError(
      file,
      devSec.line,
      '[devices] lists no device',
      "add a line such as 'wanpipe1 = WAN_CHDLC, Comment'",
    );
  }
  if (devices.length > 1) {
    // wanconfig prepends each device to its list and configures only the head: the last one listed.
    throw new ConfigError(
      file,
      devices[1]!.line,
      `[devices] lists ${devices.map((d) => d.name).join(' and ')}: wanconfig configures only the last one ` +
        `(${devices[devices.length - 1]!.name}) and gives it every interface`,
      'keep one device per file: wanpipe1 in wanpipe1.conf, wanpipe2 in wanpipe2.conf, each listed in WAN_DEVICES',
    );
  }
  // A file without [interfaces] is one wanconfig accepts: a device with no interface to bond.
  const ifSec = findSection(lexed, 'interfaces');
  const interfaces: Interface[] = [];
  for (const e of ifSec?.entries ?? []) interfaces.push(buildInterface(lexed, e.key, e.values, e.line, devices));
  for (const i of interfaces) {
    if (i.parent !== undefined) {
      const p = interfaces.find((x) => x.name === i.parent);
      if (p?.mode !== 'STACK') {
        throw new ConfigError(
          file,
          i.line,
          `${i.name}: profile ${i.profile} names hardware interface ${i.parent}, ` +
            `but [interfaces] has no '${i.parent} = ${i.device}, , STACK, ...'`,
          `add '${i.parent} = ${i.device}, , STACK, Comment' to [interfaces] and a [${i.parent}] section`,
        );
      }
    }
  }
  return { file, lexed, devices, interfaces };
}

/**
 * DYN_INTR_CFG as wanconfig's set_conf_param reads it into an unsigned char: a value starting with a
 * digit (or '-' and a digit) through strtoul(v, NULL, 0), so 0x1, 010 and 1abc are numbers; else a
 * symbol, upper-cased: YES and ON are 1, NO and OFF 0. Anything else wanconfig rejects (TRUE, "").
 */
export function dynIntrCfgValue(text: string): number | undefined {
  const v = text.replace(/^[ \t]+|[ \t]+$/g, '');
  if (/^-?[0-9]/.test(v)) {
    const neg = v.startsWith('-');
    const body = neg ? v.slice(1) : v;
    const m = /^0[xX]([0-9a-fA-F]+)/.exec(body) ?? /^(0[0-7]*)/.exec(body) ?? /^([1-9][0-9]*)/.exec(body);
    const digits = m?.[1] ?? '0';
    const n =
      /^0[xX]/.test(body) && m
        ? parseInt(digits, 16)
        : digits.startsWith('0')
          ? parseInt(digits, 8)
          : parseInt(digits, 10);
    return (((neg ? -n : n) % 256) + 256) % 256;
  }
  const sym = v.toUpperCase();
  if (sym === 'YES' || sym === 'ON') return 1;
  if (sym === 'NO' || sym === 'OFF') return 0;
  return undefined;
}

function buildInterface(lexed: LexedFile, name: string, values: string[], line: number, devices: Device[]): Interface {
  const file = lexed.file;
  if (!IFNAME_RE.test(name)) {
    throw new ConfigError(
      file,
      line,
      `invalid interface name '${name}': expected 1-15 letters, digits, '_', '.', '-'`,
      'rename the interface (wanconfig and the kernel accept at most 15 characters)',
    );
  }
  if (values.length < 3) {
    throw new ConfigError(
      file,
      line,
      `${name}: too few fields: expected '<device>, <media address>, <operation mode>[, <comment>]', ` +
        `found ${values.length} ` +
        `(wanconfig skips such a line, so ${name} would not exist)`,
      `write e.g. '${name} = wanpipe1, , WANPIPE, Comment' (an empty media address is allowed)`,
    );
  }
  const [devName = '', media = '', modeRaw = '', fourth = ''] = values;
  const dev = devices.find((d) => d.name === devName);
  if (!dev) {
    throw new ConfigError(
      file,
      line,
      `${name}: unknown device '${devName}': [devices] defines ${devices.map((d) => d.name).join(', ')}`,
      `use one of ${devices.map((d) => d.name).join(', ')} or add '${devName}' to [devices]`,
    );
  }
  const mode = modeRaw;
  if (!(OPERATION_MODES as readonly string[]).includes(mode)) {
    const near = OPERATION_MODES.find((m) => m.toUpperCase() === modeRaw.toUpperCase());
    throw new ConfigError(
      file,
      line,
      near
        ? `${name}: operation mode '${modeRaw}' is not one wanconfig takes: ` +
            `it matches modes exactly, case included ('${near}')`
        : `${name}: unknown operation mode '${modeRaw}': expected WANPIPE (IP), API, STACK, ...`,
      near ? `write '${near}'` : 'use WANPIPE for an interface that carries IP',
    );
  }
  let lipProtocol: string | undefined;
  let profile: string | undefined;
  let parent: string | undefined;
  // With five fields or more wanconfig reads the fourth as a LIP protocol (exactly, lower case) and the
  // fifth as its profile section; with four the fourth is a comment.
  const isLip = values.length >= 5;
  if (isLip && !(LIP_PROTOCOLS as readonly string[]).includes(fourth)) {
    throw new ConfigError(
      file,
      line,
      `${name}: '${fourth}' is not a protocol wanconfig knows: with five fields ` +
        `the fourth names the LIP protocol (${LIP_PROTOCOLS.join(', ')})`,
      `write the protocol in lower case (e.g. ppp), or drop the fifth field if '${fourth}' is a comment`,
    );
  }
  if (isLip) {
    lipProtocol = fourth;
    profile = values[4] ?? '';
    if (profile === '' || !findSection(lexed, profile)) {
      throw new ConfigError(
        file,
        line,
        `${name}: protocol profile section [${profile}] is missing`,
        `add a [${profile || `${name}.${lipProtocol}`}] section with the ${lipProtocol} settings`,
      );
    }
    parent = profile.includes('.') ? profile.slice(0, profile.indexOf('.')) : undefined;
  }
  const mediaAddr = parseMediaAddr(file, line, name, media, dev);
  const sec: Section | undefined = findSection(lexed, name);
  const misnamed = sec ? undefined : lexed.sections.find((x) => x.name.trim() === name);
  const dynEntry = getEntry(sec, 'DYN_INTR_CFG');
  let dyn: Interface['dynIntrCfg'];
  if (dynEntry) {
    const value = dynIntrCfgValue(dynEntry.value.split(',')[0] ?? '');
    if (value === undefined) {
      throw new ConfigError(
        file,
        dynEntry.line,
        `${name}: DYN_INTR_CFG = '${dynEntry.value}' is not a value wanconfig takes: expected YES, NO or a number`,
        `write 'DYN_INTR_CFG = YES' in [${name}]`,
      );
    }
    // S514 frame relay tests if_down == WANOPT_YES (1); the other drivers test non-zero (wanconfig-parsing notes, Q6).
    const on = dev.configId === 'WAN_FR' ? value === 1 : value !== 0;
    dyn = on ? 'YES' : 'NO';
  }
  return {
    name,
    device: dev.name,
    file,
    line,
    mediaAddr,
    mode,
    lipProtocol,
    profile,
    parent,
    comment: isLip ? '' : values.slice(3).join(','),
    sectionLine: sec?.line,
    dynIntrCfg: dyn,
    dynIntrCfgRaw: dynEntry?.value,
    dynIntrCfgLine: dynEntry?.line,
    misnamedSection: misnamed ? { name: misnamed.name, line: misnamed.line } : undefined,
    ...classify(dev, mode, lipProtocol, dyn),
  };
}
