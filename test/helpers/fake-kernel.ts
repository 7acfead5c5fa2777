// A small model of the kernel behind ip/tc/sysctl/modprobe/wanrouter, for planner and apply tests.
// It answers reads in the kernel's own JSON shapes and applies changes with the kernel's rules that
// matter to wanbond: teql needs slaves to come up and rejects a smaller slave MTU when up; a link
// going down takes its routes with it, a link coming up adds the prefix routes of its addresses,
// a route via a down device is refused; a built-in TEQL cannot be loaded or unloaded. Failures can
// be injected before a change takes effect or after it did. It also counts slave changes on an up
// teql that were not made under a hold (the race of ../shared/domain/wanpipe.md 5.2).
// Real-kernel behaviour is proved in the lab.
import { CommandError } from '../../src/errors.js';
import type { Command, Runner } from '../../src/exec/runner.js';

interface Link {
  name: string;
  ifindex: number;
  flags: Set<string>;
  mtu: number;
}
export interface FakeNexthop {
  gateway?: string;
  dev: string;
  weight?: number;
  onlink?: boolean;
}
export interface FakeRoute {
  type?: string;
  dst: string;
  dev?: string;
  gateway?: string;
  metric?: number;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  onlink?: boolean;
  nexthops?: FakeNexthop[];
  metrics?: Record<string, number>;
}

export interface FakeAddr6 {
  dev: string;
  cidr: string;
  scope?: 'global' | 'link';
}
/** An IPv6 route as `ip -6 -j route` prints it (table main unless named). */
export interface FakeRoute6 {
  dst: string;
  dev: string;
  gateway?: string;
  table?: string;
  type?: string;
}

export interface FakeKernelInit {
  links?: { name: string; mtu?: number; up?: boolean; carrier?: boolean }[];
  addrs?: { dev: string; cidr: string; noprefixroute?: boolean }[];
  routes?: FakeRoute[];
  /** IPv6 state, where a test seeds it (this kernel has none otherwise: not even link-local addresses). */
  addrs6?: FakeAddr6[];
  routes6?: FakeRoute6[];
  qdiscs?: Record<string, { kind: string; handle: string }>;
  sysctls?: Record<string, string>;
  teqlLoaded?: number; // max_equalizers when already loaded as a module
  teqlBuiltin?: number; // TEQL compiled in with this many equalizers
  wanpipe?: Record<string, string[]>; // device -> interfaces `wanrouter start` creates
  wanrouterRunning?: string[];
  wanrouterProc?: string;
  bootId?: string;
}

/**
 * One spelling per route, as the kernel keeps it: a device route without gateway is scope link;
 * proto boot is the default.
 */
function canon(r: FakeRoute): FakeRoute {
  const scope = r.scope ?? (r.dev && !r.gateway && !r.nexthops ? 'link' : undefined);
  if (r.type && r.type !== 'unicast' && !r.dev)
    return {
      type: r.type,
      dst: r.dst,
      ...(r.metric ? { metric: r.metric } : {}),
      ...(r.protocol && r.protocol !== 'boot' ? { protocol: r.protocol } : {}),
    };
  return {
    ...(r.type && r.type !== 'unicast' ? { type: r.type } : {}),
    dst: r.dst,
    ...(r.dev ? { dev: r.dev } : {}),
    ...(r.gateway ? { gateway: r.gateway } : {}),
    ...(r.metric ? { metric: r.metric } : {}),
    ...(r.protocol && r.protocol !== 'boot' ? { protocol: r.protocol } : {}),
    ...(scope && scope !== 'global' ? { scope } : {}),
    ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}),
    ...(r.onlink ? { onlink: true } : {}),
    ...(r.nexthops
      ? {
          nexthops: r.nexthops.map((n) => ({
            ...(n.gateway ? { gateway: n.gateway } : {}),
            dev: n.dev,
            ...(n.weight && n.weight !== 1 ? { weight: n.weight } : {}),
            ...(n.onlink ? { onlink: true } : {}),
          })),
        }
      : {}),
    ...(r.metrics ? { metrics: { ...r.metrics } } : {}),
  };
}

interface FakeNftChain {
  hook?: string;
  type?: string;
  rules: { expr: unknown[]; comment?: string }[];
}
interface FakeNftTable {
  sets: Map<string, string[]>;
  chains: Map<string, FakeNftChain>;
}

// wanbond's per-connection draw and the mark's restore (src/weighted/ruleset.ts chainRules).
const PC_DRAW = new RegExp(
  '^meta mark 0 iifname != \\{ ([^}]+) \\} ct state new ct mark 0 ' +
    '(?:ip daddr \\{ ([^}]+) \\} )?fib daddr oifname \\{ ([^}]+) \\} jump (\\S+) comment "([^"]+)"$',
);
const PC_RESTORE = new RegExp(
  '^meta mark 0 iifname != \\{ ([^}]+) \\} ct mark & (0x[0-9a-f]+) == (0x[0-9a-f]+) ' +
    'meta mark set ct mark comment "([^"]+)"$',
);
const routeDevs = (r: FakeRoute) => [...(r.dev ? [r.dev] : []), ...(r.nexthops ?? []).map((n) => n.dev)];
const prefixLen = (dst: string): number => (dst === 'default' ? 0 : Number(dst.split('/')[1] ?? 32));
const ipNum = (a: string): number => a.split('.').reduce((x, o) => (x << 8) | Number(o), 0) >>> 0;
/** The address is in the prefix ('default', a.b.c.d/n, or a host). */
function inPrefix(addr: string, prefix: string): boolean {
  const len = prefixLen(prefix);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const net = prefix === 'default' ? '0.0.0.0' : (prefix.split('/')[0] as string);
  return (ipNum(addr) & mask) >>> 0 === (ipNum(net) & mask) >>> 0;
}

export class FakeKernel implements Runner {
  links = new Map<string, Link>();
  addrs: { dev: string; local: string; prefixlen: number; noprefixroute: boolean }[] = [];
  routes: FakeRoute[] = [];
  addrs6: FakeAddr6[] = [];
  routes6: FakeRoute6[] = [];
  qdiscs = new Map<string, { kind: string; handle: string }>();
  sysctls = new Map<string, string>();
  teql: number | undefined;
  teqlBuiltin = false;
  wanpipe: Record<string, string[]>;
  running = new Set<string>();
  wanrouterProc: string;
  bootId: string;
  /** Every change, as argv (batches expanded to one entry per line). */
  changes: string[][] = [];
  processes = 0;
  /** Throw on the change whose argv (joined by spaces) satisfies this, before it takes effect. */
  failWhen: ((argv: string) => boolean) | undefined;
  /**
   * Throw on the change whose argv satisfies this, after it took effect
   * (wanrouter started the cards, then exited 1).
   */
  failAfterWhen: ((argv: string) => boolean) | undefined;
  /** The batch is killed right after the line that satisfies this took effect: no "Command failed -:N" names it. */
  killBatchAfterWhen: ((argv: string) => boolean) | undefined;
  /**
   * The batch child dies right after the line that satisfies this took effect, as the daemon's ChildRunner
   * reports it: that line named as failed, with no exit code (the kernel did it all the same).
   */
  dieAfterWhen: ((argv: string) => boolean) | undefined;
  /** Called after every change line, e.g. to deliver a signal in the middle of `up`. */
  afterChange: ((argv: string) => void) | undefined;
  /** Slave changes made on an up teql whose queue was not held. */
  unguarded: string[] = [];
  /** A kernel without sch_plug. */
  noPlug = false;
  /** A system without the nft program. */
  noNft = false;
  /**
   * An nft that is there but cannot list: what `nft -j list` prints on stderr as it exits 1 (an nft
   * built without JSON: "Error: JSON support not compiled-in"; a kernel without nf_tables).
   */
  nftCannotList: string | undefined;
  /** Routing tables other than main (weighted bonds' per-line tables). */
  tables = new Map<number, FakeRoute[]>();
  /** wanbond's rules, and the site's own (a test pushes those; `iif` is only ever the site's). */
  rules: {
    priority: number;
    fwmark?: number;
    mask?: number;
    from?: string;
    iif?: string;
    oif?: string;
    table: string;
    suppress?: number;
  }[] = [];
  /** A system without the conntrack program. */
  noConntrack = false;
  /** The marks `conntrack -D --mark` was run with, in order. */
  conntrackFlushed: number[] = [];
  /** Connections conntrack holds, by mark. */
  conntrackEntries = new Map<number, number>();
  /**
   * An entry expires between `conntrack -D`'s dump and its delete: the others go, and conntrack
   * exits 1 with "Operation failed: such conntrack doesn't exist".
   */
  conntrackRace = false;
  /**
   * wanbond's nftables table, from the commands wanbond writes (src/bonds/weighted/ruleset.ts)
   * and a firewall's flushes.
   */
  nft: FakeNftTable | undefined;
  private nextIndex = 10;

  constructor(init: FakeKernelInit = {}) {
    this.addLink('lo', 65536, true, true);
    for (const l of init.links ?? []) this.addLink(l.name, l.mtu ?? 1500, l.up ?? true, l.carrier ?? true);
    for (const a of init.addrs ?? []) {
      const [local, len] = a.cidr.split('/');
      this.addrs.push({ dev: a.dev, local: local!, prefixlen: Number(len), noprefixroute: a.noprefixroute ?? false });
    }
    this.routes = (init.routes ?? []).map(canon);
    this.addrs6 = [...(init.addrs6 ?? [])];
    this.routes6 = [...(init.routes6 ?? [])];
    for (const [dev, q] of Object.entries(init.qdiscs ?? {})) this.qdiscs.set(dev, q);
    this.sysctls.set('net.ipv4.ip_forward', '0');
    this.sysctls.set('net.ipv4.conf.all.rp_filter', '1');
    this.sysctls.set('net.ipv4.conf.default.rp_filter', '1');
    for (const l of this.links.keys()) this.sysctls.set(`net.ipv4.conf.${l}.rp_filter`, '1');
    for (const [k, v] of Object.entries(init.sysctls ?? {})) this.sysctls.set(k, v);
    if (init.teqlLoaded) this.loadTeql(init.teqlLoaded);
    if (init.teqlBuiltin) {
      this.teqlBuiltin = true;
      this.loadTeql(init.teqlBuiltin);
    }
    this.wanpipe = init.wanpipe ?? {};
    for (const d of init.wanrouterRunning ?? []) this.startDevice(d);
    this.wanrouterProc = init.wanrouterProc ?? '/proc/net/wanrouter';
    this.bootId = init.bootId ?? '11111111-2222-3333-4444-555555555555';
  }

  private addLink(name: string, mtu: number, up: boolean, carrier: boolean): void {
    const flags = new Set<string>(
      name.startsWith('teql') ? ['POINTOPOINT', 'NOARP'] : ['POINTOPOINT', 'NOARP', 'MULTICAST'],
    );
    if (up) flags.add('UP');
    if (up && carrier) flags.add('LOWER_UP');
    this.links.set(name, { name, ifindex: this.nextIndex++, flags, mtu });
    this.sysctls.set(`net.ipv4.conf.${name}.rp_filter`, this.sysctls.get('net.ipv4.conf.default.rp_filter') ?? '1');
  }

  private deleteLink(name: string): void {
    this.links.delete(name);
    this.qdiscs.delete(name);
    this.addrs = this.addrs.filter((a) => a.dev !== name);
    this.routes = this.routes.filter((r) => !routeDevs(r).includes(name));
    this.sysctls.delete(`net.ipv4.conf.${name}.rp_filter`);
  }

  private loadTeql(n: number): void {
    this.teql = n;
    for (let i = 0; i < n; i++) if (!this.links.has(`teql${i}`)) this.addLink(`teql${i}`, 1500, false, false);
  }

  private startDevice(d: string): void {
    this.running.add(d);
    for (const i of this.wanpipe[d] ?? []) if (!this.links.has(i)) this.addLink(i, 1500, true, true);
  }

  private stopDevice(d: string): void {
    this.running.delete(d);
    for (const i of this.wanpipe[d] ?? []) this.deleteLink(i);
  }

  /** Reboot: every runtime change is gone; a new boot id. */
  reboot(init: FakeKernelInit, bootId: string): void {
    const fresh = new FakeKernel({ ...init, bootId });
    Object.assign(this, {
      links: fresh.links,
      addrs: fresh.addrs,
      routes: fresh.routes,
      qdiscs: fresh.qdiscs,
      sysctls: fresh.sysctls,
      teql: fresh.teql,
      teqlBuiltin: fresh.teqlBuiltin,
      running: fresh.running,
      bootId,
    });
  }

  /** The state as constructor input, for golden fixtures. */
  toInit(): FakeKernelInit {
    return {
      links: [...this.links.values()]
        .filter((l) => l.name !== 'lo')
        .map((l) => ({ name: l.name, mtu: l.mtu, up: l.flags.has('UP'), carrier: l.flags.has('LOWER_UP') })),
      addrs: this.addrs.map((a) => ({ dev: a.dev, cidr: `${a.local}/${a.prefixlen}`, noprefixroute: a.noprefixroute })),
      routes: this.routes,
      qdiscs: Object.fromEntries(this.qdiscs),
      sysctls: Object.fromEntries(this.sysctls),
      ...(this.teql ? { teqlLoaded: this.teql } : {}),
      wanpipe: this.wanpipe,
      wanrouterRunning: [...this.running],
    };
  }

  /** Everything wanbond could change, in a stable form. */
  dump(): string {
    return JSON.stringify({
      links: [...this.links.values()].map((l) => [l.name, [...l.flags].sort(), l.mtu]).sort(),
      addrs: this.addrs.map((a) => `${a.dev} ${a.local}/${a.prefixlen}`).sort(),
      routes: this.routes.map((r) => JSON.stringify(r)).sort(),
      qdiscs: [...this.qdiscs.entries()].sort(),
      sysctls: [...this.sysctls.entries()].sort(),
      teql: this.teql ?? null,
      running: [...this.running].sort(),
      tables: [...this.tables.entries()]
        .filter(([, r]) => r.length > 0)
        .map(([t, r]) => [t, r.map((x) => JSON.stringify(x)).sort()])
        .sort(),
      rules: this.rules.map((r) => JSON.stringify(r)).sort(),
      nft: this.nft ? this.nftJson() : null,
    });
  }

  async readFile(path: string): Promise<string | undefined> {
    if (path === '/proc/sys/kernel/random/boot_id') return `${this.bootId}\n`;
    if (path === '/proc/sys/kernel/osrelease') return '6.1.0-fake-amd64\n';
    if (path === '/lib/modules/6.1.0-fake-amd64/modules.builtin')
      return this.teqlBuiltin ? 'kernel/net/sched/sch_teql.ko\n' : '';
    if (path === '/lib/modules/6.1.0-fake-amd64/modules.dep')
      return this.noPlug
        ? 'kernel/net/sched/sch_teql.ko:\n'
        : 'kernel/net/sched/sch_teql.ko:\nkernel/net/sched/sch_plug.ko:\n';
    if (path === '/proc/modules')
      return this.teql && !this.teqlBuiltin ? 'sch_teql 16384 0 - Live 0x0\n' : 'veth 40960 0 - Live 0x0\n';
    if (path === `${this.wanrouterProc}/status`) {
      if (this.running.size === 0 && Object.keys(this.wanpipe).length === 0) return undefined;
      return `Device name | Protocol | Station | Status        |\n${[...this.running]
        .sort()
        .map((d) => `${d.padEnd(12)}| CHDLC    | N/A     | Connected     |`)
        .join('\n')}\n`;
    }
    const m = /^\/proc\/sys\/(.*)$/.exec(path);
    if (m) {
      const key = (m[1] as string)
        .replace(/^net\/ipv4\/conf\/(.+)\/([a-z_]+)$/, (_x, dev: string, k: string) => `net.ipv4.conf.${dev}.${k}`)
        .replace(/\//g, '.');
      const v = this.sysctls.get(key);
      return v === undefined ? undefined : `${v}\n`;
    }
    return undefined;
  }

  private routeJson(r: FakeRoute): Record<string, unknown> {
    return {
      ...(r.type ? { type: r.type } : {}),
      dst: r.dst,
      ...(r.gateway ? { gateway: r.gateway } : {}),
      ...(r.dev ? { dev: r.dev } : {}),
      ...(r.protocol ? { protocol: r.protocol } : {}),
      ...(r.scope ? { scope: r.scope } : {}),
      ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}),
      ...(r.metric ? { metric: r.metric } : {}),
      flags: r.onlink ? ['onlink'] : [],
      ...(r.metrics ? { metrics: [r.metrics] } : {}),
      ...(r.nexthops
        ? {
            nexthops: r.nexthops.map((n) => ({
              ...(n.gateway ? { gateway: n.gateway } : {}),
              dev: n.dev,
              weight: n.weight ?? 1,
              flags: n.onlink ? ['onlink'] : [],
            })),
          }
        : {}),
    };
  }

  async read(cmd: Command): Promise<string> {
    const a = cmd.args.join(' ');
    if (cmd.file === 'ip' && a === '-j -s -batch -') {
      // One process for all its commands; each answered as its own read would be (through this.read,
      // so a test that wraps read() sees them), printed one after the other as ip does.
      this.processes++;
      const lines = (cmd.input ?? '').split('\n').filter((l) => l.trim() !== '');
      const out: string[] = [];
      for (const l of lines) {
        const args = l === 'link show' ? ['-j', '-s', 'link', 'show'] : ['-j', ...l.split(' ')];
        out.push(await this.read({ file: 'ip', args }));
        this.processes--;
      }
      return `${out.join('\n')}\n`;
    }
    this.processes++;
    // doctor's second sample reads the details too (-d); this kernel's links have no kind to show.
    if (cmd.file === 'ip' && a === '-j neigh show') return '[]';
    if (cmd.file === 'ip' && (a === '-j -s link show' || a === '-j -s -d link show' || a === '-j link show')) {
      // Counters only with -s (the daemon's lean read has none).
      const stats = (o: Record<string, unknown>) => (a.includes('-s') ? o : { ...o, stats64: undefined });
      return JSON.stringify(
        [...this.links.values()].map((l) =>
          stats({
            ifindex: l.ifindex,
            ifname: l.name,
            flags: [...l.flags],
            mtu: l.mtu,
            qdisc: this.qdiscs.get(l.name)?.kind ?? 'noqueue',
            operstate: l.flags.has('LOWER_UP') ? 'UP' : l.flags.has('UP') ? 'DOWN' : 'DOWN',
            stats64: {
              rx: { bytes: 0, packets: 0, errors: 0, dropped: 0 },
              tx: { bytes: 0, packets: 0, errors: 0, dropped: 0 },
            },
          }),
        ),
      );
    }
    if (cmd.file === 'ip' && a === '-j addr show') {
      return JSON.stringify(
        [...this.links.values()].map((l) => ({
          // Both families, as ip prints them without -4 or -6.
          ifname: l.name,
          addr_info: [
            ...this.addrs
              .filter((x) => x.dev === l.name)
              .map((x) => ({
                family: 'inet',
                local: x.local,
                prefixlen: x.prefixlen,
                ...(x.noprefixroute ? { noprefixroute: true } : {}),
              })),
            ...this.addrs6
              .filter((x) => x.dev === l.name)
              .map((x) => ({
                family: 'inet6',
                local: x.cidr.split('/')[0],
                prefixlen: Number(x.cidr.split('/')[1]),
                scope: x.scope ?? 'global',
              })),
          ],
        })),
      );
    }
    if (cmd.file === 'ip' && a === '-6 -j route show table all') {
      return JSON.stringify(
        this.routes6.map((r) => ({
          ...(r.type ? { type: r.type } : {}),
          dst: r.dst,
          ...(r.gateway ? { gateway: r.gateway } : {}),
          dev: r.dev,
          ...(r.table && r.table !== 'main' ? { table: r.table } : {}),
          protocol: 'static',
          metric: 1024,
          flags: [],
          pref: 'medium',
        })),
      );
    }
    if (cmd.file === 'ip' && a === '-j route show table main')
      return JSON.stringify(this.routes.map((r) => this.routeJson(r)));
    let tm: RegExpExecArray | null;
    if (cmd.file === 'ip' && (tm = /^-j route show table (\d+)$/.exec(a)))
      return JSON.stringify(
        (this.tables.get(Number(tm[1])) ?? []).map((r) => ({ ...this.routeJson(r), table: tm![1] })),
      );
    if (cmd.file === 'ip' && a === '-j rule show') {
      const hex = (n: number) => `0x${n.toString(16)}`;
      return JSON.stringify([
        { priority: 0, src: 'all', table: 'local' },
        ...[...this.rules]
          .sort((x, y) => x.priority - y.priority)
          .map((r) => ({
            priority: r.priority,
            src: r.from ?? 'all',
            ...(r.fwmark !== undefined
              ? { fwmark: hex(r.fwmark), ...(r.mask !== 0xffffffff ? { fwmask: hex(r.mask ?? 0xffffffff) } : {}) }
              : {}),
            ...(r.iif !== undefined ? { iif: r.iif } : {}),
            ...(r.oif !== undefined ? { oif: r.oif } : {}),
            table: r.table,
            ...(r.suppress !== undefined ? { suppress_prefixlen: r.suppress } : {}),
          })),
        { priority: 32766, src: 'all', table: 'main' },
        { priority: 32767, src: 'all', table: 'default' },
      ]);
    }
    if (cmd.file === 'conntrack' && a === '--version') {
      if (this.noConntrack)
        throw new CommandError(
          ['conntrack', ...cmd.args],
          undefined,
          'conntrack: command not found',
          'install conntrack',
        );
      return 'conntrack v1.4.7 (conntrack-tools)\n';
    }
    if (cmd.file === 'nft') {
      if (this.noNft)
        throw new CommandError(['nft', ...cmd.args], undefined, 'nft: command not found', 'install nftables');
      if (a === '-j list table ip wanbond') {
        if (this.nftCannotList !== undefined) {
          throw new CommandError(['nft', ...cmd.args], 1, `${this.nftCannotList}\n`, 'see nft(8)');
        }
        if (!this.nft)
          throw new CommandError(
            ['nft', ...cmd.args],
            1,
            'Error: No such file or directory\nlist table ip wanbond\n              ^^^^^^^\n',
            'see nft(8)',
          );
        return JSON.stringify({
          nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, ...this.nftJson()],
        });
      }
    }
    if (cmd.file === 'tc' && a === '-j qdisc show') {
      return JSON.stringify(
        [...this.links.keys()].map((dev) => {
          const q = this.qdiscs.get(dev) ?? { kind: dev.startsWith('teql') ? 'pfifo_fast' : 'noqueue', handle: '0:' };
          return { kind: q.kind, handle: q.handle, dev, root: true, refcnt: 2, options: {} };
        }),
      );
    }
    throw new Error(`unscripted read: ${cmd.file} ${a}`);
  }

  async change(cmd: Command): Promise<void> {
    this.processes++;
    if ((cmd.file === 'ip' || cmd.file === 'tc') && cmd.args[0] === '-batch') {
      const lines = (cmd.input ?? '').split('\n').filter((l) => l.trim() !== '');
      for (let i = 0; i < lines.length; i++) {
        if (
          this.killBatchAfterWhen &&
          i > 0 &&
          this.killBatchAfterWhen([cmd.file, ...lines[i - 1]!.split(' ')].join(' '))
        ) {
          throw new CommandError([cmd.file, ...cmd.args], undefined, '', 'fake kernel: killed', { input: cmd.input });
        }
        try {
          this.one(cmd.file, lines[i]!.split(' '));
        } catch (e) {
          const err = e as CommandError;
          throw new CommandError([cmd.file, ...cmd.args], 1, `${err.stderr}Command failed -:${i + 1}\n`, err.hint, {
            input: cmd.input,
          });
        }
        if (this.dieAfterWhen?.([cmd.file, ...lines[i]!.split(' ')].join(' ')))
          throw new CommandError(
            [cmd.file, ...cmd.args],
            undefined,
            `exited (SIGKILL)\nCommand failed -:${i + 1}\n`,
            'h',
            {
              input: cmd.input,
            },
          );
      }
      return;
    }
    if (cmd.file === 'sysctl' && cmd.args[0] === '-q' && cmd.args[1] === '-w') {
      for (const kv of cmd.args.slice(2)) this.one('sysctl', ['-q', '-w', kv]);
      return;
    }
    if (cmd.file === 'nft' && cmd.args.join(' ') === '-f -') {
      if (this.noNft)
        throw new CommandError(['nft', ...cmd.args], undefined, 'nft: command not found', 'install nftables');
      // One transaction: all of it or nothing.
      const saved = this.nft ? structuredClone(this.nft) : undefined;
      try {
        for (const l of (cmd.input ?? '').split('\n').filter((x) => x.trim() !== '')) this.one('nft', [l]);
      } catch (e) {
        this.nft = saved;
        throw e;
      }
      return;
    }
    this.one(cmd.file, [...cmd.args]);
  }

  private fail(argv: string[], msg: string): never {
    throw new CommandError(argv, 2, `${msg}\n`, 'fake kernel');
  }

  private isUp(name: string): boolean {
    return this.links.get(name)?.flags.has('UP') === true;
  }

  private one(file: string, args: string[]): void {
    const argv = [file, ...args];
    const text = argv.join(' ');
    this.changes.push(argv);
    if (this.failWhen?.(text)) this.fail(argv, 'injected failure');
    this.apply(file, args, argv);
    this.afterChange?.(text);
    if (this.failAfterWhen?.(text)) this.fail(argv, 'injected failure after the change took effect');
  }

  private apply(file: string, args: string[], argv: string[]): void {
    const link = (n: string | undefined) => this.links.get(n ?? '') ?? this.fail(argv, `Cannot find device "${n}"`);
    const j = args.join(' ');
    let m: RegExpExecArray | null;
    if (file === 'modprobe') {
      if (args[0] === '-r') {
        if (this.teqlBuiltin) this.fail(argv, 'modprobe: FATAL: Module sch_teql is builtin.');
        if ([...this.qdiscs.values()].some((q) => q.kind.startsWith('teql')))
          this.fail(argv, 'modprobe: FATAL: Module sch_teql is in use.');
        for (let i = 0; i < (this.teql ?? 0); i++) this.deleteLink(`teql${i}`);
        this.teql = undefined;
        return;
      }
      if (this.teql === undefined) this.loadTeql(Number(/max_equalizers=(\d+)/.exec(j)?.[1] ?? 1));
      return;
    }
    if (file === 'wanrouter') {
      const devs = args[1] ? [args[1]] : Object.keys(this.wanpipe);
      for (const d of devs) {
        if (args[0] === 'start') this.startDevice(d);
        else if (args[0] === 'stop') this.stopDevice(d);
        else if (args[0] === 'restart') {
          this.stopDevice(d);
          this.startDevice(d);
        }
      }
      return;
    }
    if (file === 'sysctl') {
      const [k, v] = (args[2] ?? '').split('=');
      const key = (k ?? '')
        .replace(/^net\/ipv4\/conf\/(.+)\/([a-z_]+)$/, (_x, dev: string, kk: string) => `net.ipv4.conf.${dev}.${kk}`)
        .replace(/\//g, '.');
      if (!this.sysctls.has(key)) this.fail(argv, `sysctl: cannot stat /proc/sys/${k}: No such file or directory`);
      this.sysctls.set(key, v ?? '');
      return;
    }
    if (file === 'conntrack' && args[0] === '-D' && args[1] === '--mark' && args.length === 3) {
      if (this.noConntrack)
        throw new CommandError(argv, undefined, 'conntrack: command not found', 'install conntrack');
      this.conntrackFlushed.push(Number(args[2]));
      // conntrack-tools 1.4.7 exits 1 when nothing matched (checked on this host).
      const n = this.conntrackEntries.get(Number(args[2])) ?? 0;
      this.conntrackEntries.delete(Number(args[2]));
      if (n === 0)
        throw new CommandError(
          argv,
          1,
          'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
          'see conntrack(8)',
        );
      if (this.conntrackRace) {
        const stderr = "conntrack v1.4.7 (conntrack-tools): Operation failed: such conntrack doesn't exist\n";
        throw new CommandError(argv, 1, stderr, 'see conntrack(8)');
      }
      return;
    }
    if (file === 'nft') {
      this.nftApply(args.length === 1 ? (args[0] as string) : args.join(' '), argv);
      return;
    }
    if ((m = /^link add dev (\S+) type dummy$/.exec(j))) {
      if (this.links.has(m[1]!)) this.fail(argv, 'RTNETLINK answers: File exists');
      this.addLink(m[1]!, 1500, false, false);
      return;
    }
    if ((m = /^link del dev (\S+)$/.exec(j))) {
      link(m[1]);
      this.deleteLink(m[1]!);
      for (const [t, rs] of this.tables)
        this.tables.set(
          t,
          rs.filter((r) => !routeDevs(r).includes(m![1]!)),
        );
      return;
    }
    if (
      (m = new RegExp(
        String.raw`^rule (add|del) priority (\d+)(?: fwmark (0x[0-9a-f]+)\/(0x[0-9a-f]+))?(?: from (\S+))?` +
          String.raw`(?: oif (\S+))? lookup (\S+)( suppress_prefixlength (\d+))?$`,
      ).exec(j))
    ) {
      const r = {
        priority: Number(m[2]),
        ...(m[3] !== undefined ? { fwmark: Number(m[3]), mask: Number(m[4]) } : {}),
        ...(m[5] !== undefined ? { from: m[5] } : {}),
        ...(m[6] !== undefined ? { oif: m[6] } : {}),
        table: m[7]!,
        ...(m[9] !== undefined ? { suppress: Number(m[9]) } : {}),
      };
      const same = (x: typeof r) => JSON.stringify(x) === JSON.stringify(r);
      if (m[1] === 'add') {
        this.rules.push(r);
        return;
      }
      const n = this.rules.length;
      this.rules = this.rules.filter((x) => !same(x));
      if (this.rules.length === n) this.fail(argv, 'RTNETLINK answers: No such file or directory');
      return;
    }
    if ((m = /^link set dev (\S+) mtu (\d+)$/.exec(j))) {
      const l = link(m[1]);
      if (
        l.name.startsWith('teql') &&
        [...this.qdiscs.entries()].some(([d, q]) => q.kind === l.name && this.links.get(d)!.mtu < Number(m![2]))
      )
        this.fail(argv, 'RTNETLINK answers: Invalid argument');
      l.mtu = Number(m[2]);
      return;
    }
    if ((m = /^link set dev (\S+) (up|down)$/.exec(j))) {
      const l = link(m[1]);
      if (m[2] === 'up') {
        if (l.flags.has('UP')) return;
        if (l.name.startsWith('teql')) {
          // teql_master_open: fails without slaves, then takes the smallest slave MTU
          const slaves = [...this.qdiscs.entries()]
            .filter(([, q]) => q.kind === l.name)
            .map(([d]) => this.links.get(d)!);
          if (slaves.length === 0) this.fail(argv, 'RTNETLINK answers: Protocol driver not attached');
          l.mtu = Math.min(...slaves.map((x) => x.mtu));
        }
        l.flags.add('UP');
        l.flags.add('LOWER_UP');
        // The kernel adds the prefix route of each address (unless noprefixroute) when the link comes up.
        for (const a of this.addrs.filter((x) => x.dev === l.name && !x.noprefixroute)) this.addPrefixRoute(a);
      } else {
        l.flags.delete('UP');
        l.flags.delete('LOWER_UP');
        // ... and removes every route through it when it goes down (a multipath route loses it as a nexthop).
        this.routes = this.routes.flatMap((r) => {
          if (r.dev === l.name) return [];
          if (r.nexthops?.some((n) => n.dev === l.name)) {
            const rest = r.nexthops.filter((n) => n.dev !== l.name);
            return rest.length === 0 ? [] : [r];
          }
          return [r];
        });
      }
      return;
    }
    if ((m = /^addr add (\S+)\/(\d+) dev (\S+)( noprefixroute)?$/.exec(j))) {
      link(m[3]);
      if (this.addrs.some((a) => a.dev === m![3] && a.local === m![1]))
        this.fail(argv, 'RTNETLINK answers: File exists');
      const a = { dev: m[3]!, local: m[1]!, prefixlen: Number(m[2]), noprefixroute: m[4] !== undefined };
      this.addrs.push(a);
      if (!a.noprefixroute && this.isUp(a.dev)) this.addPrefixRoute(a);
      return;
    }
    if ((m = /^addr del (\S+)\/(\d+) dev (\S+)$/.exec(j))) {
      const n = this.addrs.length;
      this.addrs = this.addrs.filter((a) => !(a.dev === m![3] && a.local === m![1]));
      if (this.addrs.length === n) this.fail(argv, 'RTNETLINK answers: Cannot assign requested address');
      this.routes = this.routes.filter((r) => !(r.dev === m![3] && r.protocol === 'kernel' && r.prefsrc === m![1]));
      return;
    }
    if (args[0] === 'route' && (args[1] === 'replace' || args[1] === 'del')) {
      const t = args.indexOf('table');
      const table = t >= 0 ? Number(args[t + 1]) : undefined;
      const r = this.parseRoute(args.slice(2, t >= 0 ? t : undefined), argv);
      const list = table === undefined ? this.routes : (this.tables.get(table) ?? []);
      const same = (x: FakeRoute) => x.dst === r.dst && (x.metric ?? 0) === (r.metric ?? 0);
      let next: FakeRoute[];
      if (args[1] === 'replace') {
        for (const d of routeDevs(r)) if (!this.isUp(link(d).name)) this.fail(argv, 'Error: Nexthop device is not up.');
        // fib_valid_prefsrc: a source must be an address of this host (on any interface).
        if (r.prefsrc !== undefined && !this.addrs.some((a) => a.local === r.prefsrc))
          this.fail(argv, 'Error: Invalid prefsrc address.');
        next = [...list.filter((x) => !same(x)), r];
      } else {
        // fib_table_delete matches what the command names: a device, a source.
        next = list.filter(
          (x) =>
            !(
              same(x) &&
              (r.dev === undefined || x.dev === r.dev) &&
              (r.prefsrc === undefined || x.prefsrc === r.prefsrc)
            ),
        );
        if (next.length === list.length) this.fail(argv, 'RTNETLINK answers: No such process');
      }
      if (table === undefined) this.routes = next;
      else this.tables.set(table, next);
      return;
    }
    if ((m = /^qdisc replace dev (\S+) root handle (\S+) plug$/.exec(j))) {
      link(m[1]);
      if (this.noPlug) this.fail(argv, 'Error: Specified qdisc kind is unknown.');
      this.qdiscs.set(m[1]!, { kind: 'plug', handle: m[2]! });
      return;
    }
    // sch_api's tc_modify_qdisc: `add` (NLM_F_EXCL) over a root someone set fails; over the default it grafts.
    if ((m = /^qdisc add dev (\S+) root handle (\S+) plug$/.exec(j))) {
      link(m[1]);
      if (this.noPlug) this.fail(argv, 'Error: Specified qdisc kind is unknown.');
      if (this.qdiscs.has(m[1]!)) this.fail(argv, 'Error: NLM_F_REPLACE needed to override.');
      this.qdiscs.set(m[1]!, { kind: 'plug', handle: m[2]! });
      return;
    }
    if ((m = /^qdisc del dev (\S+) root handle (\S+)$/.exec(j))) {
      link(m[1]);
      const q = this.qdiscs.get(m[1]!);
      if (!q || q.handle !== m[2]) this.fail(argv, 'Error: Invalid handle.');
      this.qdiscs.delete(m[1]!);
      return;
    }
    if ((m = /^qdisc replace dev (\S+) root (teql\d+)$/.exec(j))) {
      link(m[1]);
      const master = this.links.get(m[2]!) ?? this.fail(argv, `Error: Specified qdisc kind is unknown.`);
      const slave = link(m[1]);
      // teql_qdisc_init: an up master rejects a smaller slave MTU; a down one lowers its own
      if (master.flags.has('UP') && slave.mtu < master.mtu) this.fail(argv, 'RTNETLINK answers: Invalid argument');
      if (!master.flags.has('UP')) master.mtu = Math.min(master.mtu, slave.mtu);
      this.checkGuard(master.name, argv);
      this.qdiscs.set(m[1]!, { kind: m[2]!, handle: '8001:' });
      return;
    }
    // tc_get_qdisc: a kind named that is not the root's (the default's pfifo_fast included) is refused.
    if ((m = /^qdisc del dev (\S+) root (\S+)$/.exec(j))) {
      link(m[1]);
      const q = this.qdiscs.get(m[1]!);
      if (!q || q.kind !== m[2]) this.fail(argv, 'Error: Invalid qdisc name.');
      if (/^teql\d+$/.test(q.kind)) this.checkGuard(q.kind, argv);
      this.qdiscs.delete(m[1]!);
      return;
    }
    if ((m = /^qdisc del dev (\S+) root$/.exec(j))) {
      link(m[1]);
      const q = this.qdiscs.get(m[1]!);
      if (!q) this.fail(argv, 'Error: Cannot delete qdisc with handle of zero.');
      if (/^teql\d+$/.test(q.kind)) this.checkGuard(q.kind, argv);
      this.qdiscs.delete(m[1]!);
      return;
    }
    this.fail(argv, `fake kernel does not know: ${argv.join(' ')}`);
  }

  /** One line of wanbond's own nft commands (src/bonds/weighted/ruleset.ts), in the kernel's terms. */
  private nftApply(line: string, argv: string[]): void {
    let m: RegExpExecArray | null;
    const T = 'ip wanbond';
    const need = () =>
      this.nft ?? this.fail(argv, 'Error: No such file or directory; did you mean table ‘wanbond’ in family ip?');
    // What a firewall reload runs first (Debian's /etc/nftables.conf): every table goes, wanbond's with them.
    if (line === 'flush ruleset') {
      this.nft = undefined;
      return;
    }
    // Every chain's rules go, the chains stay (a firewall script that flushes only its own tables by name).
    if (line === `flush table ${T}`) {
      for (const c of need().chains.values()) c.rules = [];
      return;
    }
    if (line === `add table ${T}`) {
      this.nft ??= { sets: new Map(), chains: new Map() };
      return;
    }
    if (line === `delete table ${T}`) {
      need();
      this.nft = undefined;
      return;
    }
    if ((m = /^add set ip wanbond (\S+) \{ type ipv4_addr; flags interval; \}$/.exec(line))) {
      need().sets.set(m[1]!, []);
      return;
    }
    if ((m = /^add element ip wanbond (\S+) \{ (.+) \}$/.exec(line))) {
      const set = need().sets.get(m[1]!) ?? this.fail(argv, 'Error: No such file or directory');
      set.push(...m[2]!.split(', '));
      return;
    }
    if (
      (m =
        /^add chain ip wanbond (\S+)( \{ type (\S+) hook (\S+) priority (?:mangle|srcnat); policy accept; \})?$/.exec(
          line,
        ))
    ) {
      need().chains.set(m[1]!, { ...(m[3] ? { type: m[3], hook: m[4]! } : {}), rules: [] });
      return;
    }
    if ((m = /^flush chain ip wanbond (\S+)$/.exec(line))) {
      (need().chains.get(m[1]!) ?? this.fail(argv, 'Error: No such file or directory')).rules = [];
      return;
    }
    if ((m = /^add rule ip wanbond (\S+) (.+)$/.exec(line))) {
      const chain = need().chains.get(m[1]!) ?? this.fail(argv, 'Error: No such file or directory');
      const body = m[2]!;
      let r: RegExpExecArray | null;
      const names = (list: string) => list.split(', ').map((n) => n.replace(/^"|"$/g, ''));
      const mark0 = { match: { op: '==', left: { meta: { key: 'mark' } }, right: 0 } };
      const prefix = (p: string) => ({ prefix: { addr: p.split('/')[0], len: Number(p.split('/')[1] ?? 32) } });
      if (
        (r = /^meta mark 0 iifname != \{ ([^}]+) \} fib daddr oifname \{ ([^}]+) \} jump (\S+) comment "([^"]+)"$/.exec(
          body,
        ))
      ) {
        chain.rules.push({
          comment: r[4]!,
          expr: [
            mark0,
            { match: { op: '!=', left: { meta: { key: 'iifname' } }, right: { set: names(r[1]!) } } },
            {
              match: { op: '==', left: { fib: { result: 'oifname', flags: ['daddr'] } }, right: { set: names(r[2]!) } },
            },
            { jump: { target: r[3] } },
          ],
        });
      } else if ((r = /^meta mark 0 oifname \{ ([^}]+) \} jump (\S+) comment "([^"]+)"$/.exec(body))) {
        chain.rules.push({
          comment: r[3]!,
          expr: [
            mark0,
            { match: { op: '==', left: { meta: { key: 'oifname' } }, right: { set: names(r[1]!) } } },
            { jump: { target: r[2] } },
          ],
        });
      } else if ((r = /^(meta|ct) mark set numgen inc mod (\d+) map \{ (.+) \}$/.exec(body))) {
        const set = r[3]!.split(', ').map((kv) => kv.split(' : ').map(Number));
        chain.rules.push({
          expr: [
            {
              mangle: {
                key: { [r[1]!]: { key: 'mark' } },
                value: { map: { key: { numgen: { mode: 'inc', mod: Number(r[2]), offset: 0 } }, data: { set } } },
              },
            },
          ],
        });
      } else if ((r = /^(meta|ct) mark set (0x[0-9a-f]+)$/.exec(body))) {
        chain.rules.push({ expr: [{ mangle: { key: { [r[1]!]: { key: 'mark' } }, value: Number(r[2]) } }] });
      } else if ((r = PC_DRAW.exec(body))) {
        // A per-connection bond's draw.
        const match = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
        const dst = { payload: { protocol: 'ip', field: 'daddr' } };
        const daddr = r[2] ? [match(dst, { set: r[2].split(', ').map(prefix) })] : [];
        chain.rules.push({
          comment: r[5]!,
          expr: [
            mark0,
            match({ meta: { key: 'iifname' } }, { set: names(r[1]!) }, '!='),
            match({ ct: { key: 'state' } }, 'new', 'in'),
            match({ ct: { key: 'mark' } }, 0),
            ...daddr,
            match({ fib: { result: 'oifname', flags: ['daddr'] } }, { set: names(r[3]!) }),
            { jump: { target: r[4] } },
          ],
        });
      } else if ((r = PC_RESTORE.exec(body))) {
        chain.rules.push({
          comment: r[4]!,
          expr: [
            mark0,
            { match: { op: '!=', left: { meta: { key: 'iifname' } }, right: { set: names(r[1]!) } } },
            { match: { op: '==', left: { '&': [{ ct: { key: 'mark' } }, Number(r[2])] }, right: Number(r[3]) } },
            { mangle: { key: { meta: { key: 'mark' } }, value: { ct: { key: 'mark' } } } },
          ],
        });
      } else if (
        (r = /^iifname "([^"]+)" ct state new ct mark 0 ct mark set (0x[0-9a-f]+) comment "([^"]+)"$/.exec(body))
      ) {
        chain.rules.push({
          comment: r[3]!,
          expr: [
            { match: { op: '==', left: { meta: { key: 'iifname' } }, right: r[1] } },
            { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } },
            { match: { op: '==', left: { ct: { key: 'mark' } }, right: 0 } },
            { mangle: { key: { ct: { key: 'mark' } }, value: Number(r[2]) } },
          ],
        });
      } else if (
        (r = /^oifname \{ ([^}]+) \} tcp flags syn tcp option maxseg size set rt mtu comment "([^"]+)"$/.exec(body))
      ) {
        chain.rules.push({
          comment: r[2]!,
          expr: [
            { match: { op: '==', left: { meta: { key: 'oifname' } }, right: { set: names(r[1]!) } } },
            { match: { op: 'in', left: { payload: { protocol: 'tcp', field: 'flags' } }, right: 'syn' } },
            { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: { rt: { key: 'mtu' } } } },
          ],
        });
      } else if ((r = /^oifname "([^"]+)" snat to (\S+) comment "([^"]+)"$/.exec(body))) {
        chain.rules.push({
          comment: r[3]!,
          expr: [{ match: { op: '==', left: { meta: { key: 'oifname' } }, right: r[1] } }, { snat: { addr: r[2] } }],
        });
      } else this.fail(argv, `fake kernel: nft rule it does not model: ${body}`);
      return;
    }
    this.fail(argv, `fake kernel: nft command it does not model: ${line}`);
  }

  private nftJson(): unknown[] {
    const t = this.nft;
    if (!t) return [];
    const base = { family: 'ip', table: 'wanbond' };
    const prefix = (p: string) => {
      const [addr, len] = p.split('/');
      return { prefix: { addr, len: Number(len) } };
    };
    return [
      { table: { family: 'ip', name: 'wanbond', handle: 1 } },
      ...[...t.sets].map(([name, elem]) => ({
        set: {
          ...base,
          name,
          type: 'ipv4_addr',
          handle: 2,
          flags: ['interval'],
          ...(elem.length ? { elem: elem.map(prefix) } : {}),
        },
      })),
      ...[...t.chains].map(([name, c]) => ({
        chain: {
          ...base,
          name,
          handle: 3,
          ...(c.hook ? { type: c.type, hook: c.hook, prio: -150, policy: 'accept' } : {}),
        },
      })),
      ...[...t.chains].flatMap(([name, c]) =>
        c.rules.map((r) => ({
          rule: { ...base, chain: name, handle: 4, ...(r.comment ? { comment: r.comment } : {}), expr: r.expr },
        })),
      ),
    ];
  }

  /**
   * The kernel's route lookup (fib_rules.c, then the longest prefix of each table looked up), for the
   * rule and route shapes wanbond and these tests write: the rules in priority order, then main. A
   * `suppress_prefixlength N` rule's result of prefix length <= N is passed over (fib4_rule_suppress).
   * The first nexthop stands for a multipath route's hash. Addresses of this host are local. A route
   * that leads nowhere (unreachable) ends the lookup without a device.
   */
  route(p: {
    dst: string;
    src?: string;
    iif?: string;
    oif?: string;
    mark?: number;
  }): { table: string; dev?: string } | undefined {
    if (this.addrs.some((a) => a.local === p.dst)) return { table: 'local', dev: 'lo' };
    const byPriority = this.rules.map((r, i) => ({ ...r, i })).sort((a, b) => a.priority - b.priority || a.i - b.i);
    const rules = [...byPriority, { priority: 32766, table: 'main' }];
    for (const r of rules) {
      const marked = ((p.mark ?? 0) & ('mask' in r ? (r.mask ?? 0xffffffff) : 0xffffffff)) >>> 0;
      if ('fwmark' in r && r.fwmark !== undefined && marked !== r.fwmark) continue;
      if ('from' in r && r.from !== undefined && !inPrefix(p.src ?? '0.0.0.0', r.from)) continue;
      if ('iif' in r && r.iif !== undefined && r.iif !== (p.iif ?? 'lo')) continue;
      if ('oif' in r && r.oif !== undefined && r.oif !== p.oif) continue;
      const table = r.table === 'main' ? this.routes : (this.tables.get(Number(r.table)) ?? []);
      // The longest prefix, then the lowest metric.
      const best = table
        .filter((x) => inPrefix(p.dst, x.dst))
        .sort((a, b) => prefixLen(b.dst) - prefixLen(a.dst) || (a.metric ?? 0) - (b.metric ?? 0))[0];
      if (!best) continue;
      if ('suppress' in r && r.suppress !== undefined && prefixLen(best.dst) <= r.suppress) continue;
      const dev = best.dev ?? best.nexthops?.[0]?.dev;
      return { table: r.table, ...(dev ? { dev } : {}) };
    }
    return undefined;
  }

  /**
   * A packet through wanbond's prerouting chain (the rules it writes, evaluated as nf_tables does), then
   * routed with its mark: the interface it leaves by, and the marks it and its connection carry. The
   * fib expression looks up as nft_fib4_eval does for `fib daddr oifname`: from lo, with no mark.
   */
  forward(p: { iif: string; src: string; dst: string; mark?: number; ct?: { new: boolean; mark: number } }): {
    oif: string | undefined;
    mark: number;
    ctMark: number;
  } {
    const pkt = { mark: p.mark ?? 0, ctMark: p.ct?.mark ?? 0 };
    const value = (e: unknown): unknown => {
      const x = e as Record<string, Record<string, unknown>>;
      if (typeof e !== 'object' || e === null) return e;
      if (x['meta']?.['key'] === 'mark') return pkt.mark;
      if (x['meta']?.['key'] === 'iifname') return p.iif;
      if (x['ct']?.['key'] === 'mark') return pkt.ctMark;
      if (x['ct']?.['key'] === 'state') return p.ct?.new === false ? 'established' : 'new';
      if (x['payload']?.['field'] === 'daddr') return p.dst;
      if (x['fib']) return this.route({ dst: p.dst, src: p.src })?.dev ?? '';
      if (Array.isArray(x['&'])) return ((value(x['&'][0]) as number) & (x['&'][1] as number)) >>> 0;
      return e;
    };
    const inSet = (v: unknown, right: unknown): boolean => {
      const set = (right as { set?: unknown[] }).set;
      if (!set) return v === right;
      const pfx = (m: unknown) => (m as { prefix: { addr: string; len: number } }).prefix;
      return set.some((m) =>
        typeof m === 'object' && m !== null && 'prefix' in m
          ? inPrefix(String(v), `${pfx(m).addr}/${pfx(m).len}`)
          : m === v,
      );
    };
    const run = (chain: string): void => {
      for (const rule of this.nft?.chains.get(chain)?.rules ?? []) {
        let ok = true;
        for (const e of rule.expr as Record<string, Record<string, unknown>>[]) {
          if (e['match']) {
            const v = value(e['match']['left']),
              op = e['match']['op'];
            ok = op === '!=' ? !inSet(v, e['match']['right']) : inSet(v, e['match']['right']);
            if (!ok) break;
          } else if (e['mangle']) {
            const target = (e['mangle']['key'] as Record<string, unknown>)['ct'] ? 'ctMark' : 'mark';
            const v = e['mangle']['value'] as Record<string, Record<string, unknown>> | number;
            let n: number;
            if (typeof v === 'number') n = v;
            else if (v['map']) {
              const gen = this.numgen.get(chain) ?? 0;
              const mod = ((v['map']['key'] as Record<string, { mod: number }>)['numgen'] as { mod: number }).mod;
              this.numgen.set(chain, gen + 1);
              const entry = (v['map']['data'] as { set: number[][] }).set.find(([k]) => k === gen % mod) as number[];
              n = entry[1] as number;
            } else n = value(v) as number;
            pkt[target] = n;
          } else if (e['jump']) run(String(e['jump']['target']));
        }
      }
    };
    run('pre');
    return { oif: this.route({ dst: p.dst, src: p.src, iif: p.iif, mark: pkt.mark })?.dev, ...pkt };
  }

  private numgen = new Map<string, number>();

  private checkGuard(teql: string, argv: string[]): void {
    if (this.isUp(teql) && this.qdiscs.get(teql)?.kind !== 'plug') this.unguarded.push(argv.join(' '));
  }

  private addPrefixRoute(a: { dev: string; local: string; prefixlen: number }): void {
    const n = a.local.split('.').reduce((x, o) => (x << 8) | Number(o), 0) >>> 0;
    const mask = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
    const net = (n & mask) >>> 0;
    const dst = `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${a.prefixlen}`;
    if (this.routes.some((r) => r.dst === dst && r.dev === a.dev)) return;
    this.routes.push(canon({ dst, dev: a.dev, protocol: 'kernel', scope: 'link', prefsrc: a.local }));
  }

  /** `ip route` arguments, as iproute2 reads them (the forms wanbond writes). */
  private parseRoute(w: string[], argv: string[]): FakeRoute {
    const r: FakeRoute = { dst: '' };
    let i = 0;
    if (['unicast', 'unreachable', 'blackhole', 'prohibit', 'throw'].includes(w[0] ?? '')) {
      if (w[0] !== 'unicast') r.type = w[0];
      i++;
    }
    r.dst = w[i++] ?? this.fail(argv, 'no destination');
    let nh: FakeNexthop | undefined;
    while (i < w.length) {
      const k = w[i++]!;
      const v = () => w[i++] ?? this.fail(argv, `${k} needs a value`);
      if (k === 'nexthop') {
        nh = { dev: '' };
        (r.nexthops ??= []).push(nh);
        continue;
      }
      const target: FakeRoute | FakeNexthop = nh ?? r;
      if (k === 'via') target.gateway = v();
      else if (k === 'dev') target.dev = v();
      else if (k === 'onlink') target.onlink = true;
      else if (k === 'weight' && nh) nh.weight = Number(v());
      else if (k === 'proto') r.protocol = v();
      else if (k === 'scope') r.scope = v();
      else if (k === 'src') r.prefsrc = v();
      else if (k === 'metric') r.metric = Number(v());
      else if (['mtu', 'advmss', 'window', 'initcwnd', 'initrwnd', 'hoplimit', 'reordering'].includes(k))
        (r.metrics ??= {})[k] = Number(v());
      else this.fail(argv, `Error: either "to" is duplicate, or "${k}" is a garbage.`);
    }
    if (r.nexthops) for (const n of r.nexthops) if (!n.dev) this.fail(argv, 'nexthop without dev');
    return canon(r);
  }
}
