// The fake kernel, plus what doctor reads beyond the engine: link kinds, counters that move while
// doctor waits, the kernel's version files, the cards' per-device proc files, and the dumps that go
// into a bundle.
import type { Command } from '../../../src/exec/runner.js';
import { FakeKernel, type FakeKernelInit } from '../../helpers/fake-kernel.js';

type Counters = { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number; txDropped: number };

export const DEBIAN_FIXED =
  'Linux version 6.1.0-fake-amd64 (debian-kernel@lists.debian.org) ' +
  '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-1 (2026-10-02)\n';

export class DoctorKernel extends FakeKernel {
  kinds: Record<string, string> = {};
  counters: Record<string, Counters> = {};
  files: Record<string, string> = { '/proc/version': DEBIAN_FIXED, '/etc/os-release': 'ID=debian\n' };
  reads: string[] = [];

  constructor(init: FakeKernelInit = {}) {
    super(init);
  }

  /** Traffic while doctor waits between its two readings. */
  flow(per: Record<string, Partial<Counters>>): void {
    for (const [dev, d] of Object.entries(per)) {
      const c = (this.counters[dev] ??= { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0, txDropped: 0 });
      for (const [k, v] of Object.entries(d)) c[k as keyof Counters] += v as number;
    }
  }

  override async readFile(p: string): Promise<string | undefined> {
    return this.files[p] ?? super.readFile(p);
  }

  override async read(cmd: Command): Promise<string> {
    const a = cmd.args.join(' ');
    this.reads.push(`${cmd.file} ${a}`);
    // The engine's reading (through the fake kernel's batch, which reads each command through here)
    // and doctor's second one, with -d.
    if (cmd.file === 'ip' && (a === '-j -s link show' || a === '-j -s -d link show')) {
      const links = JSON.parse(await super.read({ file: 'ip', args: ['-j', '-s', 'link', 'show'] })) as Record<
        string,
        unknown
      >[];
      for (const l of links) {
        const name = l['ifname'] as string;
        const c = this.counters[name];
        if (c)
          l['stats64'] = {
            rx: { bytes: c.rxBytes, packets: c.rxPackets, errors: 0, dropped: 0 },
            tx: { bytes: c.txBytes, packets: c.txPackets, errors: 0, dropped: c.txDropped },
          };
        if (a.includes('-d') && this.kinds[name]) l['linkinfo'] = { info_kind: this.kinds[name] };
      }
      return JSON.stringify(links);
    }
    if (cmd.file === 'ip' && a === '-V') return 'ip utility, iproute2-6.1.0, libbpf 1.1.2\n';
    if (cmd.file === 'ip' && ['-d addr show', '-d -s link show', 'route show table all', 'rule show'].includes(a))
      return `(${cmd.file} ${a} output)\n`;
    if (cmd.file === 'tc' && a === '-s qdisc show') return '(tc -s qdisc show output)\n';
    if (cmd.file === 'journalctl') return '2026-11-26T10:00:00+0000 router wanbond-watch[42]: {"event":"started"}\n';
    return super.read(cmd);
  }
}

/** The T1 block of /proc/net/wanrouter/<device> as wanproc.c prints it. */
export function deviceProc(alarms: string[] = [], crc = 0): string {
  const on = (a: string) => (alarms.includes(a) ? 'ON' : 'OFF');
  const pair = (k1: string, v1: string | number, k2: string, v2: string | number) =>
    `${k1.padStart(25)}: ${String(v1).padStart(10)} ${k2.padStart(25)}: ${String(v2).padStart(10)}`;
  return [
    pair('total rx packets', 100, 'total tx packets', 100),
    pair('CRC errors', crc, 'abort frames', 0),
    '=============================== T1 Alarms ===============================',
    pair('ALOS', on('ALOS'), 'LOS', on('LOS')),
    pair('RED', on('RED'), 'AIS', on('AIS')),
    pair('RAI', on('RAI'), 'LOF', on('LOF')),
    '',
  ].join('\n');
}
