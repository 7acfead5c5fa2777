// For every check: how to break the healthy fixture so that it fires, and the fix applied to the
// broken copy, after which it must not fire. `check` looks at the finding itself.
import assert from 'node:assert/strict';
import type { Finding } from '../../../src/doctor/finding.js';
import type { DoctorInput } from '../../../src/doctor/input.js';
import { parseRoutes } from '../../../src/observe/parse.js';
import { bondRulesOf } from '../../../src/bonds/weighted/plan.js';
import { policyRules, tableOf } from '../../../src/bonds/weighted/policy.js';
import { chainRules, jumpRules, ruleTag, stripeMap } from '../../../src/bonds/weighted/ruleset.js';
import { pcPolicyRules, pcTableOf } from '../../../src/bonds/per-connection/per-connection.js';
import { probeTableOf } from '../../../src/bonds/teql/probe-routes.js';
import { daemonFile, even, iface, link, siteEntry, traffic } from './fixture.js';

export interface Case {
  id: string;
  name: string;
  break(x: DoctorInput): void;
  fix(x: DoctorInput): void;
  check?(f: Finding, all: Finding[]): void;
}

const qdisc = (x: DoctorInput, dev: string) => {
  const q = x.observed.qdiscs.find((v) => v.dev === dev && v.root);
  if (!q) throw new Error(`no qdisc on ${dev}`);
  return q;
};
const lk = (x: DoctorInput, name: string) => {
  const l = x.observed.links.find((v) => v.name === name);
  if (!l) throw new Error(`no link ${name}`);
  return l;
};
const setFlags = (x: DoctorInput, name: string, flags: string[]) => {
  lk(x, name).flags = flags;
  const a = x.after.links.find((v) => v.name === name);
  if (a) a.flags = [...flags];
};
const lineHealth = (x: DoctorInput, line: string) => {
  if (!x.daemon.running) throw new Error('no daemon');
  const h = x.daemon.file.bonds[0]?.lines.find((l) => l.line === line);
  if (!h) throw new Error(`no health of ${line}`);
  return h;
};
const route = (json: object) => parseRoutes(JSON.stringify([json]))[0]!;

/** The fixture's bond made a weighted one ([wbond0], weights 2:1:2:1), its kernel state missing. */
function makeWeighted(x: DoctorInput): void {
  const b = x.desired.bonds[0]!;
  Object.assign(b, {
    name: 'wbond0',
    kind: 'weighted',
    weights: b.slaves.map((s, i) => ({
      name: s.name,
      bps: i % 2 ? 768_000 : 1_536_000,
      how: 'test',
      weight: i % 2 ? 1 : 2,
    })),
  });
  x.observed.links.push(link('wbond0', 40, {}, ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP']));
  x.observed.addrs.push({ dev: 'wbond0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true });
  x.observed.policy = { nftAvailable: true, nft: undefined, rules: [], tables: {} };
}

/** What `wanbond up` leaves in the kernel for the weighted bond: its draw, tables, rules and main's route. */
function applyWeighted(x: DoctorInput): void {
  const b = x.desired.bonds[0]!;
  const lines = b.slaves.map((s) => s.name);
  const want = bondRulesOf(b);
  x.observed.policy = {
    nftAvailable: true,
    nft: {
      sets: {},
      draws: { wbond0: stripeMap(want).entries.map(([, m]) => m) },
      chains: {
        pre: {
          hook: 'prerouting',
          type: 'filter',
          prio: -150,
          rules: 1,
          jumps: ['wbond0'],
          tags: [ruleTag(jumpRules(want).pre)],
        },
        out: {
          hook: 'output',
          type: 'route',
          prio: -150,
          rules: 1,
          jumps: ['wbond0'],
          tags: [ruleTag(jumpRules(want).out)],
        },
        wbond0: { rules: 1, jumps: [], tags: [''] },
      },
    },
    rules: policyRules([{ index: b.index, lines }]).map((r) => ({
      priority: r.priority,
      fwmark: r.fwmark,
      mask: r.mask,
      table: String(r.table),
      ...(r.suppressPrefixlength !== undefined ? { suppressPrefixlength: r.suppressPrefixlength } : {}),
    })),
    tables: Object.fromEntries(
      lines.map((l, k) => [
        tableOf(b.index, k),
        [route({ dst: 'default', dev: l, prefsrc: '10.0.0.0', scope: 'link' })],
      ]),
    ),
  };
  x.observed.routes = x.observed.routes.filter((r) => r.dst !== 'default');
  x.observed.routes.push(
    route({
      dst: 'default',
      prefsrc: '10.0.0.0',
      nexthops: (b.weights ?? []).map((w) => ({ dev: w.name, weight: w.weight })),
    }),
  );
}
/** The fixture's bond made a per-connection one ([pcbond0], its lines as NATed uplinks), as `wanbond up` leaves it. */
function makeAppliedPc(x: DoctorInput): void {
  const b = x.desired.bonds[0]!;
  const uplinks = b.slaves.map((s, k) => ({
    name: s.name,
    address: `100.64.${k + 1}.2`,
    gateway: `100.64.${k + 1}.1`,
    weight: 1,
    bps: undefined,
    measure: 'in' as const,
  }));
  for (const u of uplinks)
    x.observed.addrs.push({ dev: u.name, local: u.address, prefixlen: 30, noprefixroute: false });
  Object.assign(b, {
    name: 'pcbond0',
    kind: 'per-connection',
    address: '',
    rpFilter: 2,
    uplinks,
    balance: 'weight',
    weights: uplinks.map((u) => ({ name: u.name, bps: 0, how: 'test', weight: 1 })),
  });
  const want = bondRulesOf(b);
  const tags = (c: 'pre' | 'mss' | 'post') => chainRules(want)[c].map(ruleTag);
  x.observed.policy = {
    nftAvailable: true,
    conntrack: true,
    nft: {
      sets: {},
      draws: { pcbond0: stripeMap(want).entries.map(([, m]) => m) },
      chains: {
        pre: {
          hook: 'prerouting',
          type: 'filter',
          prio: -150,
          rules: tags('pre').length,
          jumps: ['pcbond0'],
          tags: tags('pre'),
        },
        out: { hook: 'output', type: 'route', prio: -150, rules: 0, jumps: [], tags: [] },
        mss: { hook: 'forward', type: 'filter', prio: -150, rules: 1, jumps: [], tags: tags('mss') },
        post: { hook: 'postrouting', type: 'nat', prio: 100, rules: uplinks.length, jumps: [], tags: tags('post') },
        pcbond0: { rules: 1, jumps: [], tags: [''] },
      },
    },
    rules: pcPolicyRules([b]).map((r) => ({
      priority: r.priority,
      table: String(r.table),
      ...(r.fwmark !== undefined ? { fwmark: r.fwmark, mask: r.mask } : {}),
      ...(r.from ? { from: r.from } : {}),
      ...(r.oif ? { oif: r.oif } : {}),
      ...(r.suppressPrefixlength !== undefined ? { suppressPrefixlength: r.suppressPrefixlength } : {}),
    })),
    tables: Object.fromEntries(
      uplinks.map((u, k) => [pcTableOf(b.index, k), [route({ dst: 'default', dev: u.name, gateway: u.gateway })]]),
    ),
  };
  x.observed.routes = x.observed.routes.filter((r) => r.dst !== 'default');
  x.observed.routes.push(
    route({ dst: 'default', nexthops: uplinks.map((u) => ({ gateway: u.gateway, dev: u.name })) }),
  );
}

/**
 * The fixture's bond made a DSL-router site (gateway 10.0.0.1, each line on a /30 with its router) with
 * every line's probe route and rule as `up` sets them; `noAddress` and `noRule` leave one line's out.
 */
/** Line k's probe rule as `ip -j rule` reads back: its mark, to its table. */
const probeRule = (k: number) => ({
  priority: 7765,
  fwmark: 0x7765_0001 + k,
  mask: 0xffffffff,
  table: String(probeTableOf(0, k)),
});

function makeDslSite(x: DoctorInput, without: { noAddress?: string; noRule?: string; noSource?: string } = {}): void {
  const b = x.desired.bonds[0]!;
  b.gateway = '10.0.0.1';
  x.observed.routes = x.observed.routes.map((r) => (r.dst === 'default' ? { ...r, gateway: '10.0.0.1' } : r));
  x.observed.policy = { nftAvailable: true, nft: undefined, rules: [], tables: {} };
  for (const [k, sl] of b.slaves.entries()) {
    if (sl.name !== without.noAddress)
      x.observed.addrs.push({ dev: sl.name, local: `192.0.2.${4 * k + 1}`, prefixlen: 30, noprefixroute: false });
    // From the bond's own address (10.0.0.0 of the fixture's 10.0.0.0/31), as `up` writes it.
    const src = sl.name === without.noSource ? {} : { prefsrc: '10.0.0.0' };
    x.observed.policy.tables[probeTableOf(0, k)] = [
      route({ dst: 'default', dev: sl.name, gateway: `192.0.2.${4 * k + 2}`, ...src }),
      route({ type: 'unreachable', dst: 'default', metric: 4294967295, flags: [] }),
    ];
    if (sl.name !== without.noRule) x.observed.policy.rules.push(probeRule(k));
  }
}

const fixHas = (re: RegExp) => (f: Finding) =>
  assert.ok(
    f.fix.some((l) => re.test(l)),
    f.fix.join('\n'),
  );

export const CASES: Case[] = [
  // --- kernel ---
  {
    id: 'kernel.no-teql',
    name: 'a kernel without sch_teql (Ubuntu without modules-extra)',
    break: (x) => {
      x.observed.teql.loaded = false;
      x.kernel.teqlModule = false;
      x.kernel.release = '5.15.0-91-generic';
      x.kernel.osRelease = 'ID=ubuntu\nID_LIKE=debian\n';
      x.observed.links = x.observed.links.filter((l) => l.name !== 'teql0');
    },
    fix: (x) => {
      x.kernel.teqlModule = true;
      x.observed.teql.loaded = true;
      x.observed.links.push(link('teql0', 5));
    },
    check: (f, all) => {
      fixHas(/^apt-get install linux-modules-extra-5\.15\.0-91-generic$/)(f);
      assert.ok(!all.some((v) => v.id === 'bond.not-up'), 'one finding for one cause');
    },
  },
  {
    id: 'kernel.too-few-equalizers',
    name: 'sch_teql loaded with 1 equalizer, a second bond configured',
    break: (x) => {
      x.desired.bonds.push({
        name: 'teql1',
        kind: 'teql',
        index: 1,
        slaves: [{ name: 'eth2', device: undefined, where: 'f:1' }],
        address: '10.0.1.0/31',
        routes: [],
        rpFilter: 2,
        mtu: undefined,
      });
      x.desired.maxEqualizers = 2;
    },
    fix: (x) => {
      x.observed.links.push(link('teql1', 6));
    },
    check: (f) => {
      assert.equal(f.bond, 'teql1');
      assert.deepEqual(f.fix.slice(0, 3), [
        'wanbond down',
        'modprobe -r sch_teql',
        'modprobe sch_teql max_equalizers=2',
      ]);
      assert.match(f.interrupts ?? '', /unloading sch_teql deletes every teql device: teql0/);
    },
  },
  {
    id: 'kernel.too-few-equalizers',
    name: 'a built-in TEQL: a kernel parameter and a reboot',
    break: (x) => {
      x.observed.teql.builtin = true;
      x.desired.bonds.push({
        name: 'teql1',
        kind: 'teql',
        index: 1,
        slaves: [],
        address: '10.0.1.0/31',
        routes: [],
        rpFilter: 2,
        mtu: undefined,
      });
      x.desired.maxEqualizers = 2;
    },
    fix: (x) => {
      x.observed.links.push(link('teql1', 6));
    },
    check: (f) => {
      assert.match(f.fix[0] ?? '', /sch_teql\.max_equalizers=2 to GRUB_CMDLINE_LINUX/);
      assert.match(f.interrupts ?? '', /reboot/);
    },
  },
  {
    id: 'kernel.teql-race',
    name: 'Debian 6.1.76: before the slaves_lock fix',
    break: (x) => {
      x.kernel.procVersion =
        'Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) ' +
        '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n';
      x.kernel.release = '6.1.0-18-amd64';
    },
    fix: (x) => {
      x.kernel.procVersion = 'Linux version 6.1.0-30-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.180-1 (2026-08-01)\n';
      x.kernel.release = '6.1.0-30-amd64';
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.deepEqual(f.fix, ['apt-get update', 'apt-get install linux-image-amd64', 'reboot']);
      assert.match(f.what, /6\.1\.0-18-amd64 \(Debian 6\.1\.76\)/);
    },
  },
  {
    id: 'kernel.teql-race',
    name: 'a kernel whose number proves nothing: an info, with where to look',
    break: (x) => {
      x.kernel.procVersion = undefined;
      x.kernel.release = '6.1.0-18-amd64';
    },
    fix: (x) => {
      x.kernel.procVersion = 'Linux version 6.1.0-30-amd64 #1 SMP Debian 6.1.181-1\n';
    },
    check: (f) => {
      assert.equal(f.severity, 'info');
      assert.deepEqual(f.fix, ['zgrep -i slaves_lock /usr/share/doc/linux-image-6.1.0-18-amd64/changelog.gz']);
    },
  },
  {
    id: 'kernel.teql-oops',
    name: '5.4.100: teql0 on teql0 oopses',
    break: (x) => {
      x.kernel.procVersion = undefined;
      x.kernel.release = '5.4.100';
    },
    fix: (x) => {
      x.kernel.release = '5.4.112';
    },
    check: (f) => assert.equal(f.severity, 'info'),
  },
  {
    id: 'kernel.veth-tun-slave',
    name: "a veth slave (the lab's double free)",
    break: (x) => {
      x.linkKinds!['w2g1ppp'] = 'veth';
    },
    fix: (x) => {
      x.linkKinds!['w2g1ppp'] = '';
    },
    check: (f) => {
      assert.equal(f.line, 'w2g1ppp');
      assert.equal(f.severity, 'info');
      assert.match(f.why, /NET_XMIT_DROP/);
    },
  },
  {
    id: 'kernel.veth-tun-slave',
    name: 'a tun slave',
    break: (x) => {
      x.linkKinds!['w3g1ppp'] = 'tun';
    },
    fix: (x) => {
      x.linkKinds!['w3g1ppp'] = '';
    },
  },
  // --- config ---
  {
    id: 'config.dyn-intr-cfg',
    name: 'DYN_INTR_CFG missing on a LIP PPP line',
    break: (x) => {
      const i = iface(x, 'w2g1ppp');
      i.dynIntrCfg = undefined;
      i.dynIntrCfgRaw = undefined;
      i.visibility = 'carrier';
    },
    fix: (x) => {
      const i = iface(x, 'w2g1ppp');
      i.dynIntrCfg = 'YES';
      i.dynIntrCfgRaw = 'YES';
      i.visibility = 'driver-downs';
    },
    check: (f) => {
      assert.deepEqual(f.fix, ['wanbond config fix --only w2g1ppp', 'wanbond up']);
      assert.match(f.interrupts ?? '', /wanpipe2's lines \(w2g1ppp\) leave the bond/);
    },
  },
  {
    id: 'config.misnamed-section',
    name: '[ w2g1ppp ] with spaces',
    break: (x) => {
      iface(x, 'w2g1ppp').misnamedSection = { name: ' w2g1ppp ', line: 30 };
    },
    fix: (x) => {
      iface(x, 'w2g1ppp').misnamedSection = undefined;
    },
  },
  {
    id: 'config.invisible-failure',
    name: 'a line that stays up when dead, no probe: an error',
    break: (x) => {
      const i = iface(x, 'w2g1ppp');
      i.visibility = 'none';
      i.dynIntrCfgApplies = false;
      i.why = 'does not implement DYN_INTR_CFG';
      x.daemon = { running: false, why: 'no watch daemon has run since boot (wanbond watch)', file: undefined };
      x.settings.watch.probes['w2g1ppp'] = null;
    },
    fix: (x) => {
      iface(x, 'w2g1ppp').visibility = 'driver-downs';
    },
    check: (f) => assert.equal(f.severity, 'error'),
  },
  {
    id: 'config.invisible-failure',
    name: 'the same line with the daemon probing it: a warning',
    break: (x) => {
      const i = iface(x, 'w2g1ppp');
      i.visibility = 'none';
      i.dynIntrCfgApplies = false;
      i.why = 'does not implement DYN_INTR_CFG';
    },
    fix: (x) => {
      iface(x, 'w2g1ppp').visibility = 'driver-downs';
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.match(f.why, /probe to 198\.51\.100\.6/);
    },
  },
  {
    id: 'config.dynamic-ip',
    name: 'DYN_INTR_CFG = YES on WAN_MULTPPP',
    break: (x) => {
      x.site!.devices.find((d) => d.name === 'wanpipe2')!.configId = 'WAN_MULTPPP';
    },
    fix: (x) => {
      iface(x, 'w2g1ppp').dynIntrCfg = 'NO';
      iface(x, 'w2g1ppp').visibility = 'none';
    },
  },
  {
    id: 'config.wanconfig-note',
    name: 'DYN_INTR_CFG set twice: the last one wins',
    break: (x) => {
      x.site!.files[0]!.notes.push({
        line: 31,
        what: 'DYN_INTR_CFG is set 2 times in [w1g1ppp] (lines 30, 31): wanconfig applies them in order',
        hint: 'keep one DYN_INTR_CFG line in [w1g1ppp]',
      });
    },
    fix: (x) => {
      x.site!.files[0]!.notes.length = 0;
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.match(f.what, /:31: DYN_INTR_CFG is set 2 times/);
    },
  },
  {
    id: 'config.stale-driver',
    name: 'file fixed, driver running the old value',
    break: (x) => {
      x.observed.staleDrivers = [
        {
          device: 'wanpipe3',
          driver: { w3g1ppp: 'NO' },
          since: '2026-11-26T09:00:00.000Z',
          why: 'DYN_INTR_CFG was written while wanpipe3 was running',
        },
      ];
    },
    fix: (x) => {
      x.observed.staleDrivers = [];
    },
    check: (f) => {
      // `wanbond up` restarts it one device at a time, its lines out of the bond first (issue 22 defect 8).
      assert.deepEqual(f.fix, ['wanbond up']);
      assert.match(f.interrupts ?? '', /wanpipe3's lines \(w3g1ppp\) leave the bond while the device restarts/);
      assert.equal(f.bond, 'teql0');
    },
  },
  // --- card ---
  {
    id: 'card.device-stopped',
    name: 'wanpipe3 not started',
    break: (x) => {
      x.observed.wanrouterDevices = x.observed.wanrouterDevices!.filter((d) => d.name !== 'wanpipe3');
    },
    fix: (x) => {
      x.observed.wanrouterDevices!.push({ name: 'wanpipe3', status: 'Connected' });
    },
  },
  {
    id: 'card.device-stopped',
    name: 'wanrouter not running at all: one finding',
    break: (x) => {
      x.observed.wanrouterDevices = undefined;
    },
    fix: (x) => {
      x.observed.wanrouterDevices = ['wanpipe1', 'wanpipe2', 'wanpipe3', 'wanpipe4'].map((name) => ({
        name,
        status: 'Connected',
      }));
    },
    check: (f, all) => {
      assert.equal(all.filter((v) => v.id === 'card.device-stopped').length, 1);
      assert.match(f.what, /wanpipe1, wanpipe2, wanpipe3, wanpipe4 are not started/);
    },
  },
  {
    id: 'card.device-disconnected',
    name: 'wanpipe2 Disconnected',
    break: (x) => {
      x.observed.wanrouterDevices!.find((d) => d.name === 'wanpipe2')!.status = 'Disconnected';
    },
    fix: (x) => {
      x.observed.wanrouterDevices!.find((d) => d.name === 'wanpipe2')!.status = 'Connected';
    },
    check: (f) => assert.deepEqual(f.fix, ['wanpipemon -i w2g1 -c Ta', 'cat /proc/net/wanrouter/wanpipe2']),
  },
  {
    id: 'card.t1-alarm',
    name: 'RED and LOS on wanpipe2',
    break: (x) => {
      x.after.alarms['wanpipe2']!.active = ['RED', 'LOS'];
    },
    fix: (x) => {
      x.after.alarms['wanpipe2']!.active = [];
    },
    check: (f) => {
      assert.equal(f.line, 'w2g1ppp');
      assert.match(f.why, /LOS: no signal at all/);
    },
  },
  {
    id: 'card.errors-rising',
    name: 'CRC errors rising on wanpipe4',
    break: (x) => {
      x.after.alarms['wanpipe4']!.counters['CRC errors'] = 17;
    },
    fix: (x) => {
      x.after.alarms['wanpipe4']!.counters['CRC errors'] = 3;
    },
    check: (f) => assert.match(f.what, /wanpipe4: CRC errors \+14 in 2\.0 s/),
  },
  // --- bond ---
  {
    id: 'bond.not-up',
    name: 'teql0 down ("don\'t forget ip link set up")',
    break: (x) => {
      setFlags(x, 'teql0', ['POINTOPOINT', 'NOARP']);
    },
    fix: (x) => {
      setFlags(x, 'teql0', ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP']);
    },
    check: (f) => assert.match(f.why, /Don't forget the 'ip link set up' command!/),
  },
  {
    id: 'bond.not-up',
    name: 'sch_teql not loaded: no teql0',
    break: (x) => {
      x.observed.teql.loaded = false;
      x.observed.links = x.observed.links.filter((l) => l.name !== 'teql0');
    },
    fix: (x) => {
      x.observed.teql.loaded = true;
      x.observed.links.push(link('teql0', 5));
    },
  },
  {
    id: 'bond.queue-held',
    name: 'a hold left behind by a killed wanbond',
    break: (x) => {
      Object.assign(qdisc(x, 'teql0'), { kind: 'plug', handle: 'eb0d:' });
    },
    fix: (x) => {
      Object.assign(qdisc(x, 'teql0'), { kind: 'pfifo_fast', handle: '0:' });
    },
    check: (f) => assert.deepEqual(f.fix, ['tc qdisc del dev teql0 root handle eb0d:']),
  },
  {
    id: 'bond.address-missing',
    name: 'teql0 without its address',
    break: (x) => {
      x.observed.addrs = x.observed.addrs.filter((a) => a.dev !== 'teql0');
    },
    fix: (x) => {
      x.observed.addrs.push({ dev: 'teql0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true });
    },
    check: (f) => assert.deepEqual(f.fix, ['ip addr add 10.0.0.0/31 dev teql0 noprefixroute']),
  },
  {
    id: 'bond.slave-missing',
    name: 'w2g1ppp gone although wanpipe2 runs',
    break: (x) => {
      x.observed.links = x.observed.links.filter((l) => l.name !== 'w2g1ppp');
      x.before.links = x.observed.links;
    },
    fix: (x) => {
      x.observed.links.push(link('w2g1ppp', 31));
    },
    check: (f) => assert.deepEqual(f.fix, ['wanrouter restart wanpipe2', 'wanbond up']),
  },
  {
    id: 'bond.slave-missing',
    name: 'a plain slave that does not exist',
    break: (x) => {
      x.desired.bonds[0]!.slaves.push({ name: 'eth7', device: undefined, where: '/etc/wanbond/wanbond.conf:2' });
    },
    fix: (x) => {
      x.observed.links.push(link('eth7', 40));
      x.observed.qdiscs.push({ dev: 'eth7', kind: 'teql0', handle: '8001:', root: true });
    },
  },
  {
    id: 'bond.slave-not-attached',
    name: 'w2g1ppp not in teql0',
    break: (x) => {
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'pfifo_fast', handle: '0:' });
    },
    fix: (x) => {
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'teql0', handle: '8001:' });
    },
    check: (f) => assert.deepEqual(f.fix, ['wanbond up']),
  },
  {
    id: 'bond.slave-in-other-bond',
    name: 'w2g1ppp a slave of teql1',
    break: (x) => {
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'teql1', handle: '8002:' });
    },
    fix: (x) => {
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'teql0', handle: '8001:' });
    },
    check: (f) =>
      assert.deepEqual(f.fix, [
        'tc qdisc add dev teql1 root handle eb0d: plug',
        'tc qdisc del dev w2g1ppp root teql1',
        'tc qdisc del dev teql1 root handle eb0d:',
        'wanbond up',
      ]),
  },
  {
    id: 'bond.slave-foreign-qdisc',
    name: 'shaping on w2g1ppp',
    break: (x) => {
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'tbf', handle: '8003:' });
    },
    fix: (x) => {
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'teql0', handle: '8001:' });
    },
  },
  {
    id: 'bond.slave-down',
    name: 'w3g1ppp without carrier',
    break: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP', 'UP']);
    },
    fix: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP']);
    },
    check: (f) => assert.deepEqual(f.fix, ['wanpipemon -i w3g1 -c Ta', 'wanrouter status']),
  },
  {
    id: 'bond.slave-down',
    name: 'a wanpipe line set down by hand while its device is Connected without alarm',
    break: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP']);
    },
    fix: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP']);
    },
    check: (f) => {
      assert.deepEqual(f.fix, ['ip link set dev w3g1ppp up']);
      assert.match(f.why, /wanpipe3 is Connected with no T1 alarm/);
    },
  },
  {
    id: 'bond.slave-down',
    name: 'a frame-relay PVC the driver took down, its port Connected without alarm: the carrier, not a hand',
    break: (x) => {
      const i = x.site?.interfaces.find((v) => v.name === 'w3g1ppp');
      if (!i) throw new Error('no w3g1ppp in the site');
      i.mediaAddr = { kind: 'dlci', dlci: 16 };
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP']);
    },
    fix: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP']);
    },
    check: (f) => {
      assert.match(f.why, /the carrier's switch reports DLCI 16 inactive: the driver took the PVC down/);
      assert.equal(f.fix[0], 'wanpipemon -i w3g1 -c clr');
      assert.match(f.fix[1] ?? '', /^# if DLCI 16 is listed inactive, call the carrier/);
      assert.ok(!f.fix.some((l) => l.startsWith('ip link set')), 'never raise a dead PVC by hand');
    },
  },
  {
    id: 'bond.slave-down',
    name: 'a wanpipe line taken down by its driver (device Disconnected)',
    break: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP']);
      x.observed.wanrouterDevices!.find((d) => d.name === 'wanpipe3')!.status = 'Disconnected';
    },
    fix: (x) => {
      setFlags(x, 'w3g1ppp', ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP']);
      x.observed.wanrouterDevices!.find((d) => d.name === 'wanpipe3')!.status = 'Connected';
    },
    check: (f) => {
      assert.deepEqual(f.fix, ['wanpipemon -i w3g1 -c Ta', 'wanrouter status']);
      assert.match(f.why, /the driver takes the interface down/);
    },
  },
  {
    id: 'bond.slave-down',
    name: 'a plain slave set down',
    break: (x) => {
      x.desired.bonds[0]!.slaves.push({ name: 'eth2', device: undefined, where: 'f:2' });
      x.observed.links.push(link('eth2', 41, {}, ['BROADCAST']));
      x.observed.qdiscs.push({ dev: 'eth2', kind: 'teql0', handle: '8001:', root: true });
    },
    fix: (x) => {
      setFlags(x, 'eth2', ['BROADCAST', 'UP', 'LOWER_UP']);
    },
    check: (f) => assert.deepEqual(f.fix, ['ip link set dev eth2 up']),
  },
  {
    id: 'bond.mtu-mismatch',
    name: 'w3g1ppp at MTU 1400',
    break: (x) => {
      lk(x, 'w3g1ppp').mtu = 1400;
    },
    fix: (x) => {
      lk(x, 'w3g1ppp').mtu = 1500;
    },
    check: (f) =>
      assert.deepEqual(
        f.fix,
        ['ip link set dev w3g1ppp mtu 1500', 'wanbond up'],
        "the shrunk line back to the bond's MTU, not the bond down to it",
      ),
  },
  // --- routes ---
  {
    id: 'routes.not-on-bond',
    name: 'the default route via the old gateway',
    break: (x) => {
      x.observed.routes[0] = route({ dst: 'default', gateway: '192.168.1.254', dev: 'eth0', flags: [] });
    },
    fix: (x) => {
      x.observed.routes[0] = route({ dst: 'default', dev: 'teql0', scope: 'link', flags: [] });
    },
    check: (f) => {
      assert.match(f.what, /default goes default via 192\.168\.1\.254 dev eth0/);
      assert.deepEqual(f.fix, ['wanbond up']);
    },
  },
  {
    id: 'routes.not-on-bond',
    name: 'a foreign default with a lower metric wins over ours',
    break: (x) => {
      x.observed.routes[0] = route({ dst: 'default', dev: 'teql0', metric: 100, scope: 'link', flags: [] });
      x.observed.routes.push(route({ dst: 'default', gateway: '192.168.1.254', dev: 'eth0', metric: 10, flags: [] }));
    },
    fix: (x) => {
      x.observed.routes = x.observed.routes.filter((r) => r.dev !== 'eth0' || r.dst !== 'default');
    },
    check: (f) => assert.match(f.what, /metric 100, which loses/),
  },
  {
    id: 'routes.bypass',
    name: 'a route over one line (GATEWAY in interfaces/)',
    break: (x) => {
      x.observed.routes.push(route({ dst: '8.8.8.0/24', gateway: '198.51.100.2', dev: 'w1g1ppp', flags: [] }));
      x.site!.ipFiles.get('w1g1ppp')!.gateway = '198.51.100.2';
    },
    fix: (x) => {
      x.observed.routes = x.observed.routes.filter((r) => r.dst !== '8.8.8.0/24');
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.equal(f.fix[0], 'ip route del 8.8.8.0/24 via 198.51.100.2 dev w1g1ppp');
      assert.match(f.fix[1] ?? '', /remove GATEWAY=198\.51\.100\.2/);
    },
  },
  {
    id: 'routes.bypass',
    name: 'a route via another router: possibly internal, an info',
    break: (x) => {
      x.observed.routes.push(route({ dst: '10.20.0.0/16', gateway: '192.168.1.254', dev: 'eth0', flags: [] }));
    },
    fix: (x) => {
      x.observed.routes.pop();
    },
    check: (f) => assert.equal(f.severity, 'info'),
  },
  {
    id: 'routes.bypass',
    name: 'a bond for one prefix: a more specific part of it elsewhere, not its neighbour',
    break: (x) => {
      x.desired.bonds[0]!.routes = [{ to: '203.0.113.0/24' }];
      x.observed.routes[0] = route({ dst: '203.0.113.0/24', dev: 'teql0', scope: 'link', flags: [] });
      x.observed.routes.push(
        route({ dst: '203.0.113.128/25', gateway: '198.51.100.2', dev: 'w1g1ppp', flags: [] }),
        route({ dst: '203.0.114.0/24', gateway: '198.51.100.2', dev: 'w1g1ppp', flags: [] }),
      );
    },
    fix: (x) => {
      x.observed.routes = x.observed.routes.filter((r) => r.dst !== '203.0.113.128/25');
    },
    check: (f, all) => {
      assert.match(f.what, /^203\.0\.113\.128\/25 via .* \(203\.0\.113\.0\/24\)$/);
      assert.equal(all.filter((v) => v.id === 'routes.bypass').length, 1);
    },
  },
  {
    id: 'routes.fake-31-routed',
    name: 'the fake /31 routed, address without noprefixroute',
    break: (x) => {
      x.observed.routes.push(
        route({ dst: '10.0.0.0/31', dev: 'teql0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.0', flags: [] }),
      );
      x.observed.addrs[0]!.noprefixroute = false;
    },
    fix: (x) => {
      x.observed.routes.pop();
      x.observed.addrs[0]!.noprefixroute = true;
    },
    check: (f) =>
      assert.deepEqual(f.fix, ['ip addr del 10.0.0.0/31 dev teql0', 'ip addr add 10.0.0.0/31 dev teql0 noprefixroute']),
  },
  {
    id: 'routes.fake-31-routed',
    name: 'the fake /31 routed by hand',
    break: (x) => {
      x.observed.routes.push(route({ dst: '10.0.0.0/31', dev: 'teql0', scope: 'link', flags: [] }));
    },
    fix: (x) => {
      x.observed.routes.pop();
    },
    check: (f) => assert.deepEqual(f.fix, ['ip route del 10.0.0.0/31 dev teql0']),
  },
  {
    id: 'routes.gateway-unresolved',
    name: 'a DSL-router site: the router on one line does not answer ARP for the shared gateway',
    break: (x) => {
      const b = x.desired.bonds[0]!;
      b.gateway = '10.0.0.1';
      x.observed.routes = x.observed.routes.map((r) => (r.dst === 'default' ? { ...r, gateway: '10.0.0.1' } : r));
      x.neighbours = b.slaves.map((sl, i) => ({
        dst: '10.0.0.1',
        dev: sl.name,
        state: [i === 1 ? 'FAILED' : 'REACHABLE'],
      }));
    },
    fix: (x) => {
      for (const n of x.neighbours ?? []) n.state = ['REACHABLE'];
    },
    check: (f) => {
      assert.equal(f.line, 'w2g1ppp');
      assert.match(f.what, /w2g1ppp cannot reach the gateway 10\.0\.0\.1/);
      fixHas(/^ip neigh flush dev w2g1ppp to 10\.0\.0\.1$/)(f);
    },
  },
  {
    id: 'routes.probe-route-missing',
    name: 'a DSL-router site: a line with no router known for its probe',
    // Every line's probe route in place, as up sets them; w3g1ppp's router is not known.
    break: (x) => {
      makeDslSite(x, { noAddress: 'w3g1ppp' });
    },
    fix: (x) => {
      x.desired.bonds[0]!.slaves.find((sl) => sl.name === 'w3g1ppp')!.router = '192.0.2.10';
    },
    check: (f) => {
      assert.equal(f.line, 'w3g1ppp');
      assert.equal(f.severity, 'warning');
      fixHas(/^# name the router in \[teql0\] .*routers = w3g1ppp:/)(f);
    },
  },
  {
    id: 'routes.probe-route-missing',
    name: "a DSL-router site: a line's probe route without the bond's address as its source (an older wanbond's)",
    break: (x) => {
      makeDslSite(x, { noSource: 'w2g1ppp' });
    },
    fix: (x) => {
      x.observed.policy!.tables[probeTableOf(0, 1)]![0] = route({
        dst: 'default',
        dev: 'w2g1ppp',
        gateway: '192.0.2.6',
        prefsrc: '10.0.0.0',
      });
    },
    check: (f) => {
      assert.equal(f.line, 'w2g1ppp');
      assert.equal(f.severity, 'error');
      assert.match(f.what, /no default via 192\.0\.2\.6 src 10\.0\.0\.0 in table 77650002/);
      assert.deepEqual(f.fix, ['wanbond up']);
    },
  },
  {
    id: 'routes.probe-route-missing',
    name: "a DSL-router site: a line's probe table without its guard (a marked probe would go by teqlN)",
    break: (x) => {
      makeDslSite(x);
      x.observed.policy!.tables[probeTableOf(0, 2)]!.pop();
    },
    fix: (x) => {
      x.observed.policy!.tables[probeTableOf(0, 2)]!.push(
        route({ type: 'unreachable', dst: 'default', metric: 4294967295, flags: [] }),
      );
    },
    check: (f) => {
      assert.equal(f.line, 'w3g1ppp');
      assert.match(f.what, /no unreachable default metric 4294967295 in table 77650003/);
      assert.deepEqual(f.fix, ['wanbond up']);
    },
  },
  {
    id: 'routes.probe-route-missing',
    name: "a DSL-router site: a line's probe rule gone",
    break: (x) => {
      makeDslSite(x, { noRule: 'w1g1ppp' });
    },
    fix: (x) => {
      x.observed.policy!.rules.push(probeRule(0));
    },
    check: (f) => {
      assert.equal(f.severity, 'error');
      assert.match(f.what, /no rule fwmark 0x77650001 lookup 77650001/);
      assert.deepEqual(f.fix, ['wanbond up']);
    },
  },
  // --- sysctl ---
  {
    id: 'sysctl.rp-filter',
    name: 'conf/all strict: the larger of all and the line wins',
    break: (x) => {
      x.observed.sysctls['net.ipv4.conf.all.rp_filter'] = '1';
    },
    fix: (x) => {
      x.observed.sysctls['net.ipv4.conf.all.rp_filter'] = '0';
    },
    check: (f) => {
      assert.deepEqual(f.fix, ['sysctl -q -w net/ipv4/conf/all/rp_filter=0']);
      assert.match(f.what, /all = 1, w\dg1ppp = 0/);
    },
  },
  {
    id: 'sysctl.rp-filter',
    name: 'one line strict',
    break: (x) => {
      x.observed.sysctls['net.ipv4.conf.w2g1ppp.rp_filter'] = '1';
    },
    fix: (x) => {
      x.observed.sysctls['net.ipv4.conf.w2g1ppp.rp_filter'] = '0';
    },
    check: (f) => assert.deepEqual(f.fix, ['sysctl -q -w net/ipv4/conf/w2g1ppp/rp_filter=0']),
  },
  {
    id: 'sysctl.ip-forward',
    name: 'forwarding off on a router with a LAN',
    break: (x) => {
      x.observed.sysctls['net.ipv4.ip_forward'] = '0';
    },
    fix: (x) => {
      x.observed.sysctls['net.ipv4.ip_forward'] = '1';
    },
    check: (f) => {
      assert.equal(f.severity, 'error');
      assert.deepEqual(f.fix, ['sysctl -q -w net/ipv4/ip_forward=1']);
    },
  },
  // --- traffic ---
  {
    id: 'traffic.far-end-not-equalizing',
    name: "everything received on one line, sent on four (the FAQ's first question)",
    break: (x) => {
      const t = even(0, 100_000);
      t['w1g1ppp']!.rxBytes = 380_000;
      t['w2g1ppp']!.rxBytes = 6000;
      traffic(x, t);
    },
    fix: (x) => {
      traffic(x, even(100_000, 100_000));
    },
    check: (f) => {
      assert.equal(f.line, 'w1g1ppp');
      assert.match(
        f.why,
        /not load balancing down to you.*a single download gets one line's rate, 1\.536 Mbit\/s \(T1, ACTIVE_CH = ALL/,
      );
      assert.ok(f.fix.includes('tc qdisc add dev "$FAR1" root teql0'));
      assert.ok(f.fix.includes('ip addr add 10.0.0.1/31 dev teql0 noprefixroute'));
      assert.ok(f.fix.includes('ip route replace 192.168.1.0/24 dev teql0'), f.fix.join('\n'));
    },
  },
  {
    id: 'traffic.unequal-lines',
    name: 'a fractional T1 (12 timeslots) among full ones',
    break: (x) => {
      siteEntry(x, 'wanpipe2', 'w2g1', 'ACTIVE_CH').value = '1-12';
    },
    fix: (x) => {
      siteEntry(x, 'wanpipe2', 'w2g1', 'ACTIVE_CH').value = 'ALL';
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.match(
        f.why,
        new RegExp(
          String.raw`3\.072 Mbit\/s of the 5\.376 Mbit\/s these lines add up to \(57%\); the same lines ` +
            String.raw`equalized would carry 1\.75x as much\. Without w2g1ppp the bond carries 4\.608 Mbit\/s`,
        ),
      );
      assert.match(
        f.fix[0] ?? '',
        /bond them by weight instead, at about 5\.376 Mbit\/s \(1\.75x\): .*rename \[teql0\] to \[wbond0\]/,
      );
      assert.deepEqual(f.fix.slice(2), [
        '# in [teql0] of /etc/wanbond/wanbond.conf: slaves = w1g1ppp, w3g1ppp, w4g1ppp',
        'systemctl reload wanbond-watch.service',
      ]);
    },
  },
  {
    id: 'traffic.unequal-lines',
    name: 'lines 12x apart: TEQL unusable',
    break: (x) => {
      siteEntry(x, 'wanpipe2', 'w2g1', 'ACTIVE_CH').value = '1-2';
    },
    fix: (x) => {
      siteEntry(x, 'wanpipe2', 'w2g1', 'ACTIVE_CH').value = 'ALL';
    },
    check: (f) => {
      assert.equal(f.severity, 'error');
      assert.match(f.why, /unusable/);
    },
  },
  {
    id: 'bond.weighted-not-applied',
    name: 'a weighted bond whose nft table, tables and rules are gone',
    break: (x) => {
      makeWeighted(x);
    },
    fix: (x) => {
      applyWeighted(x);
    },
    check: (f, all) => {
      assert.match(
        f.what,
        /^wbond0 is not as wanbond set it: route default dev w1g1ppp src 10\.0\.0\.0 table 77620001; .*; and \d+ more$/,
      );
      assert.deepEqual(f.fix, ['wanbond plan', 'wanbond up']);
      assert.deepEqual(
        all.filter((v) => v.id.startsWith('bond.slave') || v.id.startsWith('routes.')),
        [],
        'no TEQL check judges a weighted bond',
      );
    },
  },
  {
    id: 'bond.weighted-no-nft',
    name: 'a weighted bond on a system without nft',
    break: (x) => {
      makeWeighted(x);
      applyWeighted(x);
      x.observed.policy!.nftAvailable = false;
    },
    fix: (x) => {
      x.observed.policy!.nftAvailable = true;
    },
    check: (f) => assert.match(f.fix.join('\n'), /apt-get install nftables/),
  },
  {
    id: 'bond.weighted-unequal-mtu',
    name: 'a weighted bond whose lines differ in MTU (one PPPoE-sized)',
    break: (x) => {
      makeWeighted(x);
      applyWeighted(x);
      lk(x, 'w3g1ppp').mtu = 1492;
    },
    fix: (x) => {
      for (const l of ['w1g1ppp', 'w2g1ppp', 'w4g1ppp']) lk(x, l).mtu = 1492;
    },
    check: (f, all) => {
      assert.equal(f.severity, 'warning');
      assert.equal(f.what, "wbond0's lines differ in MTU: w1g1ppp 1500, w2g1ppp 1500, w3g1ppp 1492, w4g1ppp 1500");
      assert.match(f.why, /fragmented on a 1492 line, or dropped/);
      const lower = ['w1g1ppp', 'w2g1ppp', 'w4g1ppp'].map((l) => `ip link set dev ${l} mtu 1492`);
      assert.deepEqual(f.fix.slice(0, 3), lower);
      assert.deepEqual(
        all.filter((v) => v.id !== f.id),
        [],
        'the bond is applied: nothing else, no TEQL mtu check',
      );
    },
  },
  {
    id: 'bond.ipv6-unbonded',
    name: 'a TEQL line with a global IPv6 address and an IPv6 default over it',
    break: (x) => {
      const at = { devs: ['w2g1ppp'], table: undefined };
      x.observed.ipv6 = {
        addrs: [
          { dev: 'w2g1ppp', local: 'fe80::2', prefixlen: 64, scope: 'link' },
          { dev: 'w2g1ppp', local: '2001:db8:2::2', prefixlen: 64, scope: 'global' },
        ],
        routes: [
          { dst: 'fe80::/64', gateway: undefined, ...at },
          { dst: 'default', gateway: 'fe80::1', ...at },
        ],
      };
    },
    // What `sysctl -w net.ipv6.conf.w2g1ppp.disable_ipv6=1` leaves.
    fix: (x) => {
      x.observed.ipv6 = { addrs: [], routes: [] };
    },
    check: (f) => {
      assert.deepEqual([f.severity, f.bond, f.line], ['warning', 'teql0', 'w2g1ppp']);
      assert.equal(f.what, 'w2g1ppp carries IPv6 outside teql0: address 2001:db8:2::2/64, route default via fe80::1');
      assert.match(f.why, /bonds IPv4 only: IPv6 over a bonded line is neither bonded nor failed over/);
      assert.equal(f.fix[0], 'sysctl -q -w net/ipv6/conf/w2g1ppp/disable_ipv6=1');
    },
  },
  {
    id: 'bond.ipv6-unbonded',
    name: 'a per-connection uplink with a link-local address and an IPv6 default (PPPoE)',
    break: (x) => {
      makeAppliedPc(x);
      x.observed.ipv6 = {
        addrs: [{ dev: 'w3g1ppp', local: 'fe80::3', prefixlen: 64, scope: 'link' }],
        routes: [{ dst: 'default', gateway: 'fe80::1', devs: ['w1g1ppp', 'w3g1ppp'], table: undefined }],
      };
    },
    fix: (x) => {
      x.observed.ipv6!.routes = [];
    },
    check: (f, all) => {
      assert.deepEqual(
        all.filter((v) => v.id === f.id).map((v) => [v.bond, v.line, v.what]),
        [
          ['pcbond0', 'w1g1ppp', 'w1g1ppp carries IPv6 outside pcbond0: route default via fe80::1'],
          ['pcbond0', 'w3g1ppp', 'w3g1ppp carries IPv6 outside pcbond0: route default via fe80::1'],
        ],
      );
    },
  },
  {
    id: 'bond.pc-not-applied',
    name: 'a per-connection bond whose uplink lost its source rule',
    break: (x) => {
      makeAppliedPc(x);
      x.observed.policy!.rules = x.observed.policy!.rules.filter(
        (r) => !(r.priority === 7768 && r.from === '100.64.2.2'),
      );
    },
    fix: (x) => {
      x.observed.policy!.rules.push({ priority: 7768, from: '100.64.2.2', table: String(pcTableOf(0, 1)) });
    },
    check: (f, all) => {
      assert.equal(f.what, 'pcbond0 is not as wanbond set it: ip rule priority 7768 from 100.64.2.2 lookup 77700002');
      assert.deepEqual(f.fix, ['wanbond plan', 'wanbond up']);
      assert.deepEqual(
        all.filter((v) => /^(bond\.slave|routes\.|traffic\.far-end|traffic\.unequal)/.test(v.id)),
        [],
        'no TEQL check judges a per-connection bond',
      );
    },
  },
  {
    id: 'bond.pc-not-applied',
    name: 'a per-connection uplink that does not hold the address the settings give it (SNAT would black-hole it)',
    break: (x) => {
      makeAppliedPc(x);
      x.observed.addrs = x.observed.addrs.filter((a) => a.local !== '100.64.2.2');
      x.observed.addrs.push({ dev: 'w2g1ppp', local: '100.64.9.2', prefixlen: 30, noprefixroute: false });
    },
    fix: (x) => {
      x.observed.addrs = x.observed.addrs.filter((a) => a.local !== '100.64.9.2');
      x.observed.addrs.push({ dev: 'w2g1ppp', local: '100.64.2.2', prefixlen: 30, noprefixroute: false });
    },
    check: (f) => {
      assert.match(f.what, /^pcbond0: w2g1ppp does not hold 100\.64\.2\.2 \(it has .*100\.64\.9\.2\/30\)/);
      assert.match(f.fix.join('\n'), /uplink\.w2g1ppp = [0-9.]+ via 100\.64\.2\.1/);
    },
  },
  {
    id: 'bond.pc-no-conntrack',
    name: 'a per-connection bond on a system without conntrack',
    break: (x) => {
      makeAppliedPc(x);
      x.observed.policy!.conntrack = false;
    },
    fix: (x) => {
      x.observed.policy!.conntrack = true;
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.match(f.fix.join('\n'), /apt-get install conntrack/);
    },
  },
  {
    id: 'traffic.line-dropping',
    name: 'one line dropping what it is handed',
    break: (x) => {
      const t = even();
      t['w4g1ppp']!.txDropped = 40;
      traffic(x, t);
    },
    fix: (x) => {
      traffic(x, even());
    },
    check: (f) => {
      assert.equal(f.line, 'w4g1ppp');
      assert.match(f.what, /dropped 40 packets/);
    },
  },
  // --- watch ---
  {
    id: 'watch.not-running',
    name: 'no daemon',
    break: (x) => {
      x.daemon = { running: false, why: 'the watch daemon stopped at 2026-11-26T09:00:00.000Z', file: undefined };
    },
    fix: (x) => {
      x.daemon = { running: true, stale: false, file: daemonFile() };
    },
    check: (f) => {
      assert.equal(f.bond, undefined);
      assert.ok(f.fix.includes('systemctl enable --now wanbond-watch.service'));
    },
  },
  {
    id: 'watch.not-answering',
    name: 'a daemon whose heartbeat is old',
    break: (x) => {
      if (x.daemon.running) x.daemon.stale = true;
    },
    fix: (x) => {
      if (x.daemon.running) x.daemon.stale = false;
    },
  },
  {
    id: 'watch.all-lines-down',
    name: 'every line down',
    break: (x) => {
      if (x.daemon.running) x.daemon.file.bonds[0]!.allDown = true;
    },
    fix: (x) => {
      if (x.daemon.running) x.daemon.file.bonds[0]!.allDown = false;
    },
  },
  {
    id: 'watch.line-down',
    name: 'a silent black hole the probe found',
    break: (x) => {
      Object.assign(lineHealth(x, 'w2g1ppp'), {
        state: 'down',
        inRing: false,
        reason: 'no answer from 198.51.100.6 for 702 ms',
      });
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'pfifo_fast', handle: '0:' });
    },
    fix: (x) => {
      Object.assign(lineHealth(x, 'w2g1ppp'), { state: 'up', inRing: true, reason: 'answers' });
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'teql0', handle: '8001:' });
    },
    check: (f, all) => {
      assert.equal(f.severity, 'error');
      assert.deepEqual(f.fix, ['ping -c 5 -I w2g1ppp 198.51.100.6', 'wanbond status']);
      assert.deepEqual(
        all.map((v) => v.id),
        ['watch.line-down'],
        'out of the ring on purpose: not "not attached"',
      );
    },
  },
  {
    id: 'watch.line-down',
    name: 'a T1 alarm the daemon acted on while the interface stays up: the line, not its far end',
    break: (x) => {
      Object.assign(lineHealth(x, 'w2g1ppp'), {
        state: 'down',
        inRing: false,
        reason: 'T1 alarm RED',
        alarms: ['RED'],
      });
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'pfifo_fast', handle: '0:' });
    },
    fix: (x) => {
      Object.assign(lineHealth(x, 'w2g1ppp'), { state: 'up', inRing: true, reason: 'answers', alarms: [] });
      Object.assign(qdisc(x, 'w2g1ppp'), { kind: 'teql0', handle: '8001:' });
    },
    check: (f) => {
      assert.match(f.why, /^the card reports RED on the line while the interface stays up/);
      assert.doesNotMatch(f.why, /far end/);
      assert.deepEqual(f.fix, ['wanpipemon -i w2g1 -c Ta', 'wanbond status']);
    },
  },
  {
    id: 'watch.line-suppressed',
    name: 'a flapping line kept out',
    break: (x) => {
      Object.assign(lineHealth(x, 'w3g1ppp'), {
        state: 'probation',
        inRing: false,
        suppressed: true,
        penalty: 2870,
        flaps: 3,
      });
    },
    fix: (x) => {
      Object.assign(lineHealth(x, 'w3g1ppp'), { state: 'up', inRing: true, suppressed: false, penalty: 0, flaps: 0 });
    },
  },
  {
    id: 'watch.no-probe-target',
    name: 'a line without a far end to probe (daemon running)',
    break: (x) => {
      lineHealth(x, 'w2g1ppp').probe = null;
      x.site!.ipFiles.get('w2g1ppp')!.pointopoint = undefined;
      x.observed.addrs = x.observed.addrs.filter((a) => a.dev !== 'w2g1ppp');
    },
    fix: (x) => {
      x.settings.watch.probes['w2g1ppp'] = '198.51.100.6';
      lineHealth(x, 'w2g1ppp').probe = '198.51.100.6';
    },
    check: (f) => {
      assert.equal(f.severity, 'warning');
      assert.equal(f.what, 'w2g1ppp has no far end to probe');
    },
  },
  {
    id: 'watch.no-probe-target',
    name: 'a per-connection uplink without a probe: the address must be beyond its provider',
    break: (x) => {
      makeAppliedPc(x);
      x.daemon.running && x.daemon.file.bonds[0] && (x.daemon.file.bonds[0].teql = 'pcbond0');
      lineHealth(x, 'w2g1ppp').probe = null;
      x.site!.ipFiles.get('w2g1ppp')!.pointopoint = undefined;
      x.observed.addrs = x.observed.addrs.filter((a) => a.dev !== 'w2g1ppp');
    },
    fix: (x) => {
      x.settings.watch.probes['w2g1ppp'] = '198.51.100.6';
      lineHealth(x, 'w2g1ppp').probe = '198.51.100.6';
    },
    check: (f) => {
      assert.equal(f.bond, 'pcbond0');
      fixHas(/probe\.w2g1ppp = <an address beyond its provider/)(f);
      assert.match(f.why, /keeps its share of the draw/);
    },
  },
  {
    id: 'bond.not-configured',
    name: 'a bond up set up in this boot, its section since deleted from the settings',
    break: (x) => {
      const steps = [
        { kind: 'delete-link' as const, dev: 'wbond1' },
        { kind: 'hold-bond' as const, teql: 'teql0' },
      ];
      x.removed = { bonds: ['wbond1'], steps };
    },
    fix: (x) => {
      delete x.removed;
    },
    check: (f) => {
      assert.equal(
        f.what,
        'wbond1 is no longer in /etc/wanbond/wanbond.conf, but `wanbond up` set it up earlier ' +
          'in this boot and the kernel still has it (1 change to undo)',
      );
      assert.deepEqual(f.fix, ['wanbond up']);
    },
  },
  {
    id: 'bond.unrecorded',
    name: "what looks like a bond of wanbond's, named by neither the settings nor the record",
    break: (x) => {
      x.unrecorded = ['pcbond3'];
    },
    fix: (x) => {
      x.unrecorded = [];
    },
    check: (f) => {
      assert.equal(f.bond, 'pcbond3');
      assert.match(f.why, /cannot tell its changes from anyone else's/);
    },
  },
  {
    id: 'watch.no-probe-target',
    name: 'a far end configured since the daemon started: it probes it after a reload, not iputils',
    break: (x) => {
      if (x.daemon.running) x.daemon.file.probesOff = null;
      lineHealth(x, 'w2g1ppp').probe = null;
    },
    fix: (x) => {
      lineHealth(x, 'w2g1ppp').probe = '198.51.100.6';
    },
    check: (f) => {
      assert.match(f.what, /does not probe w2g1ppp yet, although its far end is now 198\.51\.100\.6/);
      assert.deepEqual(f.fix, ['systemctl reload wanbond-watch.service']);
    },
  },
  {
    id: 'watch.line-unverified',
    name: 'a line in the ring whose probe has never answered, while the others answer',
    break: (x) => {
      for (const l of x.daemon.running ? (x.daemon.file.bonds[0]?.lines ?? []) : []) l.verified = true;
      Object.assign(lineHealth(x, 'w2g1ppp'), { state: 'unverified', verified: false });
    },
    fix: (x) => {
      Object.assign(lineHealth(x, 'w2g1ppp'), { state: 'up', verified: true });
    },
    check: (f) => {
      assert.equal(f.line, 'w2g1ppp');
      assert.match(f.what, /on its link alone: its probe to 198\.51\.100\.\d+ has never answered/);
      assert.match(f.why, /the other lines' probes answer/);
    },
  },
  {
    id: 'watch.line-unverified',
    name: 'no probe of the bond has ever answered: the probes do not come back',
    break: (x) => {
      for (const l of x.daemon.running ? (x.daemon.file.bonds[0]?.lines ?? []) : [])
        Object.assign(l, { state: 'unverified', verified: false });
    },
    fix: (x) => {
      for (const l of x.daemon.running ? (x.daemon.file.bonds[0]?.lines ?? []) : [])
        Object.assign(l, { state: 'up', verified: true });
    },
    check: (f) => {
      assert.match(f.why, /no probe of teql\d has ever answered: the probes do not come back/);
    },
  },
  {
    id: 'watch.no-probe-target',
    name: "a far end configured, the daemon probing none (its ping is not iputils')",
    break: (x) => {
      lineHealth(x, 'w2g1ppp').probe = null;
    },
    fix: (x) => {
      lineHealth(x, 'w2g1ppp').probe = '198.51.100.6';
    },
    check: (f) => {
      assert.match(f.what, /does not probe w2g1ppp, although its far end is 198\.51\.100\.6/);
      assert.equal(f.fix[0], 'ping -V');
    },
  },
  {
    id: 'watch.no-probe-target',
    name: 'probe.<line> = none: a note',
    break: (x) => {
      x.daemon = { running: false, why: 'x', file: undefined };
      x.settings.watch.probes['w2g1ppp'] = null;
    },
    fix: (x) => {
      delete x.settings.watch.probes['w2g1ppp'];
    },
    check: (f) => assert.equal(f.severity, 'info'),
  },
  {
    id: 'watch.no-probe-target',
    name: 'no daemon: no POINTOPOINT, no peer address, no probe setting',
    break: (x) => {
      x.daemon = { running: false, why: 'x', file: undefined };
      x.site!.ipFiles.get('w2g1ppp')!.pointopoint = undefined;
      x.observed.addrs = x.observed.addrs.filter((a) => a.dev !== 'w2g1ppp');
    },
    fix: (x) => {
      x.settings.watch.probes['w2g1ppp'] = '198.51.100.6';
    },
  },
];
