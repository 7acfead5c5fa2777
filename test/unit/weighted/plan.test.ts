// The weighted planner: from nothing, again (nothing to do), a line out (its draw and main only).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSite } from '../../../src/config/load.js';
import { parseSettings } from '../../../src/config/settings.js';
import { StateError } from '../../../src/errors.js';
import { describe as say } from '../../../src/plan/steps.js';
import { desiredState } from '../../../src/state/desired.js';
import type { ObservedState, RouteState } from '../../../src/state/types.js';
import { bondRulesOf, weightedSteps } from '../../../src/bonds/weighted/plan.js';
import { jumpRules, ruleTag } from '../../../src/bonds/weighted/ruleset.js';
import { policyRules, tableOf } from '../../../src/bonds/weighted/policy.js';
import { samplesDir } from '../../helpers/fs.js';

const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
const d = desiredState(parseSettings('f', '[wbond0]\nslaves = w1g1ppp, w2g1ppp\naddress = 10.0.0.0/31\n'), site);
const M1 = 0x77620001,
  M2 = 0x77620002;
const link = (name: string) => ({ name, ifindex: 1, flags: ['UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP' });
/** What wanbond's record holds once `up` made the bond: the daemon judges it up from this. */
const recorded = [{ kind: 'nft-table' as const, bonds: [bondRulesOf(d.bonds[0]!)], replaced: false }];
const route = (dst: string, spec: RouteState['spec']): RouteState => ({
  dst,
  dev: spec?.dev,
  gateway: undefined,
  protocol: undefined,
  scope: undefined,
  metric: undefined,
  type: undefined,
  spec,
});

function bare(): ObservedState {
  return {
    links: ['w1g1ppp', 'w2g1ppp'].map(link),
    addrs: [],
    routes: [],
    qdiscs: [],
    sysctls: {},
    teql: { loaded: false, builtin: false },
    plug: true,
    wanrouterDevices: undefined,
    staleDrivers: [],
    policy: { nftAvailable: true, nft: undefined, rules: [], tables: {} },
  };
}

/** The kernel after the plan from nothing ran. */
function applied(): ObservedState {
  const o = bare();
  o.links.push(link('wbond0'));
  o.routes.push(
    route('default', {
      to: 'default',
      src: '10.0.0.0',
      nexthops: [
        { dev: 'w1g1ppp', weight: 2 },
        { dev: 'w2g1ppp', weight: 1 },
      ],
    }),
  );
  o.policy = {
    nftAvailable: true,
    nft: {
      sets: {},
      draws: { wbond0: [M1, M2, M1] },
      chains: {
        pre: {
          hook: 'prerouting',
          type: 'filter',
          prio: -150,
          rules: 1,
          jumps: ['wbond0'],
          tags: [ruleTag(jumpRules(bondRulesOf(d.bonds[0]!)).pre)],
        },
        out: {
          hook: 'output',
          type: 'route',
          prio: -150,
          rules: 1,
          jumps: ['wbond0'],
          tags: [ruleTag(jumpRules(bondRulesOf(d.bonds[0]!)).out)],
        },
        wbond0: { rules: 1, jumps: [], tags: [''] },
      },
    },
    rules: policyRules([{ index: 0, lines: ['w1g1ppp', 'w2g1ppp'] }]).map((r) => ({
      priority: r.priority,
      fwmark: r.fwmark,
      mask: r.mask,
      table: String(r.table),
      ...(r.suppressPrefixlength !== undefined ? { suppressPrefixlength: r.suppressPrefixlength } : {}),
    })),
    tables: Object.fromEntries(
      [0, 1].map((k) => [
        tableOf(0, k),
        [
          route('default', {
            to: 'default',
            dev: k === 0 ? 'w1g1ppp' : 'w2g1ppp',
            src: '10.0.0.0',
            table: tableOf(0, k),
          }),
        ],
      ]),
    ),
  };
  return o;
}

describe('weighted bonds: the plan', () => {
  it("from nothing: the dummy, the table, each line's table, the rules, main's weighted default", () => {
    const p = weightedSteps(d, bare());
    assert.deepEqual(p.before.map(say), ["wbond0: create (dummy device for the bond's address)"]);
    assert.deepEqual(
      p.after.map(say),
      [
        `route default dev w1g1ppp src 10.0.0.0 table ${tableOf(0, 0)}`,
        `route default dev w2g1ppp src 10.0.0.0 table ${tableOf(0, 1)}`,
        ...policyRules([{ index: 0, lines: ['w1g1ppp', 'w2g1ppp'] }]).map(
          (r) =>
            `ip rule priority ${r.priority} fwmark 0x${r.fwmark!.toString(16)}/` +
            `${r.mask === 0xffffffff ? '0xffffffff' : '0xffff0000'} lookup ${r.table}` +
            `${r.suppressPrefixlength !== undefined ? ' suppress_prefixlength 0' : ''}`,
        ),
        'nftables: create table ip wanbond',
        'route default src 10.0.0.0 nexthop dev w1g1ppp weight 2 nexthop dev w2g1ppp',
      ],
      'the tables and rules before the draw that sends packets to them',
    );
  });

  it('a second up changes nothing', () => {
    assert.deepEqual(weightedSteps(d, applied()), { before: [], after: [] });
  });

  it("a site's rule that selects an input interface (iif guest0) takes it out of the draw: a new table", () => {
    const o = applied();
    const site = (iif: string, priority: number, table = '100') => ({ priority, table, other: true, iif });
    o.policy?.rules.push(site('guest0', 32765), site('lo', 100), site('eth0', 32764, 'main'));
    const p = weightedSteps(d, o).after;
    assert.deepEqual(
      p.map((s) => s.kind),
      ['nft-table'],
    );
    const iifs = p[0]?.kind === 'nft-table' && p[0].bonds[0]?.siteIifs;
    assert.deepEqual(iifs, ['guest0'], 'not lo (the fib lookup is made as if from lo), not a rule to main');
  });

  it("a line out: its draw rewritten and main's route through the other line; nothing else", () => {
    const p = weightedSteps(d, applied(), new Set(['w2g1ppp']));
    assert.deepEqual(p.after.map(say), [
      'wbond0: draw from w1g1ppp (was w1g1ppp, w2g1ppp)',
      'route default dev w1g1ppp src 10.0.0.0 (replacing default src 10.0.0.0 nexthop dev w1g1ppp weight ' +
        '2 nexthop dev w2g1ppp)',
    ]);
  });

  it('a table of another shape (a chain someone added) is replaced whole', () => {
    const o = applied();
    o.policy!.nft!.chains['extra'] = { rules: 0, jumps: [], tags: [] };
    assert.deepEqual(weightedSteps(d, o).after.map(say), ['nftables: replace table ip wanbond']);
  });

  it(
    "a jump rule that says something else (an older wanbond's, a line added, a hand edit) replaces the " +
      "table; so does an older table's set",
    () => {
      const o = applied();
      o.policy!.nft!.chains['pre']!.tags = ['wanbond:000000000000'];
      assert.deepEqual(weightedSteps(d, o).after.map(say), ['nftables: replace table ip wanbond']);
      const old = applied();
      old.policy!.nft!.sets['wbond0_dst'] = ['0.0.0.0/0'];
      assert.deepEqual(weightedSteps(d, old).after.map(say), ['nftables: replace table ip wanbond']);
    },
  );

  it(
    "up with a line down (its driver downed it: a dead T1 at boot): main's route over the lines that can " +
      'take one, no route through the down line',
    () => {
      const o = bare();
      o.links.find((l) => l.name === 'w2g1ppp')!.flags = [];
      const after = weightedSteps(d, o).after.map(say);
      assert.ok(after.includes('route default dev w1g1ppp src 10.0.0.0'), after.join('\n'));
      assert.ok(!after.some((x) => /dev w2g1ppp/.test(x) && /^route/.test(x)), after.join('\n'));
    },
  );

  it("every line down: main's route is left as it is (a route through no line cannot be made)", () => {
    const o = bare();
    for (const l of o.links.filter((x) => /^w\dg1ppp$/.test(x.name))) l.flags = [];
    assert.ok(!weightedSteps(d, o).after.some((s) => s.kind === 'replace-route'));
  });

  it('no nft on the system: an error that says what to install, before any change', () => {
    const o = bare();
    o.policy!.nftAvailable = false;
    assert.throws(
      () => weightedSteps(d, o),
      (e: unknown) => e instanceof StateError && /apt-get install nftables/.test(e.hint),
    );
  });
});

describe("weighted bonds: the daemon's ring", () => {
  it('a line back up after the kernel emptied its table: its table route first, then its draw', () => {
    const o = applied();
    o.policy!.tables[tableOf(0, 1)] = [];
    o.policy!.nft!.draws['wbond0'] = [M1];
    o.routes[0] = route('default', { to: 'default', dev: 'w1g1ppp', src: '10.0.0.0' });
    assert.deepEqual(
      weightedSteps(d, o).after.map((s) => s.kind),
      ['replace-route', 'nft-stripe', 'replace-route'],
    );
  });

  it('a line down (the kernel emptied its table): no route through it is tried', () => {
    const o = applied();
    o.links.find((l) => l.name === 'w2g1ppp')!.flags = [];
    o.policy!.tables[tableOf(0, 1)] = [];
    assert.ok(
      !weightedSteps(d, o, new Set(['w2g1ppp'])).after.some(
        (s) => s.kind === 'replace-route' && s.route.dev === 'w2g1ppp',
      ),
    );
  });

  it(
    "a line gone (a card reset deleted it): out of the draw and of main's " + "route, with the daemon's slaves",
    async () => {
      const { watchDesired, ringDecision } = await import('../../../src/watch/ring.js');
      const o = applied();
      o.links = o.links.filter((l) => l.name !== 'w2g1ppp');
      o.routes[0] = route('default', { to: 'default', src: '10.0.0.0', nexthops: [{ dev: 'w1g1ppp', weight: 2 }] });
      const decision = ringDecision(d, new Map(), o, [], recorded);
      const steps = weightedSteps(watchDesired(d, o, decision), o, decision.out, true).after.map(say);
      assert.deepEqual(steps, [
        'wbond0: draw from w1g1ppp (was w1g1ppp, w2g1ppp)',
        'route default dev w1g1ppp src 10.0.0.0 (replacing default src 10.0.0.0 nexthop dev w1g1ppp weight 2)',
      ]);
    },
  );

  it(
    "the daemon judging one of two weighted bonds (the other skipped): the other's chain and jumps are no " +
      'reason to replace the table',
    () => {
      const o = applied();
      o.policy!.nft!.chains['wbond1'] = { rules: 1, jumps: [], tags: [''] };
      o.policy!.nft!.chains['pre']!.tags.push('wanbond:111111111111');
      o.policy!.nft!.chains['pre']!.rules++;
      assert.deepEqual(weightedSteps(d, o, new Set(), true).after, []);
      assert.deepEqual(
        weightedSteps(d, o).after.map(say),
        ['nftables: replace table ip wanbond'],
        'up, which plans every bond, makes the table what the settings say',
      );
    },
  );

  it(
    "a line judged down: the ring plan is its draw and main's route, nothing " + 'else; back in, the same undone',
    async () => {
      const { ringPlan } = await import('../../../src/watch/ring.js');
      const { initialHealth } = await import('../../../src/watch/health.js');
      const down = { ...initialHealth('w2g1ppp', 0, undefined), state: 'down' as const };
      const health = new Map([
        ['w1g1ppp', initialHealth('w1g1ppp', 0, undefined)],
        ['w2g1ppp', down],
      ]);
      const r = ringPlan(d, health, applied(), [], true, recorded);
      assert.deepEqual([...r.decision.out], ['w2g1ppp']);
      assert.deepEqual(r.plan.steps.map(say), [
        'wbond0: draw from w1g1ppp (was w1g1ppp, w2g1ppp)',
        'route default dev w1g1ppp src 10.0.0.0 (replacing default src 10.0.0.0 nexthop dev w1g1ppp weight ' +
          '2 nexthop dev w2g1ppp)',
      ]);
    },
  );
});
