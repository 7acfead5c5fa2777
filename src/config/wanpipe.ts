// The wanpipe model's words: devices, interfaces, and how a line failure will be seen on each IP interface.
// wanconfig/model.ts builds it from a file as wanconfig reads it; visibility.ts judges the failure. Pure.
import type { WanpipeText } from './wanconfig/read.js';

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
  /** The number the driver gets (an unsigned char), and the section it comes from: a LIP profile wins. */
  dynIntrCfgNumber: number | undefined;
  dynIntrCfgSection: string | undefined;
  /** A section whose name differs only by spaces inside the brackets: wanconfig never applies it here. */
  misnamedSection: { name: string; line: number } | undefined;
  carriesIp: boolean;
  visibility: FailureVisibility;
  /** Whether setting DYN_INTR_CFG = YES is meaningful here, and if not, why. */
  dynIntrCfgApplies: boolean;
  why: string;
}

/** Something wanconfig accepts that may not be what the writer meant: a warning with the value that wins. */
export interface FileNote {
  line: number;
  what: string;
  hint: string;
}

export interface FileModel {
  file: string;
  lexed: WanpipeText;
  notes: FileNote[];
  devices: Device[];
  interfaces: Interface[];
}
