// One lab run: a copy of a wanpipe configuration, the topology, the card simulator on wanbond's
// command line, and helpers to run wanbond, dump the kernel, send traffic and inject faults.
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSite } from '../config/load.js';
import { run } from '../cli/main.js';
import { makeLoggerTo } from '../log.js';
import { ipInterfaces } from '../config/site.js';
import { sh } from './sh.js';
import {
  attachRouterB,
  createTopology,
  defaultLabDir,
  destroyTopology,
  detachRouterB,
  H_ADDR,
  NS_H,
  T1_KBIT,
  type LabState,
} from './topology.js';
import { alignBuckets, type SendReport, type SinkReport } from './traffic.js';
import { HEALTH_FILE, type HealthFile } from '../watch/health-file.js';
import type { Runner } from '../exec/runner.js';
import { lineRate } from '../config/line-rate.js';

export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const distLab = fileURLToPath(new URL('.', import.meta.url));

const GLOBAL_SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv4/conf/all/rp_filter', 'net/ipv4/conf/default/rp_filter'];

export interface LabOptions {
  /** A folder of wanpipe-conf/, or an absolute path. */
  sample: string;
  lines?: number;
  rateKbit?: number | number[];
  /** wanbond.conf text; by default one bond and max_equalizers = 2 so router B has a teql too. */
  settings?: string;
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

export interface TrafficResult {
  /** Bytes per bucket over the sender's whole run, zeros included; rateBps is over the steady part of it. */
  bytes: number;
  rateBps: number;
  buckets: number[];
  bucketMs: number;
  sender: SendReport;
  /** When bucket 0 began (wall clock, the VM's one clock). */
  fromAt: number;
  /** Bytes each line delivered from A to B, counted at the line's shaper (what the telco carried). */
  lineBytes: Record<string, number>;
}

export class Lab {
  private constructor(
    readonly state: LabState,
    readonly dir: string,
    readonly ifaces: string[],
    private readonly sysctls: Map<string, string>,
  ) {}

  static async create(o: LabOptions): Promise<Lab> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-lab-'));
    const confDir = path.join(dir, 'wanpipe');
    await fs.cp(path.isAbsolute(o.sample) ? o.sample : path.join(projectRoot, 'wanpipe-conf', o.sample), confDir, {
      recursive: true,
    });
    await fs.writeFile(path.join(dir, 'wanbond.conf'), o.settings ?? '[global]\nmax_equalizers = 2\n');
    const site = await loadSite(confDir);
    const all = ipInterfaces(site).map((i) => i.name);
    const ifaces = all.slice(0, o.lines ?? all.length);
    // Put back at the end what a test (or an operator typing a dry-run by hand) changed globally.
    const sysctls = new Map<string, string>();
    for (const k of GLOBAL_SYSCTLS) sysctls.set(k, (await fs.readFile(`/proc/sys/${k}`, 'utf8')).trim());
    // Router A starts strict, as RHEL and many routers ship (the bare VM kernel defaults to 0), so the
    // traffic tests fail unless wanbond really turns rp_filter off where TEQL needs it.
    for (const k of ['net/ipv4/conf/all/rp_filter', 'net/ipv4/conf/default/rp_filter'])
      await fs.writeFile(`/proc/sys/${k}`, '1');
    const p2p = Object.fromEntries(
      ifaces.flatMap((n) => {
        const f = site.ipFiles.get(n);
        return f?.ipaddr && f.pointopoint ? [[n, { local: f.ipaddr, peer: f.pointopoint }]] : [];
      }),
    );
    // Each line shaped to what its configuration says it carries: a full T1 at its line rate, a
    // fractional T1 at its timeslots' rate.
    const rateKbit =
      o.rateKbit ??
      ifaces.map((n) => {
        const r = lineRate(site, n);
        return 'bps' in r && r.bps !== 1_536_000 ? r.bps / 1000 : T1_KBIT;
      });
    const state = await createTopology({ confDir, ifaces, p2p, rateKbit });
    await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
    const sim = path.join(dir, 'bin', 'wanrouter');
    await fs.writeFile(
      sim,
      `#!/bin/sh\nexec '${process.execPath}' '${path.join(distLab, 'wanrouter-sim.js')}' "$@"\n`,
      { mode: 0o755 },
    );
    return new Lab(state, dir, ifaces, sysctls);
  }

  get confDir(): string {
    return this.state.confDir;
  }
  /** The card simulator, as wanbond's --wanrouter. */
  get wanrouterPath(): string {
    return path.join(this.dir, 'bin', 'wanrouter');
  }
  get settingsFile(): string {
    return path.join(this.dir, 'wanbond.conf');
  }
  get procDir(): string {
    return path.join(defaultLabDir(), 'proc');
  }

  /** wanbond's own command line, as an operator types it, pointed at the lab's files. */
  wanbondArgs(...args: string[]): string[] {
    return [
      '--conf-dir',
      this.confDir,
      '--settings',
      this.settingsFile,
      '--state-dir',
      path.join(this.dir, 'run'),
      '--wanrouter-proc',
      this.procDir,
      '--wanrouter',
      path.join(this.dir, 'bin', 'wanrouter'),
      ...args,
    ];
  }

  /**
   * wanbond's command line, run in this process (node's start and module load cost seconds under TCG,
   * and this is called often); with `env`, or `process: true`, as its own process, which is what tests
   * of signals, exit statuses and concurrency need.
   */
  async wanbond(
    args: string[],
    env: Record<string, string> = {},
    o: { process?: boolean; runner?: Runner } = {},
  ): Promise<Run> {
    if (Object.keys(env).length > 0 || o.process) {
      const r = await this.startWanbond(args, env);
      return { code: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr) };
    }
    let out = '',
      err = '';
    const argv = [...args.slice(0, 1), ...this.wanbondArgs(...args.slice(1))];
    const code = await run(
      argv,
      {
        out: (x) => {
          out += x;
        },
        err: (x) => {
          err += x;
        },
      },
      {
        log: makeLoggerTo(args[0] ?? 'wanbond', (l) => {
          err += l;
        }),
        ...(o.runner ? { runner: o.runner } : {}),
      },
    );
    return { code, out, err };
  }

  /** wanbond as a running process, for tests that signal it or run two at once. */
  startWanbond(args: string[], env: Record<string, string> = {}) {
    return execa(
      process.execPath,
      [path.join(projectRoot, 'bin', 'wanbond'), ...args.slice(0, 1), ...this.wanbondArgs(...args.slice(1))],
      // A test that signals wanbond waits for its rollback: never a SIGKILL behind its back.
      {
        reject: false,
        stripFinalNewline: false,
        forceKillAfterDelay: false,
        env: { WANBOND_LOG_LEVEL: 'warn', ...env },
      },
    );
  }

  /** A link's own counters in router A (`ip -s`): what TEQL handed it, and what it dropped. */
  async linkStats(name: string): Promise<{ txPackets: number; txDropped: number; up: boolean }> {
    const [l] = JSON.parse(await sh('ip', ['-j', '-s', 'link', 'show', 'dev', name])) as {
      flags: string[];
      stats64: { tx: { packets: number; dropped: number } };
    }[];
    return {
      txPackets: l?.stats64.tx.packets ?? 0,
      txDropped: l?.stats64.tx.dropped ?? 0,
      up: l?.flags.includes('UP') === true,
    };
  }

  async sim(...args: string[]): Promise<string> {
    return sh(path.join(this.dir, 'bin', 'wanrouter'), args);
  }

  async attachRouterB(teql: string, addrs: string[]): Promise<void> {
    await attachRouterB(this.state, teql, addrs);
  }
  async detachRouterB(): Promise<void> {
    await detachRouterB(this.state);
  }

  /**
   * Bytes each line has carried from A towards B, by A's interface name, counted at the line's
   * tbf. A's own veth counters are not used: under load veth switches receive paths and its
   * tx counters then miss or double-count packets.
   */
  async lineBytes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const l of this.state.lines) {
      const q = JSON.parse(await sh('tc', ['-n', l.netns, '-s', '-j', 'qdisc', 'show', 'dev', 'lb'])) as {
        kind: string;
        bytes?: number;
      }[];
      out[l.iface] = q.find((x) => x.kind === 'tbf')?.bytes ?? 0;
    }
    return out;
  }

  /** The lines enslaved to `teql` in router A, sorted. */
  async enslaved(teql = 'teql0'): Promise<string[]> {
    const q = JSON.parse(await sh('tc', ['-j', 'qdisc', 'show'])) as { dev: string; kind: string; root?: boolean }[];
    return q
      .filter((x) => x.kind === teql && x.root)
      .map((x) => x.dev)
      .sort();
  }

  /** What the watch daemon last wrote for `wanbond status` (its state dir is the lab's). */
  async readHealth(): Promise<HealthFile> {
    return JSON.parse(await fs.readFile(path.join(this.dir, 'run', HEALTH_FILE), 'utf8')) as HealthFile;
  }

  /**
   * Every line of the lab up in the watch daemon's eyes and in teql0's ring, within `ms`; else an error
   * saying how things stand.
   */
  async settled(ms = 40_000): Promise<void> {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      const h = await this.readHealth().catch(() => undefined);
      const e = await this.enslaved();
      last = `${JSON.stringify(h?.bonds[0]?.lines.map((l) => [l.line, l.state, l.reason]))} enslaved ${e.join(',')}`;
      if (h?.bonds[0]?.lines.every((l) => l.state === 'up') && e.length === this.ifaces.length) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`lab: the bond did not settle within ${ms} ms: ${last}`);
  }

  /** Packets each line's far side threw away (the netem that faults turn into loss), by A's interface name. */
  async lineDrops(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const l of this.state.lines) {
      const q = JSON.parse(await sh('tc', ['-n', l.netns, '-s', '-j', 'qdisc', 'show', 'dev', 'lb'])) as {
        kind: string;
        drops?: number;
      }[];
      out[l.iface] = q.reduce((a, x) => a + (x.drops ?? 0), 0);
    }
    return out;
  }

  /** TCP from router A to host H for `seconds`; `during` runs meanwhile (faults). */
  traffic(
    seconds: number,
    during?: () => Promise<void>,
    dst = H_ADDR,
    port = 5001,
    o: { stopWhenDone?: boolean } = {},
  ): Promise<TrafficResult> {
    return tcpRun({
      sinkNs: NS_H,
      dst,
      port,
      seconds,
      ...(during ? { during } : {}),
      ...o,
      lineBytes: () => this.lineBytes(),
    });
  }

  /** Leaves the kernel as the lab found it, whatever state a failed test left. */
  async destroy(): Promise<void> {
    await detachRouterB(this.state).catch(() => undefined);
    await this.wanbond(['down']).catch(() => undefined);
    await this.sim('stop').catch(() => undefined);
    await destroyTopology().catch(() => undefined);
    await sh('modprobe', ['-r', 'sch_teql'], { allowFail: true });
    for (const [k, v] of this.sysctls) await fs.writeFile(`/proc/sys/${k}`, v).catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** What `down` must restore: router A's links, addresses, routes, qdiscs, sysctls and modules. */
export async function kernelDump(): Promise<Record<string, unknown>> {
  const j = async (file: string, args: string[]) =>
    JSON.parse((await sh(file, args)) || '[]') as Record<string, unknown>[];
  const links = await j('ip', ['-j', 'link', 'show']);
  const names = links.map((l) => String(l['ifname']));
  const sysctl = async (k: string) => (await fs.readFile(`/proc/sys/${k}`, 'utf8').catch(() => '?')).trim();
  const sysctls: Record<string, string> = {};
  for (const k of [
    'net/ipv4/ip_forward',
    'net/ipv4/conf/all/rp_filter',
    'net/ipv4/conf/default/rp_filter',
    ...names.map((n) => `net/ipv4/conf/${n}/rp_filter`),
  ])
    sysctls[k] = await sysctl(k);
  const modules = (await fs.readFile('/proc/modules', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((m) => m === 'sch_teql');
  return {
    links: links.map((l) => ({
      name: l['ifname'],
      flags: [...(l['flags'] as string[])].sort(),
      mtu: l['mtu'],
      qdisc: l['qdisc'],
    })),
    addrs: (await j('ip', ['-j', '-4', 'addr', 'show'])).map((l) => ({
      dev: l['ifname'],
      addr: (l['addr_info'] as Record<string, unknown>[]).map((a) => `${a['local']}/${a['prefixlen']}`),
    })),
    routes: (await j('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])).map((r) => JSON.stringify(r)).sort(),
    // The kernel numbers a teql slave's qdisc anew each time (8001:, 8002:, ...): compare kind and place only.
    qdiscs: (await j('tc', ['-j', 'qdisc', 'show']))
      .map(
        (q) =>
          `${q['dev']} ${q['kind']} ` +
          `${/^teql/.test(String(q['kind'])) ? '' : q['handle']} ${q['root'] ? 'root' : q['parent']}`,
      )
      .sort(),
    sysctls,
    modules,
    rules: (await j('ip', ['-j', 'rule', 'show'])).map((r) => JSON.stringify(r)),
    // nftables where the lab has nft (weighted bonds); the handles the kernel numbers anew are left out.
    nft: (await sh('nft', ['list', 'ruleset'], { allowFail: true })).replace(/ # handle \d+/g, ''),
  };
}

/**
 * TCP from router A to `dst` (a sink in namespace `sinkNs`) for `seconds`; `during` runs meanwhile.
 * `lineBytes` counts what each line carried, read before and after. Any topology of the lab uses it.
 */
export async function tcpRun(o: {
  sinkNs: string;
  dst: string;
  port: number;
  seconds: number;
  during?: () => Promise<void>;
  stopWhenDone?: boolean;
  lineBytes: () => Promise<Record<string, number>>;
}): Promise<TrafficResult> {
  const script = path.join(distLab, 'traffic.js');
  const sinkProc = execa(
    'ip',
    ['netns', 'exec', o.sinkNs, process.execPath, script, 'sink', String(o.port), String(o.seconds + 3)],
    { reject: false },
  );
  await sinkListening(sinkProc);
  const before = await o.lineBytes();
  const sender = execa(process.execPath, [script, 'send', o.dst, String(o.port), String(o.seconds)], { reject: false });
  if (o.during) await o.during();
  // A run whose `during` decides its length (seconds is then its bound) stops the traffic now.
  if (o.stopWhenDone) sender.kill('SIGTERM');
  const s = await sender;
  const after = await o.lineBytes();
  // The sink's buckets count only up to the sender's end (alignBuckets), so it stops now instead of
  // at its own deadline, a few seconds of the lab's time saved per run.
  sinkProc.kill('SIGTERM');
  const k = await sinkProc;
  const report = JSON.parse(
    String(k.stdout)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop() ?? '{"bytes":0,"buckets":[],"bucketMs":250,"firstAt":null}',
  ) as SinkReport;
  const sent = JSON.parse(
    String(s.stdout).trim() || `{"sent":0,"startAt":${Date.now()},"endAt":${Date.now()},"error":"no output"}`,
  ) as SendReport;
  const buckets = alignBuckets(report, sent);
  // Rate over the steady part: skip the first second (slow start) and the last bucket (partial).
  const steady = buckets.slice(Math.round(1000 / report.bucketMs), -1);
  const rateBps =
    steady.length > 0 ? (steady.reduce((a, b) => a + b, 0) * 8) / ((steady.length * report.bucketMs) / 1000) : 0;
  return {
    bytes: report.bytes,
    rateBps,
    buckets,
    bucketMs: report.bucketMs,
    sender: sent,
    fromAt: report.firstAt ?? sent.startAt,
    lineBytes: Object.fromEntries(Object.entries(after).map(([n, v]) => [n, v - (before[n] ?? 0)])),
  };
}

/** Until a traffic sink says it listens (a sender started before would be refused), 30 s at most. */
export function sinkListening(sink: { stdout: NodeJS.ReadableStream | null }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('lab: traffic sink did not start')), 30_000);
    sink.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}
