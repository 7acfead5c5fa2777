// The DSL-router site (issue 12, part 1) on the fake kernel: Ethernet slaves to routers that share one
// LAN address, the ISP's block on teql0 as a real address (its prefix routed), the default route via
// the shared address, rp_filter 2.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/errors.js';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';
import { probeMarkOf, probeTableOf, probeTables, routerOf } from '../../../src/bonds/teql/probe-routes.js';
import { parseRules } from '../../../src/bonds/weighted/observe.js';
import type { ObservedState } from '../../../src/state/types.js';
import { desiredState } from '../../../src/state/desired.js';
import { observe } from '../../../src/observe/read.js';
import { sysctlKeys } from '../../../src/plan/diff.js';
import { initialHealth } from '../../../src/watch/health.js';
import { ringPlan } from '../../../src/watch/ring.js';
import { apply } from '../../../src/apply/apply.js';
import { validateStep } from '../../../src/plan/validate.js';
import { silentLogger } from '../../../src/log.js';

const DSL =
  '[teql0]\nslaves = eth2, eth3, eth4, eth5\naddress = 203.0.113.10/29\ngateway = 203.0.113.9\nrp_filter = 2\n';

async function site(settings = DSL) {
  const dir = await tmpDir();
  await fs.writeFile(path.join(dir, 'wanbond.conf'), settings);
  // Each slave on its router's management /30, as the seed lays them out (172.16.8.1/30, .5/30, ...).
  const kernel = new FakeKernel({
    links: ['eth2', 'eth3', 'eth4', 'eth5'].map((name) => ({ name })),
    addrs: ['eth2', 'eth3', 'eth4', 'eth5'].map((dev, i) => ({ dev, cidr: `172.16.8.${4 * i + 1}/30` })),
  });
  const args = [
    '--conf-dir',
    path.join(dir, 'none'),
    '--settings',
    path.join(dir, 'wanbond.conf'),
    '--state-dir',
    path.join(dir, 'run'),
  ];
  return { kernel, dir, run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args) };
}

describe('DSL routers on Ethernet: settings', () => {
  it("a gateway inside the bond's real prefix", () => {
    const b = parseSettings('f', DSL).bonds[0];
    assert.deepEqual([b?.address, b?.gateway, b?.rpFilter], ['203.0.113.10/29', '203.0.113.9', 2]);
  });

  it(
    'routers: the router beyond a slave where its address does not say it; only with a gateway, only for ' +
      "the bond's slaves",
    () => {
      assert.deepEqual(parseSettings('f', `${DSL}routers = eth2:192.168.1.1, eth3:192.168.2.1\n`).bonds[0]?.routers, {
        eth2: '192.168.1.1',
        eth3: '192.168.2.1',
      });
      const err = (text: string) => {
        try {
          parseSettings('/etc/wanbond/wanbond.conf', text);
        } catch (e) {
          assert.ok(e instanceof ConfigError);
          return e.message;
        }
        assert.fail('no error');
      };
      assert.match(
        err('[teql0]\nslaves = eth2\nrouters = eth2:192.168.1.1\n'),
        /:3: routers in \[teql0\]: .* only at a DSL-router site/,
      );
      assert.match(err(`${DSL}routers = eth9:192.168.1.1\n`), /:6: routers: eth9 is not a slave of \[teql0\]/);
      assert.match(err(`${DSL}routers = eth2\n`), /:6: routers: expected slave:address/);
    },
  );

  it("a gateway outside the prefix, the bond's own address, or not an address: an error at its line", () => {
    const err = (text: string) => {
      try {
        parseSettings('/etc/wanbond/wanbond.conf', text);
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.message;
      }
      assert.fail('no error');
    };
    assert.match(
      err('[teql0]\nslaves = eth2\naddress = 203.0.113.10/29\ngateway = 203.0.113.17\n'),
      /:4: gateway 203\.0\.113\.17 is not another address of 203\.0\.113\.10\/29's network/,
    );
    assert.match(
      err('[teql0]\nslaves = eth2\naddress = 203.0.113.10/29\ngateway = 203.0.113.10\n'),
      /:4: gateway 203\.0\.113\.10 is not another address/,
    );
    assert.match(err('[teql0]\nslaves = eth2\ngateway = router1\n'), /:3: gateway: expected an IPv4 address/);
    assert.match(
      err('[wbond0]\nslaves = eth2, eth3\nrates = eth2:8M, eth3:4M\ngateway = 10.0.0.1\n'),
      /gateway in \[wbond0\]/,
    );
  });
});

describe('DSL routers on Ethernet: up and down', () => {
  it(
    "the block's prefix stays routed on teql0, the default goes via the shared address, a second up " +
      'changes nothing, down restores',
    async () => {
      const { kernel, run } = await site();
      const before = kernel.dump();
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      const c = kernel.changes.map((x) => x.join(' '));
      assert.ok(
        c.includes('ip addr add 203.0.113.10/29 dev teql0'),
        `a real address, without noprefixroute:\n${c.join('\n')}`,
      );
      assert.ok(
        !c.some((x) => /^ip route del 203\.0\.113\.8\/29/.test(x)),
        'the prefix route is the way to the gateway',
      );
      assert.ok(
        c.some((x) =>
          new RegExp(
            '^ip route replace default dev teql0 via 203\\.0\\.113\\.9$|^ip route replace default via ' +
              '203\\.0\\.113\\.9 dev teql0$',
          ).test(x),
        ),
        c.join('\n'),
      );
      for (const s of ['eth2', 'eth3', 'eth4', 'eth5'])
        assert.equal(kernel.sysctls.get(`net.ipv4.conf.${s}.rp_filter`), '2');
      // Each slave's probe leaves by its own router, from the bond's address (the ISP routes the block back,
      // not the routers' management nets): a table per slave, and a rule for what is bound to it.
      for (const [k, s] of ['eth2', 'eth3', 'eth4', 'eth5'].entries()) {
        assert.ok(
          c.includes(
            `ip route replace default via 172.16.8.${4 * k + 2} dev ${s} src 203.0.113.10 table ${probeTableOf(0, k)}`,
          ),
          c.join('\n'),
        );
        // The daemon's ping is marked for its table rather than bound to the slave: the answer may come in by
        // another slave. The table's guard keeps a marked probe from going out by teql0 when the route is gone.
        assert.ok(
          c.includes(`ip route replace unreachable default metric 4294967295 table ${probeTableOf(0, k)}`),
          c.join('\n'),
        );
        assert.ok(
          c.includes(`ip rule add priority 7765 fwmark 0x7765000${k + 1}/0xffffffff lookup ${probeTableOf(0, k)}`),
          c.join('\n'),
        );
      }
      const n = kernel.changes.length;
      const again = await run('up');
      assert.equal(again.code, 0, again.err);
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
      assert.equal(kernel.dump(), before);
    },
  );

  it('status says the routes go via the gateway, and finds them there', async () => {
    const { run } = await site();
    assert.equal((await run('up')).code, 0);
    const st = await run('status');
    assert.match(st.out, /^teql0: up, address 203\.0\.113\.10\/29, routes default via 203\.0\.113\.9\n/, st.out);
    const j = JSON.parse((await run('status', '--json')).out) as {
      gateway: string | null;
      routes: { present: boolean }[];
    }[];
    assert.deepEqual([j[0]?.gateway, j[0]?.routes.map((r) => r.present)], ['203.0.113.9', [true]]);
  });

  it("doctor takes the route via the gateway for the bond's, and the real block for no fake /31", async () => {
    const { run } = await site();
    assert.equal((await run('up')).code, 0);
    const d = await run('doctor', '--json', '--window', '0s');
    const j = JSON.parse(d.out || assert.fail(d.err)) as {
      findings: { id: string }[];
      bonds: { findings: { id: string }[] }[];
    };
    const ids = [...j.findings, ...j.bonds.flatMap((b) => b.findings)].map((f) => f.id);
    assert.ok(j.bonds.length > 0, d.out);
    assert.deepEqual(
      ids.filter((i) => /^routes\./.test(i)),
      [],
      d.out,
    );
  });
});

describe('DSL routers on Ethernet: an nft that is there but cannot list', () => {
  it("up, status, doctor, the daemon's ring and down work all the same: a TEQL bond needs no nftables", async () => {
    const { kernel, run, dir } = await site();
    kernel.nftCannotList = 'Error: JSON support not compiled-in';
    const before = kernel.dump();
    const up = await run('up');
    assert.equal(up.code, 0, up.err);
    const st = await run('status');
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /^teql0: up, address 203\.0\.113\.10\/29, routes default via 203\.0\.113\.9\n/, st.out);
    const d = await run('doctor', '--json', '--window', '0s');
    type F = { id: string; what: string };
    const j = JSON.parse(d.out || assert.fail(d.err)) as { findings: F[]; bonds: { findings: F[] }[] };
    const all = [...j.findings, ...j.bonds.flatMap((b) => b.findings)];
    assert.deepEqual(
      all.filter((f) => /nft/.test(f.what)),
      [],
      d.out,
    );
    // The daemon: a dead line leaves the ring.
    const desired = desiredState(parseSettings(path.join(dir, 'wanbond.conf'), DSL), undefined);
    const read = () =>
      observe(kernel, {
        sysctls: sysctlKeys(desired),
        wanrouterProc: path.join(dir, 'none'),
        weightedTables: probeTables(desired),
      });
    const h = new Map(
      ['eth2', 'eth3', 'eth4', 'eth5'].map((n) => [
        n,
        { ...initialHealth(n, 0, undefined), ...(n === 'eth3' ? { state: 'down' as const } : {}) },
      ]),
    );
    const ring = ringPlan(desired, h, await read(), [], true);
    assert.deepEqual(ring.decision.skipped, []);
    const replan = (o: ObservedState) => ringPlan(desired, h, o, [], true).plan;
    await apply(ring.plan, { runner: kernel, log: silentLogger(), observe: read, replan, fixConfig: async () => {} });
    assert.equal(kernel.qdiscs.get('eth3'), undefined, 'eth3 left teql0');
    const down = await run('down');
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });
});

describe("DSL routers on Ethernet: the probes' source", () => {
  it(
    "a probe route an older wanbond left without the bond's address as its source: up replaces it, a second up " +
      'changes nothing, down removes it',
    async () => {
      const { kernel, run } = await site();
      const before = kernel.dump();
      assert.equal((await run('up')).code, 0);
      const table = probeTableOf(0, 1);
      // What an older `up` wrote: the kernel then picks eth3's own 172.16.8.5, which the ISP never routes back.
      const guard = { type: 'unreachable', dst: 'default', metric: 4294967295 };
      kernel.tables.set(table, [{ dst: 'default', gateway: '172.16.8.6', dev: 'eth3' }, guard]);
      const n = kernel.changes.length;
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      assert.deepEqual(
        kernel.changes.slice(n).map((x) => x.join(' ')),
        [`ip route replace default via 172.16.8.6 dev eth3 src 203.0.113.10 table ${table}`],
      );
      assert.deepEqual(kernel.tables.get(table), [
        guard,
        { dst: 'default', gateway: '172.16.8.6', dev: 'eth3', prefsrc: '203.0.113.10' },
      ]);
      const m = kernel.changes.length;
      assert.equal((await run('up')).code, 0);
      assert.equal(kernel.changes.length, m, 'a second up changed nothing');
      const down = await run('down');
      assert.equal(down.code, 0, down.err);
      assert.equal(kernel.dump(), before);
    },
  );

  it('doctor finds a probe route without the source, and its fix (wanbond up) puts it right', async () => {
    const { kernel, run } = await site();
    assert.equal((await run('up')).code, 0);
    const table = probeTableOf(0, 0);
    kernel.tables.set(table, [
      { dst: 'default', gateway: '172.16.8.2', dev: 'eth2' },
      { type: 'unreachable', dst: 'default', metric: 4294967295 },
    ]);
    type F = { id: string; line?: string; what: string; fix: string[] };
    const findings = async () => {
      const d = await run('doctor', '--json', '--window', '0s');
      const j = JSON.parse(d.out || assert.fail(d.err)) as { bonds: { findings: F[] }[] };
      return j.bonds.flatMap((b) => b.findings).filter((f) => f.id === 'routes.probe-route-missing');
    };
    const found = await findings();
    assert.deepEqual(
      found.map((f) => [f.line, f.fix]),
      [['eth2', ['wanbond up']]],
    );
    assert.match(found[0]?.what ?? '', /no default via 172\.16\.8\.2 src 203\.0\.113\.10 in table 77650001/);
    assert.equal((await run('up')).code, 0);
    assert.deepEqual(await findings(), []);
  });
});

describe('DSL routers on Ethernet: a router given in the settings', () => {
  it('a slave on a /24 gets its probe route via the router the settings name', async () => {
    const { kernel, run } = await site(`${DSL}routers = eth2:192.168.1.1\n`);
    kernel.addrs = kernel.addrs.filter((a) => a.dev !== 'eth2');
    kernel.addrs.push({ dev: 'eth2', local: '192.168.1.2', prefixlen: 24 } as (typeof kernel.addrs)[number]);
    assert.equal((await run('up')).code, 0);
    const c = kernel.changes.map((x) => x.join(' '));
    assert.ok(
      c.includes(`ip route replace default via 192.168.1.1 dev eth2 src 203.0.113.10 table ${probeTableOf(0, 0)}`),
      c.join('\n'),
    );
  });
});

describe('DSL routers on Ethernet: a slave that up brings up', () => {
  it('gets its probe route in the same up, after its link is up', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'wanbond.conf'), DSL);
    const kernel = new FakeKernel({
      links: ['eth2', 'eth3', 'eth4', 'eth5'].map((name) => ({ name, up: name !== 'eth3' })),
      addrs: ['eth2', 'eth3', 'eth4', 'eth5'].map((dev, i) => ({ dev, cidr: `172.16.8.${4 * i + 1}/30` })),
    });
    const r = await cliWith(
      { runner: kernel },
      'up',
      '--conf-dir',
      path.join(dir, 'none'),
      '--settings',
      path.join(dir, 'wanbond.conf'),
      '--state-dir',
      path.join(dir, 'run'),
    );
    assert.equal(r.code, 0, r.err);
    const c = kernel.changes.map((x) => x.join(' '));
    const upAt = c.indexOf('ip link set dev eth3 up'),
      routeAt = c.indexOf(
        `ip route replace default via 172.16.8.6 dev eth3 src 203.0.113.10 table ${probeTableOf(0, 1)}`,
      );
    assert.ok(upAt >= 0 && routeAt > upAt, c.join('\n'));
  });
});

describe('DSL routers on Ethernet: the router beyond a slave', () => {
  const o = (local: string, prefixlen: number) =>
    ({ addrs: [{ dev: 'eth2', local, prefixlen, noprefixroute: false }] }) as unknown as ObservedState;
  it("the other host of its /30 or /31; none for another prefix or an address that is no host's", () => {
    assert.equal(routerOf('eth2', o('172.16.8.1', 30)), '172.16.8.2');
    assert.equal(routerOf('eth2', o('172.16.8.6', 30)), '172.16.8.5');
    assert.equal(routerOf('eth2', o('10.9.0.4', 31)), '10.9.0.5');
    assert.equal(routerOf('eth2', o('10.9.0.5', 31)), '10.9.0.4');
    assert.equal(routerOf('eth2', o('192.168.1.10', 24)), undefined);
    assert.equal(routerOf('eth2', o('172.16.8.3', 30)), undefined);
    assert.equal(routerOf('eth3', o('172.16.8.1', 30)), undefined);
  });
});

describe('DSL routers on Ethernet: the probe rules read back', () => {
  it(
    "as iproute2 6.1 prints an oif rule (captured): wanbond's; with a selector wanbond never writes: " +
      "someone else's",
    () => {
      const text =
        '[{"priority":0,"src":"all","table":"local"},{"priority":7765,"src":"all","oif":"d1",' +
        '"table":"77650001"},{"priority":7765,"src":"10.0.0.0/8","oif":"d2","table":"77650002"},' +
        '{"priority":32766,"src":"all","table":"main"}]';
      const rules = parseRules(text).filter((r) => r.priority === 7765);
      assert.deepEqual(rules, [
        { priority: 7765, oif: 'd1', table: '77650001' },
        { priority: 7765, oif: 'd2', table: '77650002', other: true },
      ]);
    },
  );
});

describe("DSL routers on Ethernet: where a line's probe goes", () => {
  it(
    "marked for eth3, by eth3's router; unmarked, by teql0; with eth3's route gone, nowhere (the guard), never " +
      'by teql0, where any line would answer it',
    async () => {
      const { kernel, run } = await site();
      assert.equal((await run('up')).code, 0);
      const far = '198.51.100.1';
      const mark = probeMarkOf(0, 1);
      assert.deepEqual(kernel.route({ dst: far, mark }), { table: String(probeTableOf(0, 1)), dev: 'eth3' });
      assert.equal(kernel.route({ dst: far })?.dev, 'teql0');
      kernel.tables.set(
        probeTableOf(0, 1),
        (kernel.tables.get(probeTableOf(0, 1)) ?? []).filter((r) => r.type === 'unreachable'),
      );
      assert.deepEqual(kernel.route({ dst: far, mark }), { table: String(probeTableOf(0, 1)) });
    },
  );
});

describe('DSL routers on Ethernet: the probe rules and guards recorded', () => {
  it("read back as up writes them, an older wanbond's oif rule too; other marks or selectors at 7765 refused", () => {
    const rule = { priority: 7765, fwmark: 0x7765_0002, mask: 0xffffffff, table: probeTableOf(0, 1) };
    assert.deepEqual(validateStep({ kind: 'add-rule', rule }), { kind: 'add-rule', rule });
    const older = { priority: 7765, oif: 'eth3', table: probeTableOf(0, 1) };
    assert.deepEqual(validateStep({ kind: 'add-rule', rule: older }), { kind: 'add-rule', rule: older });
    assert.throws(() => validateStep({ kind: 'add-rule', rule: { ...rule, fwmark: 0x7762_0002 } }), /fwmark/);
    assert.throws(() => validateStep({ kind: 'add-rule', rule: { ...rule, mask: 0xffff0000 } }), /mask/);
    assert.throws(() => validateStep({ kind: 'add-rule', rule: { ...rule, oif: 'eth3' } }), /one of them/);
    const guard = {
      kind: 'replace-route',
      route: { to: 'default', type: 'unreachable', metric: 4294967295, table: probeTableOf(0, 1) },
      was: undefined,
    };
    assert.deepEqual(validateStep(guard), guard);
  });
});
