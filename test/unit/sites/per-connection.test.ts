// Per-connection balancing over NATed uplinks (issue 12, part 2) on the fake kernel: settings, what
// up writes (the draw into the connection's mark, SNAT, a table and rules per uplink, main's
// multipath via the gateways), up again, down, the daemon's ring (a dead uplink leaves the draw and
// its connections alone are flushed), the load mode's weights, and records read back.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/errors.js';
import { desiredState } from '../../../src/state/desired.js';
import { observe } from '../../../src/observe/read.js';
import { readRecord } from '../../../src/state/record.js';
import { pcPolicyRules, pcTableOf, pcTables } from '../../../src/bonds/per-connection/per-connection.js';
import { loadWeights, smoothRate, withLoadWeights } from '../../../src/bonds/per-connection/load.js';
import { ringPlan } from '../../../src/watch/ring.js';
import { sysctlKeys } from '../../../src/plan/diff.js';
import { initialHealth } from '../../../src/watch/health.js';
import { describe as say } from '../../../src/plan/steps.js';
import { validateStep } from '../../../src/plan/validate.js';
import type { Step } from '../../../src/plan/steps.js';
import { chainRules, pcMarkOf, ruleTag, tableRuleset } from '../../../src/bonds/weighted/ruleset.js';
import { bondRulesOf } from '../../../src/bonds/weighted/plan.js';
import { parseRules } from '../../../src/bonds/weighted/observe.js';
import { cliWith } from '../../helpers/cli.js';
import { apply, type ApplyDeps } from '../../../src/apply/apply.js';
import { makeLoggerTo, silentLogger } from '../../../src/log.js';
import type { ObservedState } from '../../../src/state/types.js';
import type { Plan } from '../../../src/plan/steps.js';

const engine = (
  kernel: FakeKernel,
  read: () => Promise<ObservedState>,
  replan: (o: ObservedState) => Plan,
): ApplyDeps => ({ runner: kernel, log: silentLogger(), observe: read, replan, fixConfig: async () => undefined });
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';

const PC = '[pcbond0]\nuplink.eth1 = 100.64.1.2 via 100.64.1.1 weight 2\nuplink.eth2 = 100.64.2.2 via 100.64.2.1\n';

const err = (text: string): string => {
  try {
    parseSettings('/etc/wanbond/wanbond.conf', text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return `${e.message} (fix: ${e.hint})`;
  }
  assert.fail('no error');
};

async function site(settings = PC, uplinks = 2, moreLinks: string[] = []) {
  const dir = await tmpDir();
  await fs.writeFile(path.join(dir, 'wanbond.conf'), settings);
  // Each uplink with the address its provider gave it, and a LAN; the operator's own default via uplink 1.
  const ks = Array.from({ length: uplinks }, (_x, i) => i + 1);
  const kernel = new FakeKernel({
    links: ['eth0', ...ks.map((k) => `eth${k}`), ...moreLinks].map((name) => ({ name })),
    addrs: [{ dev: 'eth0', cidr: '10.9.0.1/24' }, ...ks.map((k) => ({ dev: `eth${k}`, cidr: `100.64.${k}.2/30` }))],
  });
  kernel.routes.push({ dst: 'default', dev: 'eth1', gateway: '100.64.1.1' } as (typeof kernel.routes)[number]);
  const args = [
    '--conf-dir',
    path.join(dir, 'none'),
    '--settings',
    path.join(dir, 'wanbond.conf'),
    '--state-dir',
    path.join(dir, 'run'),
  ];
  const desired = desiredState(parseSettings(path.join(dir, 'wanbond.conf'), settings), undefined);
  const read = (conntrack = true) =>
    observe(kernel, {
      sysctls: sysctlKeys(desired),
      wanrouterProc: path.join(dir, 'none'),
      weightedTables: pcTables(desired),
      conntrack,
    });
  // What the daemon judges a bond up from: the record `up` wrote.
  const recorded = async () => (await readRecord(path.join(dir, 'run'), kernel.bootId)).record.steps;
  return { kernel, desired, read, recorded, run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args) };
}

describe('per-connection bonds: settings', () => {
  it(
    'uplinks with address, gateway, weight, rate and direction; defaults: weight 1, measure in, balance ' +
      'weight, routes default, rp_filter 2',
    () => {
      const b = parseSettings(
        'f',
        `${PC}balance = load\nuplink.ppp0 = 192.0.2.7 via 192.0.2.1 rate 8M measure out\n`
          .replace('weight 2', 'weight 2 rate 16M')
          .replace('100.64.2.1', '100.64.2.1 rate 4M'),
      ).bonds[0]!;
      assert.deepEqual(
        [b.kind, b.balance, b.routes, b.rpFilter, b.slaves],
        ['per-connection', 'load', ['default'], 2, ['eth1', 'eth2', 'ppp0']],
      );
      assert.deepEqual(
        b.uplinks.map((u) => [u.name, u.address, u.gateway, u.weight, u.bps, u.measure]),
        [
          ['eth1', '100.64.1.2', '100.64.1.1', 2, 16e6, 'in'],
          ['eth2', '100.64.2.2', '100.64.2.1', 1, 4e6, 'in'],
          ['ppp0', '192.0.2.7', '192.0.2.1', 1, 8e6, 'out'],
        ],
      );
      // Beside a TEQL bond: no clash of addresses (a per-connection bond has none of its own).
      assert.equal(parseSettings('f', `[teql0]\nslaves = wan0, wan1\nroutes = 10.1.0.0/16\n${PC}`).bonds.length, 2);
    },
  );

  it('each mistake at its line, with what to write', () => {
    assert.match(
      err('[pcbond0]\nuplink.eth1 = 100.64.1.2 via 100.64.1.1\n'),
      /:2: \[pcbond0\]: a per-connection bond needs at least two uplinks, found 1/,
    );
    assert.match(
      err(`${PC}uplink.eth3 = 100.64.3.2 100.64.3.1\n`),
      /:4: uplink\.eth3: expected '<address> via <gateway> \.\.\.'/,
    );
    assert.match(
      err(`${PC}uplink.eth3 = 100.64.3.2 via 100.64.3.1 weight 0\n`),
      /:4: uplink\.eth3: 'weight 0' is not weight 1\.\.64/,
    );
    assert.match(
      err(`${PC}uplink.eth3 = 100.64.3.2 via 100.64.3.1 measure sideways\n`),
      /:4: uplink\.eth3: 'measure sideways'/,
    );
    assert.match(err(`${PC}balance = load\n`), /:2: uplink\.eth1: balance = load compares .* and eth1 has no rate/);
    assert.match(err(`${PC}balance = fastest\n`), /:4: balance: expected weight or load/);
    assert.match(
      err(`${PC}uplink.eth3 = 100.64.1.2 via 100.64.3.1\n`),
      /:4: uplink\.eth3: the address 100\.64\.1\.2 is another uplink's/,
    );
    assert.match(
      err(`${PC}slaves = eth1, eth2\n`),
      /:4: unknown setting 'slaves' in \[pcbond0\]: expected one of uplink\.<dev>, balance/,
    );
    assert.match(err(`${PC}mode = weighted\n`), /:4: mode = weighted in \[pcbond0\]: a weighted bond is named wbondN/);
    assert.match(
      err('[teql0]\nmode = per-connection\n'),
      /:2: mode = per-connection in \[teql0\]: a per-connection bond is named pcbondN/,
    );
    assert.match(err(`[teql0]\nslaves = eth1\n${PC}`), /:4: uplink\.eth1: eth1 is already a slave of teql0/);
    assert.match(err(`${PC}uplink.eth3 = 100.64.3.2 via 100.64.3.1 rate fast\n`), /:4: uplink\.eth3: 'rate fast'/);
    assert.equal(parseSettings('f', `${PC}mode = per-connection\n`).bonds[0]?.kind, 'per-connection');
    assert.match(
      err(`${PC}routes = none\n`),
      /:1: \[pcbond0\]: routes = none leaves a per-connection bond nothing to balance/,
    );
    assert.match(
      err(`${PC}uplink.eth3 = 100.64.3.2 via 100.64.3.1 weight 2 weight 3\n`),
      /:4: uplink\.eth3: weight is written twice/,
    );
    assert.match(
      err(
        `${PC}[pcbond1]\nroutes = 192.0.2.0/24\nuplink.eth3 = 100.64.1.2 via 100.64.3.1\n` +
          'uplink.eth4 = 100.64.4.2 via 100.64.4.1\n',
      ),
      /:6: uplink\.eth3: the address 100\.64\.1\.2 is another uplink's/,
    );
    assert.match(
      err(`[teql0]\nslaves = wan0\n${PC}`),
      new RegExp(
        'pcbond0: a default route is already set on teql0 \\(fix: give the default route to one bond ' +
          "only: write 'routes = <prefixes>'",
      ),
    );
  });
});

describe('per-connection bonds: what up writes', () => {
  it(
    "the draw into the connection's mark 2:1, SNAT per uplink, a table and rules per uplink, main's " +
      'multipath via the gateways; up again changes nothing; down restores',
    async () => {
      const { kernel, run } = await site();
      const before = kernel.dump();
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      const c = kernel.changes.map((x) => x.join(' '));
      const nft = kernel.changes.find((x) => x[0] === 'nft');
      assert.ok(nft, c.join('\n'));
      const t1 = pcTableOf(0, 0),
        t2 = pcTableOf(0, 1);
      for (const want of [
        `ip route replace default via 100.64.1.1 dev eth1 table ${t1}`,
        `ip route replace default via 100.64.2.1 dev eth2 table ${t2}`,
        'ip rule add priority 7766 fwmark 0x77630001/0xffffffff lookup 77700001 suppress_prefixlength 0',
        'ip rule add priority 7766 from 100.64.2.2 lookup 77700002 suppress_prefixlength 0',
        'ip rule add priority 7767 fwmark 0x77630000/0xffff0000 lookup main suppress_prefixlength 0',
        'ip rule add priority 7767 from 100.64.1.2 lookup main suppress_prefixlength 0',
        `ip rule add priority 7768 fwmark 0x77630001/0xffffffff lookup ${t1}`,
        `ip rule add priority 7768 from 100.64.2.2 lookup ${t2}`,
        `ip rule add priority 7768 oif eth2 lookup ${t2}`,
        'ip route replace default nexthop via 100.64.1.1 dev eth1 weight 2 nexthop via 100.64.2.1 dev eth2',
        'sysctl -q -w net/ipv4/conf/eth1/rp_filter=2',
      ])
        assert.ok(c.includes(want), `missing: ${want}\n${c.join('\n')}`);
      assert.ok(
        !c.some((x) => /^ip (addr add|link (add|set dev pcbond))/.test(x)),
        'a per-connection bond has no device and no address of its own',
      );
      // The table and rules come before the draw that sends connections there.
      assert.ok(
        c.indexOf(`ip rule add priority 7768 fwmark 0x77630002/0xffffffff lookup ${t2}`) <
          c.findIndex((x) => x.startsWith('nft')),
      );
      const dry = await run('up', '--dry-run');
      assert.equal(dry.out.trim(), 'pcbond0 (eth1, eth2): already up, nothing to change');
      const n = kernel.changes.length;
      assert.equal((await run('up')).code, 0);
      assert.equal(
        kernel.changes.length,
        n,
        `a second up changed: ${kernel.changes
          .slice(n)
          .map((x) => x.join(' '))
          .join('; ')}`,
      );
      const down = await run('down');
      assert.equal(down.code, 0, down.err);
      assert.equal(
        kernel.dump(),
        before,
        "down gives back the operator's default via eth1 and leaves no table, chain, rule or route",
      );
    },
  );

  it(
    'the nft input: new connections from the LAN drawn 2:1 into the ct mark, the mark restored for the ' +
      "LAN's later packets only, SNAT to each uplink's address",
    async () => {
      const { desired } = await site();
      const text = tableRuleset([bondRulesOf(desired.bonds[0]!)]);
      assert.match(text, /add chain ip wanbond post \{ type nat hook postrouting priority srcnat; policy accept; \}/);
      assert.match(
        text,
        new RegExp(
          'add rule ip wanbond pcbond0 ct mark set numgen inc mod 3 map \\{ 0 : 0x77630001, 1 : ' +
            '0x77630002, 2 : 0x77630001 \\}\\n',
        ),
      );
      const ups = '{ "eth1", "eth2" }';
      const draw = `meta mark 0 iifname != ${ups} ct state new ct mark 0 fib daddr oifname ${ups} jump pcbond0`;
      assert.ok(text.includes(`add rule ip wanbond pre ${draw} comment "${ruleTag(draw)}"\n`), text);
      assert.match(
        text,
        /add rule ip wanbond pre iifname "eth2" ct state new ct mark 0 ct mark set 0x77630002 comment/,
        "a port forward in by eth2 is eth2's",
      );
      const restore = `meta mark 0 iifname != ${ups} ct mark & 0xffffff00 == 0x77630000 meta mark set ct mark`;
      assert.ok(
        text.includes(`add rule ip wanbond pre ${restore} comment`),
        "the mark restored, never over the site's",
      );
      assert.ok(
        text.indexOf('jump pcbond0') < text.indexOf('meta mark set ct mark'),
        "the draw before the restore: a new connection's first packet leaves by its uplink",
      );
      assert.match(text, /add rule ip wanbond post oifname "eth1" snat to 100\.64\.1\.2 comment/);
      assert.match(text, /add rule ip wanbond post oifname "eth2" snat to 100\.64\.2\.2 comment/);
      assert.deepEqual(
        chainRules(bondRulesOf(desired.bonds[0]!)).out,
        [],
        "the router's own connections go by main's multipath",
      );
    },
  );

  it(
    "MSS clamp: a forwarded TCP SYN leaving by any uplink gets its MSS clamped to the route's MTU (a PPPoE " +
      'uplink); a table without the clamp is replaced by up',
    async () => {
      const { kernel, desired, run } = await site();
      const text = tableRuleset([bondRulesOf(desired.bonds[0]!)]);
      assert.match(text, /add chain ip wanbond mss \{ type filter hook forward priority mangle; policy accept; \}\n/);
      assert.match(
        text,
        new RegExp(
          'add rule ip wanbond mss oifname \\{ "eth1", "eth2" \\} tcp flags syn tcp option maxseg size ' +
            'set rt mtu comment "wanbond:[0-9a-f]{12}"\\n',
        ),
      );
      assert.equal((await run('up')).code, 0);
      assert.equal(kernel.nft?.chains.get('mss')?.hook, 'forward');
      // A table written by a wanbond without the clamp (or a firewall script that dropped the chain).
      kernel.nft?.chains.delete('mss');
      const plan = await run('plan');
      assert.match(plan.out, /nftables: replace table ip wanbond/, plan.out);
      assert.equal((await run('up')).code, 0);
      assert.equal(kernel.nft?.chains.get('mss')?.rules.length, 1);
      assert.equal((await run('plan')).out.trim(), 'pcbond0 (eth1, eth2): up to date, nothing to change');
    },
  );

  it('a system without nft: up refuses before any change, and says what to install', async () => {
    const { kernel, run } = await site();
    kernel.noNft = true;
    const r = await run('up');
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      /pcbond0: per-connection bonds need nftables, and this system has no nft[\s\S]*apt-get install nftables/,
    );
    assert.equal(kernel.changes.length, 0);
  });

  it('an nft that cannot list: up refuses the bond before any change (what, why, fix); status too', async () => {
    const { kernel, run } = await site();
    kernel.nftCannotList = 'Error: JSON support not compiled-in';
    const r = await run('up');
    assert.equal(r.code, 1);
    assert.match(r.err, /pcbond0: per-connection bonds need nftables, and nft cannot list wanbond's table: /);
    assert.match(r.err, /JSON support not compiled-in\nhint: .*nftables 0\.9\.1 or later built with JSON support/);
    assert.equal(kernel.changes.length, 0);
    const st = await run('status');
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /^pcbond0 \(per-connection, by weight\): unknown \(nft cannot list .*; fix: /);
    kernel.nftCannotList = undefined;
    assert.equal((await run('up')).code, 0);
    kernel.nftCannotList = 'Error: JSON support not compiled-in';
    const down = await run('down');
    assert.match(down.err, /warning: wanbond's nftables table is left as it is: nft cannot list it .*\n/);
    assert.match(down.err, /\n {2}fix: nft delete table ip wanbond/);
    assert.ok(kernel.nft, 'not deleted blind');
    const doctor = await run('doctor', '--json', '--window', '0s');
    const d = JSON.parse(doctor.out) as { bonds: { findings: { id: string; why: string }[] }[] };
    const f = d.bonds.flatMap((b) => b.findings).filter((x) => x.id === 'bond.weighted-no-nft');
    assert.equal(f.length, 1);
    assert.match(f[0]!.why, /an nft that cannot list its table/);
  });

  it('an nft that cannot list, beside a TEQL bond: the TEQL bond goes up, up exits 1 naming the other', async () => {
    const { kernel, run } = await site(`[teql0]\nslaves = wan0, wan1\nroutes = 10.1.0.0/16\n${PC}`, 2, [
      'wan0',
      'wan1',
    ]);
    kernel.nftCannotList = 'Error: JSON support not compiled-in';
    const r = await run('up');
    assert.equal(r.code, 1);
    assert.match(r.out, /^teql0 \(wan0, wan1\): up \(\d+ changes\)\n$/);
    assert.match(r.err, /pcbond0: per-connection bonds need nftables, and nft cannot list .*; the other bonds are up/);
    assert.equal(kernel.qdiscs.get('wan0')?.kind, 'teql0');
    assert.ok(!kernel.changes.some((c) => c[0] === 'nft' || c.join(' ').includes('7768')), "nothing of pcbond0's");
    const again = await run('up');
    assert.equal(again.code, 1);
    assert.match(again.out, /^teql0 \(wan0, wan1\): already up, nothing to change\n$/);
  });

  it('status: the uplinks, their share of the draw', async () => {
    const { run } = await site();
    assert.equal((await run('up')).code, 0);
    const st = await run('status');
    assert.match(
      st.out,
      new RegExp(
        '^pcbond0 \\(per-connection, by weight\\): up, uplinks eth1 100\\.64\\.1\\.2 via 100\\.64\\.1\\.1, ' +
          'eth2 100\\.64\\.2\\.2 via 100\\.64\\.2\\.1, routes default\\n',
      ),
      st.out,
    );
    const j = JSON.parse((await run('status', '--json')).out) as {
      kind: string;
      lines: { name: string; draw: number; enslaved: boolean }[];
    }[];
    assert.deepEqual(
      j[0]?.lines.map((l) => [l.name, l.enslaved, Number(l.draw.toFixed(3))]),
      [
        ['eth1', true, 0.667],
        ['eth2', true, 0.333],
      ],
    );
  });

  it(
    'doctor: nothing to report once up; a deleted uplink rule is named; no conntrack is a warning that ' +
      'says what to install',
    async () => {
      const { kernel, run } = await site();
      assert.equal((await run('up')).code, 0);
      type F = { id: string; what: string };
      const ids = async () => {
        const j = JSON.parse(
          await run('doctor', '--json', '--window', '0s').then((r) => r.out || assert.fail(r.err)),
        ) as { findings: F[]; bonds: { findings: F[] }[] };
        return [...j.findings, ...j.bonds.flatMap((b) => b.findings)].filter((f) => /^bond\./.test(f.id));
      };
      assert.deepEqual(await ids(), []);
      kernel.rules = kernel.rules.filter((r) => r.from !== '100.64.2.2' || r.priority !== 7768);
      const f = await ids();
      assert.deepEqual(
        f.map((x) => x.id),
        ['bond.pc-not-applied'],
      );
      assert.match(f[0]!.what, /ip rule priority 7768 from 100\.64\.2\.2 lookup 77700002/);
      assert.equal((await run('up')).code, 0);
      kernel.noConntrack = true;
      assert.deepEqual(
        (await ids()).map((x) => x.id),
        ['bond.pc-no-conntrack'],
      );
    },
  );
});

describe("per-connection bonds: the daemon's ring", () => {
  const health = (down: string[]) =>
    new Map(
      ['eth1', 'eth2'].map((n) => [
        n,
        { ...initialHealth(n, 0, undefined), ...(down.includes(n) ? { state: 'down' as const } : {}) },
      ]),
    );

  it(
    "a dead uplink leaves the draw and main's route, and only its connections are flushed; back, it is " +
      'drawn again and nothing is flushed',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      assert.equal((await run('up')).code, 0);
      const rec = await recorded();
      kernel.conntrackEntries.set(pcMarkOf(0, 0), 40).set(pcMarkOf(0, 1), 20);
      const h = health(['eth2']);
      const out = ringPlan(desired, h, await read(), [], true, rec);
      assert.deepEqual(out.plan.steps.map(say), [
        'pcbond0: draw from eth1 (was eth1, eth2)',
        `pcbond0: flush eth2's connections from conntrack (mark 0x77630002)`,
        'route default via 100.64.1.1 dev eth1 (replacing default nexthop via 100.64.1.1 dev eth1 weight 2 ' +
          'nexthop via 100.64.2.1 dev eth2)',
      ]);
      // Through the engine, as the daemon applies it (verify included).
      await apply(
        out.plan,
        engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
      );
      assert.deepEqual(
        [kernel.conntrackFlushed, [...kernel.conntrackEntries]],
        [[pcMarkOf(0, 1)], [[pcMarkOf(0, 0), 40]]],
        "the dead uplink's connections alone",
      );
      // The uplink kept out keeps its table route: its probe is routed by it.
      assert.deepEqual(kernel.tables.get(pcTableOf(0, 1))?.length, 1);
      const back = ringPlan(desired, health([]), await read(), [], true, rec);
      assert.deepEqual(back.plan.steps.map(say), [
        'pcbond0: draw from eth1, eth2 (was eth1)',
        'route default nexthop via 100.64.1.1 dev eth1 weight 2 nexthop via 100.64.2.1 dev eth2 (replacing ' +
          'default via 100.64.1.1 dev eth1)',
      ]);
      await apply(
        back.plan,
        engine(kernel, read, (o) => ringPlan(desired, health([]), o, [], true, rec).plan),
      );
      assert.deepEqual(kernel.conntrackFlushed, [pcMarkOf(0, 1)], 'nothing flushed on the way back');
    },
  );

  it(
    'an uplink that carried no connection when it died: conntrack -D deletes nothing and exits 1, and the ' +
      'uplink leaves the draw all the same',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      assert.equal((await run('up')).code, 0);
      const rec = await recorded();
      const h = health(['eth2']);
      const p = ringPlan(desired, h, await read(), [], true, rec).plan;
      const done = await apply(
        p,
        engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
      );
      assert.ok(done.some((s) => s.kind === 'conntrack-flush'));
      assert.deepEqual(ringPlan(desired, h, await read(), [], true, rec).plan.steps, [], 'the draw holds eth1 alone');
    },
  );

  it(
    'a flush that fails otherwise (an entry expired between dump and delete) keeps the dead uplink out of the draw,' +
      ' and says how to flush by hand',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      assert.equal((await run('up')).code, 0);
      const rec = await recorded();
      kernel.conntrackEntries.set(pcMarkOf(0, 1), 20);
      kernel.conntrackRace = true;
      const lines: string[] = [];
      const h = health(['eth2']);
      const log = makeLoggerTo('watch', (l) => lines.push(l));
      const deps = { ...engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan), log };
      const done = await apply(ringPlan(desired, h, await read(), [], true, rec).plan, deps);
      assert.deepEqual(
        done.map((s) => s.kind),
        ['nft-stripe', 'replace-route'],
        'flush not done; no rollback',
      );
      assert.deepEqual(ringPlan(desired, h, await read(), [], true, rec).plan.steps, [], 'the draw holds eth1 alone');
      const said = lines
        .map((l) => JSON.parse(l) as { msg: string; event?: string })
        .filter((l) => l.event === 'cleanup-failed');
      assert.equal(said.length, 1, lines.join('\n'));
      assert.match(said[0]!.msg, /^pcbond0: flush eth2's connections from conntrack \(mark 0x77630002\) failed: /);
      assert.match(said[0]!.msg, /such conntrack doesn't exist; eth2 stays out of the draw, /);
      assert.match(said[0]!.msg, /; run by hand: conntrack -D --mark 0x77630002$/);
    },
  );

  it("a draw change rolled back whole (main's route refused) says so: the draw as before, flush named", async () => {
    const { kernel, run, read, desired, recorded } = await site();
    assert.equal((await run('up')).code, 0);
    const rec = await recorded();
    kernel.conntrackEntries.set(pcMarkOf(0, 1), 20);
    const drawBefore = JSON.stringify(kernel.nft?.chains.get('pcbond0'));
    kernel.failWhen = (argv) => argv === 'ip route replace default via 100.64.1.1 dev eth1';
    const h = health(['eth2']);
    const deps = engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan);
    const err = await apply(ringPlan(desired, h, await read(), [], true, rec).plan, deps).then(
      () => assert.fail('the route was refused'),
      (e: Error) => e.message,
    );
    assert.match(err, /injected failure; rolled back 1 step, the system is as it was except what no undo gives back: /);
    assert.match(err, /gives back: pcbond0: flush eth2's connections/);
    assert.doesNotMatch(err, /rollback incomplete|wanbond down/);
    assert.equal(JSON.stringify(kernel.nft?.chains.get('pcbond0')), drawBefore, 'eth2 drawn again, as before');
  });

  it(
    'a link that flapped while its uplink was out gets its table route back before it is drawn again (else ' +
      'its probe has no route)',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      assert.equal((await run('up')).code, 0);
      const rec = await recorded();
      const h = health(['eth2']);
      const ring = (o: ObservedState) => ringPlan(desired, h, o, [], true, rec).plan;
      await apply(ring(await read()), engine(kernel, read, ring));
      await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'eth2', 'down'] });
      kernel.tables.set(pcTableOf(0, 1), []);
      await kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'eth2', 'up'] });
      const table = pcTableOf(0, 1);
      assert.deepEqual(ring(await read()).steps.map(say), [`route default via 100.64.2.1 dev eth2 table ${table}`]);
    },
  );

  it(
    'without conntrack the uplink still leaves the draw (its connections time out on their own; doctor ' + 'says so)',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      assert.equal((await run('up')).code, 0);
      const rec = await recorded();
      kernel.noConntrack = true;
      const out = ringPlan(desired, health(['eth2']), await read(), [], true, rec);
      assert.deepEqual(
        out.plan.steps.map((s) => s.kind),
        ['nft-stripe', 'replace-route'],
      );
    },
  );

  it('an nft that cannot list: the daemon leaves the per-connection bond alone (why, fix); TEQL goes on', async () => {
    const mixed = `[teql0]\nslaves = wan0, wan1\nroutes = 10.1.0.0/16\n${PC}`;
    const { kernel, run, read, desired } = await site(mixed, 2, ['wan0', 'wan1']);
    assert.equal((await run('up')).code, 0);
    kernel.nftCannotList = 'Error: JSON support not compiled-in';
    const h = new Map(
      ['wan0', 'wan1', 'eth1', 'eth2'].map((n) => [
        n,
        { ...initialHealth(n, 0, undefined), ...(['wan1', 'eth2'].includes(n) ? { state: 'down' as const } : {}) },
      ]),
    );
    const r = ringPlan(desired, h, await read(), [], true);
    const why =
      "nft cannot list wanbond's table: command failed: nft -j list table ip wanbond: " +
      'Error: JSON support not compiled-in';
    assert.deepEqual(
      r.decision.skipped.map((s) => [s.teql, s.why]),
      [['pcbond0', why]],
    );
    assert.match(r.decision.skipped[0]?.fix ?? '', /nftables 0\.9\.1 or later built with JSON support/);
    await apply(
      r.plan,
      engine(kernel, read, (o) => ringPlan(desired, h, o, [], true).plan),
    );
    assert.equal(kernel.qdiscs.get('wan1'), undefined, 'wan1 left teql0');
    assert.deepEqual(kernel.conntrackFlushed, [], "nothing of pcbond0's changed");
  });

  it('the bond taken down (its chain gone): the daemon leaves it alone', async () => {
    const { run, read, desired } = await site();
    const r = ringPlan(desired, health(['eth2']), await read(), [], true);
    assert.deepEqual(
      r.decision.skipped.map((s) => s.teql),
      ['pcbond0'],
    );
    assert.equal(r.plan.steps.length, 0);
    void run;
  });
});

describe('per-connection bonds: balance = load', () => {
  it('by spare capacity: idle lines by their rates, a busy one less, a full one its floor', () => {
    assert.deepEqual(
      loadWeights([
        { name: 'a', capacityBps: 16e6, rateBps: 0 },
        { name: 'b', capacityBps: 8e6, rateBps: 0 },
      ]),
      [2, 1],
    );
    assert.deepEqual(
      loadWeights([
        { name: 'a', capacityBps: 16e6, rateBps: 12e6 },
        { name: 'b', capacityBps: 8e6, rateBps: 0 },
      ]),
      [1, 2],
    );
    assert.deepEqual(
      loadWeights([
        { name: 'a', capacityBps: 4e6, rateBps: 4.5e6 },
        { name: 'b', capacityBps: 4e6, rateBps: 0 },
      ]),
      [1, 16],
    );
    assert.deepEqual(
      loadWeights([
        { name: 'a', capacityBps: 4e6, rateBps: 2e6 },
        { name: 'b', capacityBps: 4e6, rateBps: 2e6 },
      ]),
      [1, 1],
    );
  });

  it("the rate smoothed over intervals; the measured weights replace the settings' for that bond only", async () => {
    assert.equal(smoothRate(undefined, 250_000, 1000), 2e6);
    assert.equal(smoothRate(2e6, 0, 1000), 1e6);
    const { desired } = await site(
      `${PC.replace('weight 2', 'rate 16M').replace('100.64.2.1', '100.64.2.1 rate 8M')}balance = load\n`,
    );
    const d = withLoadWeights(
      desired,
      new Map([
        [
          'pcbond0',
          new Map([
            ['eth1', 1],
            ['eth2', 16],
          ]),
        ],
      ]),
    );
    assert.deepEqual(
      d.bonds[0]?.weights?.map((w) => w.weight),
      [1, 16],
    );
    const { desired: byWeight } = await site();
    assert.deepEqual(
      withLoadWeights(byWeight, new Map([['pcbond0', new Map([['eth1', 1]])]])).bonds[0]?.weights?.map((w) => w.weight),
      [2, 1],
      'balance = weight keeps its weights',
    );
  });
});

describe('per-connection bonds: marks in the order written', () => {
  it(
    "an uplink added at the end leaves the others' marks and tables (their " + 'live connections) as they were',
    async () => {
      const { desired } = await site(
        '[pcbond0]\nuplink.eth2 = 100.64.2.2 via 100.64.2.1\nuplink.eth1 = 100.64.1.2 via 100.64.1.1\n',
      );
      assert.deepEqual(
        desired.bonds[0]?.slaves.map((s) => s.name),
        ['eth2', 'eth1'],
      );
      assert.deepEqual(chainRules(bondRulesOf(desired.bonds[0]!)).post, [
        'oifname "eth2" snat to 100.64.2.2',
        'oifname "eth1" snat to 100.64.1.2',
      ]);
    },
  );
});

describe("per-connection bonds: balance = load and the daemon's measured draw", () => {
  it(
    "up (with the settings' weights) leaves a draw the daemon measured alone; the daemon (with its " +
      "measure) writes it; main's route keeps the settings' weights",
    async () => {
      // weight is not written here: 1:1 until the daemon measures.
      const text = `${PC.replace('weight 2', 'rate 16M').replace('100.64.2.1', '100.64.2.1 rate 8M')}balance = load\n`;
      const { run, read, desired, kernel, recorded } = await site(text);
      assert.equal((await run('up')).code, 0);
      const rec = await recorded();
      const measured = withLoadWeights(
        desired,
        new Map([
          [
            'pcbond0',
            new Map([
              ['eth1', 1],
              ['eth2', 16],
            ]),
          ],
        ]),
      );
      const h = new Map(['eth1', 'eth2'].map((n) => [n, initialHealth(n, 0, undefined)]));
      const p = ringPlan(measured, h, await read(), [], true, rec).plan;
      assert.deepEqual(p.steps.map(say), ['pcbond0: draw from eth1, eth2 (was eth1, eth2)']);
      await apply(
        p,
        engine(kernel, read, (o) => ringPlan(measured, h, o, [], true, rec).plan),
      );
      const n = kernel.changes.length;
      const again = await run('up');
      assert.equal(again.code, 0, again.err);
      assert.equal(
        kernel.changes.length,
        n,
        `up changed the measured draw: ${kernel.changes
          .slice(n)
          .map((x) => x.join(' '))
          .join('; ')}`,
      );
      assert.deepEqual(
        kernel.routes.filter((r) => r.dst === 'default').map((r) => r.nexthops?.map((x) => x.weight ?? 1)),
        [[1, 1]],
        "main's multipath by the settings' weights (1:1), not the measured 1:16",
      );
      const ids = (
        JSON.parse((await run('doctor', '--json', '--window', '0s')).out) as { bonds: { findings: { id: string }[] }[] }
      ).bonds.flatMap((b) => b.findings.map((f) => f.id));
      assert.deepEqual(
        ids.filter((i) => i.startsWith('bond.')),
        [],
        'doctor does not take the measured draw for drift',
      );
    },
  );
});

describe('per-connection bonds: records and rules read back', () => {
  it("a recorded rule of wanbond's shape is read back; anything else is refused", () => {
    const ok = { kind: 'add-rule', rule: { priority: 7768, from: '100.64.1.2', table: 77700001 } };
    assert.deepEqual(validateStep(ok), ok);
    for (const rule of pcPolicyRules(desiredState(parseSettings('f', PC), undefined).bonds))
      assert.deepEqual(
        validateStep({ kind: 'add-rule', rule }),
        { kind: 'add-rule', rule },
        'every rule up writes is read back as it is',
      );
    assert.throws(
      () => validateStep({ kind: 'add-rule', rule: { priority: 7768, from: '100.64.1.2', table: 254 } }),
      /table/,
    );
    assert.throws(
      () => validateStep({ kind: 'add-rule', rule: { priority: 7768, from: '100.64.1.2; reboot', table: 77700001 } }),
      /from/,
    );
    assert.throws(
      () =>
        validateStep({
          kind: 'add-rule',
          rule: { priority: 7768, from: '100.64.1.2', fwmark: 0x77630001, table: 77700001 },
        }),
      /one of them/,
    );
    assert.throws(
      () => validateStep({ kind: 'add-rule', rule: { priority: 7766, from: '100.64.1.2', table: 77700001 } }),
      /suppress_prefixlength/,
    );
    assert.throws(
      () =>
        validateStep({
          kind: 'add-rule',
          rule: { priority: 7767, from: '100.64.1.2', table: 77700001, suppressPrefixlength: 0 },
        }),
      /looks up main/,
    );
    assert.deepEqual(
      validateStep({ kind: 'add-rule', rule: { priority: 7768, oif: 'eth2', table: 77700002 } }).kind,
      'add-rule',
    );
    assert.throws(
      () =>
        validateStep({
          kind: 'add-rule',
          rule: { priority: 7767, oif: 'eth2', table: 'main', suppressPrefixlength: 0 },
        }),
      /device's rule is at 7768/,
    );
    assert.throws(
      () =>
        validateStep({
          kind: 'add-rule',
          rule: { priority: 7767, fwmark: 0x77630001, mask: 0xffffffff, table: 'main', suppressPrefixlength: 0 },
        }),
      /mask/,
    );
    assert.throws(() => validateStep({ kind: 'conntrack-flush', bond: 'pcbond0', dev: 'eth2', mark: 0x1 }), /mark/);
    assert.deepEqual(
      validateStep({ kind: 'conntrack-flush', bond: 'pcbond0', dev: 'eth2', mark: 0x77630002 }).kind,
      'conntrack-flush',
    );
    const bond = {
      bond: 'pcbond0',
      index: 0,
      lines: [
        { name: 'eth1', weight: 2 },
        { name: 'eth2', weight: 1 },
      ],
      inRing: ['eth1', 'eth2'],
      perConnection: { nat: ['100.64.1.2', '100.64.2.2'] },
    };
    assert.deepEqual(validateStep({ kind: 'nft-table', bonds: [bond], replaced: false }), {
      kind: 'nft-table',
      bonds: [bond],
      replaced: false,
    });
    assert.throws(
      () =>
        validateStep({
          kind: 'nft-table',
          bonds: [{ ...bond, perConnection: { nat: ['100.64.1.2', '1.2.3.4 ; flush ruleset'] } }],
          replaced: false,
        }),
      /SNAT/,
    );
    assert.throws(
      () => validateStep({ kind: 'nft-table', bonds: [{ ...bond, bond: 'wbond0' }], replaced: false }),
      /bond name|with the index/,
    );
  });

  it(
    "a rule from one host, as iproute2 prints it (no srclen for a /32), is wanbond's; from a network, " +
      "someone else's",
    () => {
      const text =
        '[{"priority":7767,"src":"100.64.1.2","table":"77700001"},{"priority":7767,"src":"100.64.0.0",' +
        '"srclen":16,"table":"77700001"}]';
      assert.deepEqual(parseRules(text), [
        { priority: 7767, from: '100.64.1.2', table: '77700001' },
        { priority: 7767, table: '77700001', other: true },
      ]);
    },
  );
});

describe("per-connection bonds: one uplink's problem is that uplink's (issue 21)", () => {
  const health = (names: string[], down: string[] = []) =>
    new Map(
      names.map((n) => [
        n,
        { ...initialHealth(n, 0, undefined), ...(down.includes(n) ? { state: 'down' as const } : {}) },
      ]),
    );
  const ip = (kernel: FakeKernel, ...args: string[]) => kernel.change({ file: 'ip', args });
  const renew = async (kernel: FakeKernel, from: string, to: string) => {
    await ip(kernel, 'addr', 'del', from, 'dev', 'eth2');
    await ip(kernel, 'addr', 'add', to, 'dev', 'eth2');
  };
  const draw = (kernel: FakeKernel) =>
    kernel.nft?.chains
      .get('pcbond0')
      ?.rules.map((r) => JSON.stringify(r.expr))
      .join();
  const eth1Alone = JSON.stringify([{ mangle: { key: { ct: { key: 'mark' } }, value: pcMarkOf(0, 0) } }]);
  const mainDefault = (kernel: FakeKernel) =>
    kernel.routes.filter((r) => r.dst === 'default').map((r) => r.nexthops?.map((n) => n.dev) ?? [r.dev]);
  const both = 'route default nexthop via 100.64.1.1 dev eth1 weight 2 nexthop via 100.64.2.1 dev eth2';
  const viaEth1 = 'route default via 100.64.1.1 dev eth1';

  it(
    "a DHCP renew gives an uplink another address: the daemon holds it out of the draw and main's route; " +
      'up says so and exits 1; back, it rejoins',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      // The record `up` wrote: a drawn bond is up for the daemon when it holds it (issue 21 defect 2).
      let rec: Step[] = [];
      assert.equal((await run('up')).code, 0);
      await renew(kernel, '100.64.2.2/30', '100.64.2.9/30');
      // The daemon's ring, every uplink healthy (eth2's probe answers from its new address).
      const h = health(['eth1', 'eth2']);
      const r = ringPlan(desired, h, await read(), [], true, (rec = await recorded()));
      assert.deepEqual(
        r.decision.held.map((x) => [x.name, x.log.fields['has']]),
        [['eth2', ['100.64.2.9/30']]],
      );
      assert.deepEqual(r.plan.steps.map(say), [
        'pcbond0: draw from eth1 (was eth1, eth2)',
        `pcbond0: flush eth2's connections from conntrack (mark 0x77630002)`,
        `${viaEth1} (replacing ${both.replace('route ', '')})`,
      ]);
      await apply(
        r.plan,
        engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
      );
      // up: nothing left to change, and the uplink named with its fix; exit 1.
      const n = kernel.changes.length;
      const up = await run('up');
      assert.equal(up.code, 1, up.err);
      assert.equal(kernel.changes.length, n, 'up changed nothing more');
      assert.match(up.out, /pcbond0 \(eth1, eth2\): already up, nothing to change/);
      const held = String.raw`pcbond0: eth2 does not hold 100\.64\.2\.2 \(it has 100\.64\.2\.9\/30\): held out`;
      assert.match(up.err, new RegExp(`^error: ${held} of the draw and of main's route; `, 'm'));
      assert.match(up.err, /^hint: .*uplink\.eth2 = 100\.64\.2\.9 via 100\.64\.2\.1 .*then run wanbond up/m);
      const st = await run('status');
      assert.match(st.out, new RegExp(String.raw`^ {2}${held}[^\n]*\n {4}fix: .*uplink\.eth2 = 100\.64\.2\.9`, 'm'));
      type Status = { lines: { name: string; heldOut: { what: string } | null }[] }[];
      const j = JSON.parse((await run('status', '--json')).out) as Status;
      assert.deepEqual(
        j[0]?.lines.map((l) => [l.name, l.heldOut !== null]),
        [
          ['eth1', false],
          ['eth2', true],
        ],
      );
      type Doctor = { bonds: { findings: { id: string; line?: string; what: string }[] }[] };
      const doc = JSON.parse((await run('doctor', '--json', '--window', '0s')).out) as Doctor;
      const found = doc.bonds.flatMap((b) => b.findings).filter((f) => f.id.startsWith('bond.'));
      assert.deepEqual(
        found.map((f) => [f.id, f.line]),
        [['bond.pc-not-applied', 'eth2']],
        "the held uplink, and no drift: the draw and main's route are as up sets them",
      );
      // The lease gives the address back: the uplink rejoins.
      await renew(kernel, '100.64.2.9/30', '100.64.2.2/30');
      const back = ringPlan(desired, h, await read(), [], true, (rec = await recorded()));
      assert.deepEqual(back.decision.held, []);
      assert.deepEqual(back.plan.steps.map(say), [
        'pcbond0: draw from eth1, eth2 (was eth1)',
        `${both} (replacing ${viaEth1.replace('route ', '')})`,
      ]);
      await apply(
        back.plan,
        engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
      );
      const again = await run('up');
      assert.equal(again.code, 0, again.err);
      assert.equal(again.err, '');
    },
  );

  it("while one bond's uplink is held, another bond's dead uplink still leaves its draw", async () => {
    const two =
      `${PC}[pcbond1]\nroutes = 192.0.2.0/24\n` +
      'uplink.eth3 = 100.64.3.2 via 100.64.3.1\nuplink.eth4 = 100.64.4.2 via 100.64.4.1\n';
    const { kernel, run, read, desired, recorded } = await site(two, 4);
    // The record `up` wrote: a drawn bond is up for the daemon when it holds it (issue 21 defect 2).
    let rec: Step[] = [];
    assert.equal((await run('up')).code, 0);
    await renew(kernel, '100.64.2.2/30', '100.64.2.9/30');
    const h = health(['eth1', 'eth2', 'eth3', 'eth4'], ['eth4']);
    const r = ringPlan(desired, h, await read(), [], true, (rec = await recorded()));
    const steps = r.plan.steps.map(say);
    assert.ok(steps.includes('pcbond1: draw from eth3 (was eth3, eth4)'), steps.join('\n'));
    assert.ok(steps.includes('pcbond0: draw from eth1 (was eth1, eth2)'), steps.join('\n'));
    await apply(
      r.plan,
      engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
    );
    assert.deepEqual(
      kernel.routes.filter((x) => x.dst === '192.0.2.0/24').map((x) => x.dev),
      ['eth3'],
    );
    const up = await run('up');
    assert.equal(up.code, 1);
    assert.match(up.err, /pcbond0: eth2 does not hold 100\.64\.2\.2/);
  });

  it(
    "a PPPoE reconnect (the link deleted, made again with another address): main's multipath, " +
      'which the kernel dropped, is put back over the live uplink',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      // The record `up` wrote: a drawn bond is up for the daemon when it holds it (issue 21 defect 2).
      let rec: Step[] = [];
      assert.equal((await run('up')).code, 0);
      await ip(kernel, 'link', 'del', 'dev', 'eth2');
      assert.deepEqual(mainDefault(kernel), [], "the kernel drops a multipath route with its nexthop's device");
      await ip(kernel, 'link', 'add', 'dev', 'eth2', 'type', 'dummy');
      await ip(kernel, 'link', 'set', 'dev', 'eth2', 'up');
      await ip(kernel, 'addr', 'add', '100.64.2.9/30', 'dev', 'eth2');
      // The daemon saw the link go (eth2 down), then come back and answer: either way main's route is back over eth1.
      for (const h of [health(['eth1', 'eth2'], ['eth2']), health(['eth1', 'eth2'])]) {
        const r = ringPlan(desired, h, await read(), [], true, (rec = await recorded()));
        await apply(
          r.plan,
          engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
        );
        assert.deepEqual(mainDefault(kernel), [['eth1']]);
        assert.equal(draw(kernel), eth1Alone, 'eth1 alone drawn');
      }
      const up = await run('up');
      assert.equal(up.code, 1, up.err);
      assert.match(up.err, /eth2 does not hold 100\.64\.2\.2 \(it has 100\.64\.2\.9\/30\)/);
    },
  );

  it(
    "an uplink down when up runs is left out of the draw and main's route; " + 'back, the daemon draws it again',
    async () => {
      const { kernel, run, read, desired, recorded } = await site();
      // The record `up` wrote: a drawn bond is up for the daemon when it holds it (issue 21 defect 2).
      let rec: Step[] = [];
      await ip(kernel, 'link', 'set', 'dev', 'eth2', 'down');
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      assert.equal(draw(kernel), eth1Alone, 'eth1 alone drawn');
      assert.deepEqual(mainDefault(kernel), [['eth1']]);
      assert.deepEqual((await run('up')).code, 0);
      await ip(kernel, 'link', 'set', 'dev', 'eth2', 'up');
      const h = health(['eth1', 'eth2']);
      const r = ringPlan(desired, h, await read(), [], true, (rec = await recorded()));
      assert.deepEqual(r.plan.steps.map(say), [
        `route default via 100.64.2.1 dev eth2 table ${pcTableOf(0, 1)}`,
        'pcbond0: draw from eth1, eth2 (was eth1)',
        `${both} (replacing ${viaEth1.replace('route ', '')})`,
      ]);
      await apply(
        r.plan,
        engine(kernel, read, (o) => ringPlan(desired, h, o, [], true, rec).plan),
      );
      const n = kernel.changes.length;
      assert.equal((await run('up')).code, 0);
      assert.equal(kernel.changes.length, n, 'the next up finds it drawn');
    },
  );
});

describe("per-connection bonds: the site's own policy routing and marks (issue 21, 7-9)", () => {
  const INTERNET = '198.51.100.7';
  const lanTo = (dst: string, more: { mark?: number; ct?: { new: boolean; mark: number } } = {}) => ({
    iif: 'eth0',
    src: '10.9.0.5',
    dst,
    ...more,
  });
  // A guest VLAN that the site's own rule sends into a VPN (added without a priority: 32765, after wanbond's).
  const withGuestVpn = (kernel: FakeKernel) => {
    kernel.rules.push({ priority: 32765, iif: 'guest0', table: '100' });
    kernel.tables.set(100, [{ dst: 'default', dev: 'tun0' }]);
  };

  it("7: a guest VLAN that an `iif guest0` rule of the site's sends to a VPN is not drawn; the LAN is", async () => {
    const { kernel, run } = await site();
    withGuestVpn(kernel);
    assert.equal((await run('up')).code, 0);
    const guest = kernel.forward({ iif: 'guest0', src: '10.8.0.5', dst: INTERNET });
    assert.deepEqual(guest, { oif: 'tun0', mark: 0, ctMark: 0 }, "the site's rule routes it, unmarked");
    const lan = kernel.forward(lanTo(INTERNET));
    assert.ok([pcMarkOf(0, 0), pcMarkOf(0, 1)].includes(lan.ctMark), `the LAN is drawn: ${JSON.stringify(lan)}`);
    assert.equal(lan.oif, lan.ctMark === pcMarkOf(0, 0) ? 'eth1' : 'eth2', 'and leaves by the uplink drawn');
    // The rule read back names the interface; a second up changes nothing.
    const n = kernel.changes.length;
    assert.equal((await run('up')).code, 0);
    assert.equal(kernel.changes.length, n);
  });

  it("7: a mark the site set is never overwritten: its connection is not drawn, a drawn one's keeps it", async () => {
    const { kernel, run } = await site();
    assert.equal((await run('up')).code, 0);
    assert.deepEqual(kernel.forward(lanTo(INTERNET, { mark: 0x1 })).ctMark, 0, 'one the site marked is not drawn');
    const later = kernel.forward(lanTo(INTERNET, { mark: 0x1, ct: { new: false, mark: pcMarkOf(0, 1) } }));
    assert.equal(later.mark, 0x1, "the restore leaves the site's mark");
    const unmarked = kernel.forward(lanTo(INTERNET, { ct: { new: false, mark: pcMarkOf(0, 1) } }));
    assert.deepEqual([unmarked.mark, unmarked.oif], [pcMarkOf(0, 1), 'eth2'], 'an unmarked one takes its uplink');
  });

  it("8: with routes = <prefix>, only connections to the prefix are drawn, not those by main's default", async () => {
    const { kernel, run } = await site(`${PC}routes = 192.0.2.0/24\n`);
    assert.equal((await run('up')).code, 0);
    // Not drawn, so no uplink's flush can kill it: its ct mark is 0.
    assert.deepEqual(kernel.forward(lanTo(INTERNET)), { oif: 'eth1', mark: 0, ctMark: 0 }, "main's default has it");
    const draws = [1, 2, 3].map(() => kernel.forward(lanTo('192.0.2.9')));
    const want = [
      [pcMarkOf(0, 0), 'eth1'],
      [pcMarkOf(0, 1), 'eth2'],
      [pcMarkOf(0, 0), 'eth1'],
    ];
    assert.deepEqual(
      draws.map((d) => [d.ctMark, d.oif]),
      want,
      'the prefix is drawn 2:1',
    );
  });

  it("9: routes covering the LAN: the router's replies from an uplink's address stay on the LAN", async () => {
    const { kernel, run } = await site(`${PC}routes = 10.0.0.0/8\n`);
    kernel.routes.push({ dst: '10.9.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.9.0.1' });
    assert.equal((await run('up')).code, 0);
    for (const [src, up] of [
      ['100.64.1.2', 'eth1'],
      ['100.64.2.2', 'eth2'],
    ] as const) {
      assert.equal(kernel.route({ dst: '10.9.0.5', src })?.dev, 'eth0', `a reply from ${src} to a LAN host`);
      assert.equal(kernel.route({ dst: '10.200.0.1', src })?.dev, up, `from ${src} to the rest: its uplink`);
    }
    const c = kernel.changes.map((x) => x.join(' '));
    const lanFirst = 'ip rule add priority 7765 from 100.64.2.2 lookup main suppress_prefixlength 8';
    assert.ok(c.includes(lanFirst), c.join('\n'));
    const down = await run('down');
    assert.equal(down.code, 0, down.err);
    assert.ok(!kernel.rules.some((r) => r.priority === 7765), 'down removes them');
  });

  it("records: the prefixes drawn, the site's interfaces and the LAN-first rules read back as written", () => {
    const bonds = desiredState(parseSettings('f', `${PC}routes = 10.0.0.0/8, 192.0.2.0/24\n`), undefined).bonds;
    const rules = pcPolicyRules(bonds);
    assert.deepEqual(
      rules.filter((r) => r.priority === 7765),
      ['100.64.1.2', '100.64.2.2'].map((from) => ({ priority: 7765, from, table: 'main', suppressPrefixlength: 24 })),
    );
    for (const rule of rules) assert.deepEqual(validateStep({ kind: 'add-rule', rule }), { kind: 'add-rule', rule });
    const byDefault = pcPolicyRules(desiredState(parseSettings('f', PC), undefined).bonds);
    assert.deepEqual(
      byDefault.filter((r) => r.priority === 7765),
      [],
      'a bond of default routes: none',
    );
    const b = bondRulesOf(bonds[0]!, new Set(), ['guest0', 'eth1']);
    const nested = desiredState(parseSettings('f', `${PC}routes = 10.0.0.0/8, 10.1.0.0/16\n`), undefined).bonds[0]!;
    assert.deepEqual(bondRulesOf(nested).perConnection?.daddr, ['10.0.0.0/8'], 'nft refuses overlapping intervals');
    assert.deepEqual([b.perConnection?.daddr, b.siteIifs], [['10.0.0.0/8', '192.0.2.0/24'], ['guest0']]);
    const table = (x: typeof b) => validateStep({ kind: 'nft-table', bonds: [x], replaced: false });
    assert.deepEqual(table(b), { kind: 'nft-table', bonds: [b], replaced: false });
    assert.throws(() => table({ ...b, siteIifs: ['guest0; flush ruleset'] }), /siteIifs/);
    const nat = b.perConnection?.nat ?? [];
    assert.throws(() => table({ ...b, perConnection: { nat, daddr: ['10.0.0.0/8 }'] } }), /daddr/);
    const lanRule = { priority: 7765, from: '100.64.1.2', table: 77700001, suppressPrefixlength: 8 };
    assert.throws(() => validateStep({ kind: 'add-rule', rule: lanRule }), /looks up main/);
    assert.deepEqual(parseRules('[{"priority":32765,"src":"all","iif":"guest0","table":"100"}]'), [
      { priority: 32765, table: '100', other: true, iif: 'guest0' },
    ]);
  });
});
