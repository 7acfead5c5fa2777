// wanrouter.rc and /etc/wanpipe/interfaces/<if> are shell fragments of KEY=value lines. Pure.
import { ConfigError } from '../errors.js';
import { splitLines } from './lex.js';

export interface ShellVar {
  value: string;
  line: number;
}

/** Reads simple assignments (KEY=value, KEY="a b", KEY='x'); other shell lines are not ours to judge. */
export function parseShellVars(text: string): Map<string, ShellVar> {
  const vars = new Map<string, ShellVar>();
  for (const l of splitLines(text)) {
    const m = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l.text);
    if (!m) continue;
    const key = m[1] as string;
    const raw = (m[2] as string).trim();
    let value: string;
    if (raw.startsWith('"') || raw.startsWith("'")) {
      const q = raw[0] as string;
      const end = raw.indexOf(q, 1);
      value = end < 0 ? raw.slice(1) : raw.slice(1, end);
    } else {
      const hash = raw.indexOf('#'); // only '#' starts a shell comment
      value = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    }
    vars.set(key, { value, line: l.no });
  }
  return vars;
}

export interface WanrouterRc {
  file: string;
  devices: { name: string; line: number }[] | undefined; // undefined: WAN_DEVICES not set
}

export function parseWanrouterRc(file: string, text: string): WanrouterRc {
  const v = parseShellVars(text).get('WAN_DEVICES');
  if (!v) return { file, devices: undefined };
  const devices = v.value
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((name) => {
      if (!/^wanpipe[1-9][0-9]?$/.test(name)) {
        throw new ConfigError(
          file,
          v.line,
          `WAN_DEVICES: expected device names wanpipe1..wanpipe16, found '${name}'`,
          'list devices separated by spaces, e.g. WAN_DEVICES="wanpipe1 wanpipe2"',
        );
      }
      return { name, line: v.line };
    });
  return { file, devices };
}

export interface IpFile {
  onboot: boolean;
  ipaddr: string | undefined;
  netmask: string | undefined;
  pointopoint: string | undefined;
  gateway: string | undefined;
}

export function parseIpFile(text: string): IpFile {
  const v = parseShellVars(text);
  const get = (k: string) => {
    const x = v.get(k)?.value;
    return x === undefined || x === '' ? undefined : x;
  };
  return {
    onboot: (get('ONBOOT') ?? 'yes').toLowerCase() === 'yes',
    ipaddr: get('IPADDR'),
    netmask: get('NETMASK'),
    pointopoint: get('POINTOPOINT'),
    gateway: get('GATEWAY'),
  };
}
