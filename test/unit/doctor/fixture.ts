// A healthy router, as DoctorInput: the aft-a104-4xt1-ppp sample (four T1 PPP lines in teql0),
// everything up, traffic spread both ways, a watch daemon that answers, a kernel with both TEQL
// fixes. Each rule's case breaks one thing in a copy of it, then applies the fix to the copy.
import path from 'node:path';
import { loadSite } from '../../../src/config/load.js';
import { defaultSettings } from '../../../src/config/settings.js';
import type { DoctorInput } from '../../../src/doctor/input.js';
import { parseRoutes } from '../../../src/observe/parse.js';
import { desiredState } from '../../../src/state/desired.js';
import type { LinkState } from '../../../src/state/types.js';
import type { HealthFile } from '../../../src/watch/health-file.js';
import { samplesDir } from '../../helpers/fs.js';

export const LINES = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp', 'w4g1ppp'];
export const DEVICES = ['wanpipe1', 'wanpipe2', 'wanpipe3', 'wanpipe4'];
export const WINDOW_MS = 2000;

type Stats = NonNullable<LinkState['stats']>;
const zero: Stats = {
  rxBytes: 0,
  rxPackets: 0,
  rxErrors: 0,
  rxDropped: 0,
  txBytes: 0,
  txPackets: 0,
  txErrors: 0,
  txDropped: 0,
};

export function link(
  name: string,
  ifindex: number,
  stats: Partial<Stats> = {},
  flags = ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'],
): LinkState {
  return { name, ifindex, flags, mtu: 1500, operstate: 'UP', stats: { ...zero, ...stats } };
}

/** Counters of the second reading: each line sent and received ~300 kB more, in even shares. */
export function traffic(x: DoctorInput, per: Record<string, Partial<Stats>>): void {
  x.after.links = x.before.links.map((l) => {
    const d = per[l.name];
    if (!d || !l.stats) return structuredClone(l);
    const s = { ...l.stats };
    for (const [k, v] of Object.entries(d)) s[k as keyof Stats] += v as number;
    return { ...structuredClone(l), stats: s };
  });
}

export const even = (rx = 300_000, tx = 300_000): Record<string, Partial<Stats>> =>
  Object.fromEntries(
    LINES.map((l) => [
      l,
      { rxBytes: rx, rxPackets: Math.round(rx / 1000), txBytes: tx, txPackets: Math.round(tx / 1000) },
    ]),
  );

export function daemonFile(now = Date.now()): HealthFile {
  return {
    version: 1,
    pid: process.pid,
    startedAt: new Date(now - 3600_000).toISOString(),
    updatedAt: new Date(now - 1000).toISOString(),
    memory: { rssKb: 1, heapUsedKb: 1 },
    actions: 0,
    bonds: [
      {
        teql: 'teql0',
        allDown: false,
        lines: LINES.map((line, i) => ({
          line,
          state: 'up' as const,
          since: new Date(now - 3600_000).toISOString(),
          reason: 'answers',
          inRing: true,
          penalty: 0,
          suppressed: false,
          flaps: 0,
          probe: `198.51.100.${4 * i + 2}`,
          rttMs: 9,
          loss: 0,
          alarms: [],
        })),
      },
    ],
  };
}

export async function healthy(): Promise<DoctorInput> {
  const site = await loadSite(path.join(samplesDir, 'aft-a104-4xt1-ppp'));
  const settings = defaultSettings();
  const desired = desiredState(settings, site, '/etc/wanbond/wanbond.conf');
  const stats = { rxBytes: 5_000_000, rxPackets: 5000, txBytes: 5_000_000, txPackets: 5000 };
  const links = [
    link('teql0', 5, stats, ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP']),
    link('eth0', 2, stats, ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']),
    ...LINES.map((l, i) => link(l, 20 + i, stats)),
  ];
  const routes = parseRoutes(
    JSON.stringify([
      { dst: 'default', dev: 'teql0', scope: 'link', flags: [] },
      { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.1.1', flags: [] },
      ...LINES.map((l, i) => ({
        dst: `198.51.100.${4 * i + 2}`,
        dev: l,
        protocol: 'kernel',
        scope: 'link',
        prefsrc: `198.51.100.${4 * i + 1}`,
        flags: [],
      })),
    ]),
  );
  const counters = {
    'CRC errors': 3,
    'abort frames': 0,
    'Line Code Violation': 0,
    'Bit Errors': 1,
    'Out of Frame Errors': 0,
  };
  const alarms = Object.fromEntries(DEVICES.map((d) => [d, { active: [], counters: { ...counters } }]));
  const x: DoctorInput = {
    settings,
    site,
    desired,
    observed: {
      links,
      addrs: [
        { dev: 'teql0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true },
        { dev: 'eth0', local: '192.168.1.1', prefixlen: 24, noprefixroute: false },
        ...LINES.map((l, i) => ({
          dev: l,
          local: `198.51.100.${4 * i + 1}`,
          prefixlen: 32,
          noprefixroute: false,
          peer: `198.51.100.${4 * i + 2}`,
        })),
      ],
      routes,
      qdiscs: [
        { dev: 'teql0', kind: 'pfifo_fast', handle: '0:', root: true },
        { dev: 'eth0', kind: 'fq_codel', handle: '0:', root: true },
        ...LINES.map((l) => ({ dev: l, kind: 'teql0', handle: '8001:', root: true })),
      ],
      sysctls: {
        'net.ipv4.ip_forward': '1',
        'net.ipv4.conf.all.rp_filter': '0',
        'net.ipv4.conf.default.rp_filter': '1',
        ...Object.fromEntries(LINES.map((l) => [`net.ipv4.conf.${l}.rp_filter`, '0'])),
      },
      teql: { loaded: true, builtin: false },
      plug: true,
      wanrouterDevices: DEVICES.map((name) => ({ name, status: 'Connected' })),
      staleDrivers: [],
    },
    before: { atMs: 1_000_000, links, alarms },
    after: { atMs: 1_000_000 + WINDOW_MS, links, alarms: structuredClone(alarms) },
    linkKinds: Object.fromEntries(['teql0', 'eth0', ...LINES].map((l) => [l, ''])),
    kernel: {
      release: '6.1.0-28-amd64',
      procVersion:
        'Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) ' +
        '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-1 (2026-10-02)\n',
      signature: undefined,
      osRelease: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
      teqlModule: true,
    },
    daemon: { running: true, stale: false, file: daemonFile() },
    wanrouterProc: '/proc/net/wanrouter',
  };
  traffic(x, even());
  return x;
}

/** The lexed entry `key` of section `section` in the file that defines `device`, to edit a site in place. */
export function siteEntry(x: DoctorInput, device: string, section: string, key: string) {
  const f = x.site?.files.find((v) => v.devices.some((d) => d.name === device));
  const e = f?.lexed.sections.find((s) => s.name === section)?.entries.find((v) => v.keyUpper === key);
  if (!e) throw new Error(`no ${key} in [${section}] of ${device}'s file`);
  return e;
}

export const iface = (x: DoctorInput, name: string) => {
  const i = x.site?.interfaces.find((v) => v.name === name);
  if (!i) throw new Error(`no interface ${name}`);
  return i;
};
