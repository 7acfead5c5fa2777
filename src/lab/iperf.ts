// iperf3 in the lab: a one-shot server in host H (behind router B), the client in router A, so the
// traffic crosses the bundle from A to B exactly as the lab's own TCP tool does. Goodput is what
// the receiver counted (iperf3's sum_received), retransmissions what the sender's kernel counted.
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import { H_ADDR, NS_H } from './topology.js';

export interface IperfOptions {
  flows: number;
  seconds: number;
  /** Seconds left out at the start (slow start), on top of `seconds`. */
  omit?: number;
  /** TCP congestion control of the sender (router A): cubic, bbr... */
  cc?: string;
  dst?: string;
  port?: number;
  /** Host H sends and router A receives (a download over the bundle), as iperf3 -R. */
  reverse?: boolean;
}

export interface IperfResult {
  flows: number;
  seconds: number;
  cc: string;
  /** Bits per second the receiver counted, over the measured part. */
  bps: number;
  /** Retransmissions by the sender (host H's, reported back, with `reverse`). */
  retransmits: number;
  /** Share of the VM's CPU time that was busy while it ran (1 = the lab itself was the bottleneck). */
  cpuBusy: number;
}

interface IperfJson {
  end?: {
    sum_received?: { bits_per_second?: number; seconds?: number };
    sum_sent?: { retransmits?: number };
    sender_tcp_congestion?: string;
  };
  error?: string;
}

async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const first = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const v = first.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** One iperf3 run from router A to host H; throws with iperf3's own words if it fails. */
export async function iperf(o: IperfOptions): Promise<IperfResult> {
  const port = o.port ?? 5201;
  const server = execa('ip', ['netns', 'exec', NS_H, 'iperf3', '-s', '-1', '--forceflush', '-p', String(port)], {
    reject: false,
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('lab: iperf3 server did not start within 30 s')), 30_000);
    server.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(t);
        resolve();
      }
    });
    void server.then((r) => {
      clearTimeout(t);
      reject(new Error(`lab: iperf3 server exited: ${String(r.stderr || r.stdout)}`));
    });
  });
  const c0 = await cpuTimes();
  const args = [
    '-c',
    o.dst ?? H_ADDR,
    '-p',
    String(port),
    '-P',
    String(o.flows),
    '-t',
    String(o.seconds),
    '-O',
    String(o.omit ?? 2),
    '-J',
    ...(o.cc ? ['-C', o.cc] : []),
    ...(o.reverse ? ['-R'] : []),
  ];
  const client = await execa('iperf3', args, { reject: false, timeout: (o.seconds + (o.omit ?? 2) + 60) * 1000 });
  const c1 = await cpuTimes();
  server.kill('SIGTERM');
  await server;
  let j: IperfJson;
  try {
    j = JSON.parse(String(client.stdout)) as IperfJson;
  } catch {
    throw new Error(`lab: iperf3 ${args.join(' ')}: ${String(client.stderr || client.stdout).slice(0, 500)}`);
  }
  if (j.error || !j.end?.sum_received) throw new Error(`lab: iperf3 ${args.join(' ')}: ${j.error ?? 'no result'}`);
  return {
    flows: o.flows,
    seconds: o.seconds,
    cc: j.end.sender_tcp_congestion ?? o.cc ?? '?',
    bps: j.end.sum_received.bits_per_second ?? 0,
    retransmits: j.end.sum_sent?.retransmits ?? 0,
    cpuBusy: c1.total > c0.total ? (c1.busy - c0.busy) / (c1.total - c0.total) : 0,
  };
}

/**
 * The most TCP goodput a line shaped to `rateKbit` can carry in the lab: its shaper counts whole
 * Ethernet frames (1514 bytes for 1448 of TCP payload with timestamps, MTU 1500).
 */
export function labGoodputLimitBps(rateKbit: number, mtu = 1500): number {
  return (rateKbit * 1000 * (mtu - 52)) / (mtu + 14);
}
