// A small model of the kernel behind ip/tc/sysctl/modprobe/wanrouter, for planner and apply tests.
// It answers reads in the kernel's own JSON shapes and applies changes with the kernel's rules that
// matter to wanbond (teql needs slaves to come up, a slave must exist, the module must be unloaded
// clean). Failures can be injected at any change. Real-kernel behaviour is proved in the lab.
import { CommandError } from '../../src/errors.js';
import type { Command, Runner } from '../../src/exec/runner.js';

interface Link { name: string; ifindex: number; flags: Set<string>; mtu: number }
interface Route { dst: string; dev: string; gateway?: string; metric?: number; protocol?: string; scope?: string }

export interface FakeKernelInit {
  links?: { name: string; mtu?: number; up?: boolean; carrier?: boolean }[];
  addrs?: { dev: string; cidr: string; noprefixroute?: boolean }[];
  routes?: Route[];
  qdiscs?: Record<string, { kind: string; handle: string }>;
  sysctls?: Record<string, string>;
  teqlLoaded?: number; // max_equalizers when already loaded
  wanpipe?: Record<string, string[]>; // device -> interfaces `wanrouter start` creates
  wanrouterRunning?: string[];
  wanrouterProc?: string;
}

export class FakeKernel implements Runner {
  links = new Map<string, Link>();
  addrs: { dev: string; local: string; prefixlen: number; noprefixroute: boolean }[] = [];
  routes: Route[] = [];
  qdiscs = new Map<string, { kind: string; handle: string }>();
  sysctls = new Map<string, string>();
  teql: number | undefined;
  wanpipe: Record<string, string[]>;
  running = new Set<string>();
  wanrouterProc: string;
  /** Every change, as argv (batches expanded to one entry per line). */
  changes: string[][] = [];
  processes = 0;
  /** Throw on the change whose argv (joined by spaces) satisfies this. */
  failWhen: ((argv: string) => boolean) | undefined;
  private nextIndex = 10;

  constructor(init: FakeKernelInit = {}) {
    this.addLink('lo', 65536, true, true);
    for (const l of init.links ?? []) this.addLink(l.name, l.mtu ?? 1500, l.up ?? true, l.carrier ?? true);
    for (const a of init.addrs ?? []) { const [local, len] = a.cidr.split('/'); this.addrs.push({ dev: a.dev, local: local!, prefixlen: Number(len), noprefixroute: a.noprefixroute ?? false }); }
    this.routes = [...(init.routes ?? [])];
    for (const [dev, q] of Object.entries(init.qdiscs ?? {})) this.qdiscs.set(dev, q);
    this.sysctls.set('net.ipv4.ip_forward', '0');
    this.sysctls.set('net.ipv4.conf.all.rp_filter', '1');
    this.sysctls.set('net.ipv4.conf.default.rp_filter', '1');
    for (const l of this.links.keys()) this.sysctls.set(`net.ipv4.conf.${l}.rp_filter`, '1');
    for (const [k, v] of Object.entries(init.sysctls ?? {})) this.sysctls.set(k, v);
    if (init.teqlLoaded) this.loadTeql(init.teqlLoaded);
    this.wanpipe = init.wanpipe ?? {};
    for (const d of init.wanrouterRunning ?? []) this.startDevice(d);
    this.wanrouterProc = init.wanrouterProc ?? '/proc/net/wanrouter';
  }

  private addLink(name: string, mtu: number, up: boolean, carrier: boolean): void {
    const flags = new Set<string>(name.startsWith('teql') ? ['POINTOPOINT', 'NOARP'] : ['POINTOPOINT', 'NOARP', 'MULTICAST']);
    if (up) flags.add('UP');
    if (up && carrier) flags.add('LOWER_UP');
    this.links.set(name, { name, ifindex: this.nextIndex++, flags, mtu });
    this.sysctls.set(`net.ipv4.conf.${name}.rp_filter`, this.sysctls.get('net.ipv4.conf.default.rp_filter') ?? '1');
  }

  private loadTeql(n: number): void {
    this.teql = n;
    for (let i = 0; i < n; i++) if (!this.links.has(`teql${i}`)) this.addLink(`teql${i}`, 1500, false, false);
  }

  private startDevice(d: string): void {
    this.running.add(d);
    for (const i of this.wanpipe[d] ?? []) if (!this.links.has(i)) this.addLink(i, 1500, true, true);
  }

  /** The state as constructor input, for golden fixtures. */
  toInit(): FakeKernelInit {
    return {
      links: [...this.links.values()].filter((l) => l.name !== 'lo').map((l) => ({ name: l.name, mtu: l.mtu, up: l.flags.has('UP'), carrier: l.flags.has('LOWER_UP') })),
      addrs: this.addrs.map((a) => ({ dev: a.dev, cidr: `${a.local}/${a.prefixlen}`, noprefixroute: a.noprefixroute })),
      routes: this.routes, qdiscs: Object.fromEntries(this.qdiscs), sysctls: Object.fromEntries(this.sysctls),
      ...(this.teql ? { teqlLoaded: this.teql } : {}), wanpipe: this.wanpipe, wanrouterRunning: [...this.running],
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
    });
  }

  async readFile(path: string): Promise<string | undefined> {
    if (path === '/proc/modules') return this.teql ? 'sch_teql 16384 0 - Live 0x0\n' : 'veth 40960 0 - Live 0x0\n';
    if (path === `${this.wanrouterProc}/status`) {
      if (this.running.size === 0 && Object.keys(this.wanpipe).length === 0) return undefined;
      return 'Device name | Protocol | Station | Status        |\n' + [...this.running].sort().map((d) => `${d.padEnd(12)}| CHDLC    | N/A     | Connected     |`).join('\n') + '\n';
    }
    const m = /^\/proc\/sys\/(.*)$/.exec(path);
    if (m) {
      const key = (m[1] as string).replace(/^net\/ipv4\/conf\/(.+)\/([a-z_]+)$/, (_x, dev: string, k: string) => `net.ipv4.conf.${dev}.${k}`).replace(/\//g, '.');
      const v = this.sysctls.get(key);
      return v === undefined ? undefined : `${v}\n`;
    }
    return undefined;
  }

  async read(cmd: Command): Promise<string> {
    this.processes++;
    const a = cmd.args.join(' ');
    if (cmd.file === 'ip' && a === '-j -s link show') {
      return JSON.stringify([...this.links.values()].map((l) => ({
        ifindex: l.ifindex, ifname: l.name, flags: [...l.flags], mtu: l.mtu, qdisc: this.qdiscs.get(l.name)?.kind ?? 'noqueue',
        operstate: l.flags.has('LOWER_UP') ? 'UP' : l.flags.has('UP') ? 'DOWN' : 'DOWN', stats64: { rx: { bytes: 0, packets: 0, errors: 0, dropped: 0 }, tx: { bytes: 0, packets: 0, errors: 0, dropped: 0 } },
      })));
    }
    if (cmd.file === 'ip' && a === '-j addr show') {
      return JSON.stringify([...this.links.values()].map((l) => ({
        ifname: l.name, addr_info: this.addrs.filter((x) => x.dev === l.name).map((x) => ({ family: 'inet', local: x.local, prefixlen: x.prefixlen, ...(x.noprefixroute ? { noprefixroute: true } : {}) })),
      })));
    }
    if (cmd.file === 'ip' && a === '-j route show table main') {
      return JSON.stringify(this.routes.map((r) => ({ dst: r.dst, ...(r.gateway ? { gateway: r.gateway } : {}), dev: r.dev, ...(r.protocol ? { protocol: r.protocol } : {}), scope: r.scope ?? 'link', ...(r.metric ? { metric: r.metric } : {}), flags: [] })));
    }
    if (cmd.file === 'tc' && a === '-j qdisc show') {
      return JSON.stringify([...this.links.keys()].map((dev) => {
        const q = this.qdiscs.get(dev) ?? { kind: 'noqueue', handle: '0:' };
        return { kind: q.kind, handle: q.handle, dev, root: true, refcnt: 2, options: {} };
      }));
    }
    throw new Error(`unscripted read: ${cmd.file} ${a}`);
  }

  async change(cmd: Command): Promise<void> {
    this.processes++;
    if ((cmd.file === 'ip' || cmd.file === 'tc') && cmd.args[0] === '-batch') {
      const lines = (cmd.input ?? '').split('\n').filter((l) => l.trim() !== '');
      for (let i = 0; i < lines.length; i++) {
        try { this.one(cmd.file, lines[i]!.split(' ')); } catch (e) {
          const err = e as CommandError;
          throw new CommandError([cmd.file, ...cmd.args], 1, `${err.stderr}Command failed -:${i + 1}\n`, err.hint);
        }
      }
      return;
    }
    if (cmd.file === 'sysctl' && cmd.args[0] === '-q' && cmd.args[1] === '-w') {
      for (const kv of cmd.args.slice(2)) this.one('sysctl', ['-q', '-w', kv]);
      return;
    }
    this.one(cmd.file, [...cmd.args]);
  }

  private fail(argv: string[], msg: string): never {
    throw new CommandError(argv, 2, `${msg}\n`, 'fake kernel');
  }

  private one(file: string, args: string[]): void {
    const argv = [file, ...args];
    this.changes.push(argv);
    if (this.failWhen?.(argv.join(' '))) this.fail(argv, 'injected failure');
    const link = (n: string | undefined) => this.links.get(n ?? '') ?? this.fail(argv, `Cannot find device "${n}"`);
    const j = args.join(' ');
    let m: RegExpExecArray | null;
    if (file === 'modprobe') {
      if (args[0] === '-r') {
        if ([...this.qdiscs.values()].some((q) => q.kind.startsWith('teql'))) this.fail(argv, 'modprobe: FATAL: Module sch_teql is in use.');
        for (let i = 0; i < (this.teql ?? 0); i++) { this.links.delete(`teql${i}`); this.sysctls.delete(`net.ipv4.conf.teql${i}.rp_filter`); }
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
        else { this.running.delete(d); for (const i of this.wanpipe[d] ?? []) { this.links.delete(i); this.qdiscs.delete(i); this.addrs = this.addrs.filter((a) => a.dev !== i); this.routes = this.routes.filter((r) => r.dev !== i); this.sysctls.delete(`net.ipv4.conf.${i}.rp_filter`); } }
      }
      return;
    }
    if (file === 'sysctl') {
      const [k, v] = (args[2] ?? '').split('=');
      const key = (k ?? '').replace(/^net\/ipv4\/conf\/(.+)\/([a-z_]+)$/, (_x, dev: string, kk: string) => `net.ipv4.conf.${dev}.${kk}`).replace(/\//g, '.');
      if (!this.sysctls.has(key)) this.fail(argv, `sysctl: cannot stat /proc/sys/${k}: No such file or directory`);
      this.sysctls.set(key, v ?? '');
      return;
    }
    if ((m = /^link set dev (\S+) mtu (\d+)$/.exec(j))) {
      const l = link(m[1]);
      if (l.name.startsWith('teql') && [...this.qdiscs.entries()].some(([d, q]) => q.kind === l.name && this.links.get(d)!.mtu < Number(m![2]))) this.fail(argv, 'RTNETLINK answers: Invalid argument');
      l.mtu = Number(m[2]);
      return;
    }
    if ((m = /^link set dev (\S+) (up|down)$/.exec(j))) {
      const l = link(m[1]);
      if (m[2] === 'up') {
        if (l.name.startsWith('teql')) {
          // teql_master_open: fails without slaves, then takes the smallest slave MTU
          const slaves = [...this.qdiscs.entries()].filter(([, q]) => q.kind === l.name).map(([d]) => this.links.get(d)!);
          if (slaves.length === 0) this.fail(argv, 'RTNETLINK answers: Protocol driver not attached');
          l.mtu = Math.min(...slaves.map((x) => x.mtu));
        }
        l.flags.add('UP'); l.flags.add('LOWER_UP');
      } else { l.flags.delete('UP'); l.flags.delete('LOWER_UP'); }
      return;
    }
    if ((m = /^addr add (\S+)\/(\d+) dev (\S+)( noprefixroute)?$/.exec(j))) {
      link(m[3]);
      if (this.addrs.some((a) => a.dev === m![3] && a.local === m![1])) this.fail(argv, 'RTNETLINK answers: File exists');
      this.addrs.push({ dev: m[3]!, local: m[1]!, prefixlen: Number(m[2]), noprefixroute: m[4] !== undefined });
      return;
    }
    if ((m = /^addr del (\S+)\/(\d+) dev (\S+)$/.exec(j))) {
      const n = this.addrs.length;
      this.addrs = this.addrs.filter((a) => !(a.dev === m![3] && a.local === m![1]));
      if (this.addrs.length === n) this.fail(argv, 'RTNETLINK answers: Cannot assign requested address');
      return;
    }
    if ((m = /^route (replace|del) (\S+)(?: via (\S+))? dev (\S+)(?: proto (\S+))?(?: metric (\d+))?$/.exec(j))) {
      const r: Route = { dst: m[2]!, dev: m[4]!, ...(m[3] ? { gateway: m[3] } : {}), ...(m[5] ? { protocol: m[5] } : {}), ...(m[6] ? { metric: Number(m[6]) } : {}) };
      link(r.dev);
      const same = (x: Route) => x.dst === r.dst && (x.metric ?? 0) === (r.metric ?? 0);
      if (m[1] === 'replace') { this.routes = this.routes.filter((x) => !same(x)); this.routes.push(r); return; }
      const n = this.routes.length;
      this.routes = this.routes.filter((x) => !(same(x) && x.dev === r.dev));
      if (this.routes.length === n) this.fail(argv, 'RTNETLINK answers: No such process');
      return;
    }
    if ((m = /^qdisc replace dev (\S+) root (teql\d+)$/.exec(j))) {
      link(m[1]);
      const master = this.links.get(m[2]!) ?? this.fail(argv, `Error: Specified qdisc kind is unknown.`);
      const slave = link(m[1]);
      // teql_qdisc_init: an up master rejects a smaller slave MTU; a down one lowers its own
      if (master.flags.has('UP') && slave.mtu < master.mtu) this.fail(argv, 'RTNETLINK answers: Invalid argument');
      if (!master.flags.has('UP')) master.mtu = Math.min(master.mtu, slave.mtu);
      this.qdiscs.set(m[1]!, { kind: m[2]!, handle: '8001:' });
      return;
    }
    if ((m = /^qdisc del dev (\S+) root$/.exec(j))) {
      link(m[1]);
      if (!this.qdiscs.has(m[1]!)) this.fail(argv, 'Error: Cannot delete qdisc with handle of zero.');
      this.qdiscs.delete(m[1]!);
      return;
    }
    this.fail(argv, `fake kernel does not know: ${argv.join(' ')}`);
  }
}
