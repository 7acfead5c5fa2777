// The nftables text of weighted bonds: the whole table, and a ring change as one chain rewrite.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  jumpRules,
  markOf,
  ruleTag,
  stripeMap,
  stripeRule,
  stripeUpdate,
  tableRuleset,
  type WeightedBondRules,
} from '../../../src/bonds/weighted/ruleset.js';

const bond = (inRing: string[] = ['w1g1ppp', 'w2g1ppp']): WeightedBondRules => ({
  bond: 'wbond0',
  index: 0,
  inRing,
  lines: [
    { name: 'w1g1ppp', weight: 2 },
    { name: 'w2g1ppp', weight: 1 },
  ],
});

describe('weighted bonds: nftables', () => {
  it("marks: wanbond's prefix, the bond, the line", () => {
    assert.equal(markOf(0, 0), 0x77620001);
    assert.equal(markOf(1, 2), 0x77620103);
  });

  it('a T1 and a half T1: the map draws the T1 twice for each draw of the other, spread', () => {
    assert.deepEqual(stripeMap(bond()), {
      modulus: 3,
      entries: [
        [0, 0x77620001],
        [1, 0x77620002],
        [2, 0x77620001],
      ],
    });
    assert.equal(
      stripeRule(bond()),
      'meta mark set numgen inc mod 3 map { 0 : 0x77620001, 1 : 0x77620002, 2 : 0x77620001 }',
    );
  });

  it('a line out of the ring is never drawn; one line left is its mark alone; none left, no rule', () => {
    assert.equal(stripeRule(bond(['w2g1ppp'])), 'meta mark set 0x77620002');
    assert.equal(stripeRule(bond([])), undefined);
    assert.equal(
      stripeUpdate(bond(['w1g1ppp'])),
      'flush chain ip wanbond wbond0\nadd rule ip wanbond wbond0 meta mark set 0x77620001\n',
    );
    assert.equal(stripeUpdate(bond([])), 'flush chain ip wanbond wbond0\n');
    const three: WeightedBondRules = {
      ...bond(['w1g1ppp', 'w2g1ppp']),
      lines: [
        { name: 'w1g1ppp', weight: 2 },
        { name: 'w2g1ppp', weight: 2 },
        { name: 'w3g1ppp', weight: 1 },
      ],
    };
    assert.deepEqual(
      stripeMap(three).entries.map(([, m]) => m),
      [0x77620001, 0x77620002],
      '2:2 without the slow line is 1:1',
    );
  });

  it(
    'the table: replaced whole; both hooks jump only for unmarked packets that main routes over one of the ' +
      "bond's lines; what arrives by a line takes no turn; each jump tagged with what it says",
    () => {
      const text = tableRuleset([bond()]);
      const pre =
        'meta mark 0 iifname != { "w1g1ppp", "w2g1ppp" } fib daddr oifname { "w1g1ppp", "w2g1ppp" } jump wbond0';
      const out = 'meta mark 0 oifname { "w1g1ppp", "w2g1ppp" } jump wbond0';
      assert.deepEqual(text.trim().split('\n'), [
        'add table ip wanbond',
        'delete table ip wanbond',
        'add table ip wanbond',
        'add chain ip wanbond wbond0',
        'add rule ip wanbond wbond0 meta mark set numgen inc mod 3 map { 0 : 0x77620001, 1 : 0x77620002, 2 ' +
          ': 0x77620001 }',
        'add chain ip wanbond pre { type filter hook prerouting priority mangle; policy accept; }',
        'add chain ip wanbond out { type route hook output priority mangle; policy accept; }',
        `add rule ip wanbond pre ${pre} comment "${ruleTag(pre)}"`,
        `add rule ip wanbond out ${out} comment "${ruleTag(out)}"`,
      ]);
      assert.match(ruleTag(pre), /^wanbond:[0-9a-f]{12}$/);
      assert.notEqual(ruleTag(pre), ruleTag(out));
    },
  );

  it("what arrives by an interface the site's own rules select (iif) is not drawn: fib cannot see such rules", () => {
    const pre = jumpRules({ ...bond(), siteIifs: ['guest0'] }).pre;
    const lines = '{ "w1g1ppp", "w2g1ppp" }';
    const notFrom = '{ "w1g1ppp", "w2g1ppp", "guest0" }';
    assert.equal(pre, `meta mark 0 iifname != ${notFrom} fib daddr oifname ${lines} jump wbond0`);
    assert.throws(() => tableRuleset([{ ...bond(), siteIifs: ['guest0 } accept'] }]));
  });

  it('refuses a name or a weight that must never reach nft', () => {
    assert.throws(() => tableRuleset([{ ...bond(), bond: 'x; flush ruleset' }]));
    assert.throws(() => tableRuleset([{ ...bond(), lines: [{ name: 'a b', weight: 1 }] }]));
    assert.throws(() => stripeUpdate({ ...bond(), lines: [{ name: 'w1g1ppp', weight: 1.5 }] }));
  });
});
