// Reading wanbond's nftables table back (nft -j), in the shapes of libnftables-json(5).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseNftTable, parseRules } from '../../../src/bonds/weighted/observe.js';
import { sameShape } from '../../../src/bonds/weighted/plan.js';
import { jumpRules, ruleTag } from '../../../src/bonds/weighted/ruleset.js';
import { projectRoot } from '../../helpers/fs.js';

const rule = (chain: string, expr: unknown[], comment?: string) => ({
  rule: { family: 'ip', table: 'wanbond', chain, handle: 9, ...(comment ? { comment } : {}), expr },
});
const mark = (value: unknown) => [{ mangle: { key: { meta: { key: 'mark' } }, value } }];
const lines = { set: ['w1g1ppp', 'w2g1ppp'] };
const jump = (target: string) => [
  { match: { op: '==', left: { meta: { key: 'mark' } }, right: 0 } },
  { match: { op: '==', left: { meta: { key: 'oifname' } }, right: lines } },
  { jump: { target } },
];
const table = (...extra: unknown[]) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'ip', name: 'wanbond', handle: 5 } },
      { chain: { family: 'ip', table: 'wanbond', name: 'wbond0', handle: 2 } },
      {
        chain: {
          family: 'ip',
          table: 'wanbond',
          name: 'pre',
          handle: 3,
          type: 'filter',
          hook: 'prerouting',
          prio: -150,
          policy: 'accept',
        },
      },
      {
        chain: {
          family: 'ip',
          table: 'wanbond',
          name: 'out',
          handle: 4,
          type: 'route',
          hook: 'output',
          prio: -150,
          policy: 'accept',
        },
      },
      rule('pre', jump('wbond0'), 'wanbond:aaaaaaaaaaaa'),
      rule('out', jump('wbond0'), 'wanbond:bbbbbbbbbbbb'),
      ...extra,
    ],
  });

describe('weighted bonds: reading the nftables table back', () => {
  it('the draw of a numgen map, in order; the hooks, the jumps and their tags', () => {
    const st = parseNftTable(
      table(
        rule(
          'wbond0',
          mark({
            map: {
              key: { numgen: { mode: 'inc', mod: 3, offset: 0 } },
              data: {
                set: [
                  [0, 0x77620001],
                  [1, 0x77620002],
                  [2, 0x77620001],
                ],
              },
            },
          }),
        ),
      ),
    );
    assert.ok(st);
    assert.deepEqual(st.draws, { wbond0: [0x77620001, 0x77620002, 0x77620001] });
    assert.deepEqual(st.sets, {});
    assert.deepEqual(st.chains['out'], {
      hook: 'output',
      type: 'route',
      prio: -150,
      rules: 1,
      jumps: ['wbond0'],
      tags: ['wanbond:bbbbbbbbbbbb'],
    });
    assert.deepEqual(st.chains['wbond0'], { rules: 1, jumps: [], tags: [''] });
  });

  it('one line left: a plain mark (number or hex string); none left: an empty chain draws nothing', () => {
    assert.deepEqual(parseNftTable(table(rule('wbond0', mark(0x77620002))))?.draws, { wbond0: [0x77620002] });
    assert.deepEqual(parseNftTable(table(rule('wbond0', mark('0x77620002'))))?.draws, { wbond0: [0x77620002] });
    assert.deepEqual(parseNftTable(table())?.draws, { wbond0: [] });
  });

  it('a rule wanbond did not write, or a map with a hole, is no draw it knows', () => {
    assert.deepEqual(parseNftTable(table(rule('wbond0', [{ counter: { packets: 0, bytes: 0 } }])))?.draws, {});
    assert.deepEqual(
      parseNftTable(
        table(
          rule(
            'wbond0',
            mark({
              map: {
                key: { numgen: { mode: 'inc', mod: 3 } },
                data: {
                  set: [
                    [0, 1],
                    [2, 1],
                  ],
                },
              },
            }),
          ),
        ),
      )?.draws,
      {},
    );
    assert.deepEqual(
      parseNftTable(
        table(rule('wbond0', mark({ map: { key: { numgen: { mode: 'random', mod: 1 } }, data: { set: [[0, 1]] } } }))),
      )?.draws,
      {},
    );
  });

  it('no table of that name: undefined', () => {
    assert.equal(parseNftTable(JSON.stringify({ nftables: [{ metainfo: {} }] })), undefined);
  });
});

describe('weighted bonds: reading the rules back', () => {
  it(
    'ip -j rule show (as iproute2 6.1 prints it in the lab): fwmark and mask in hex (the mask only when ' +
      'not all ones), suppress_prefixlen, table by name or number',
    () => {
      const text = JSON.stringify([
        { priority: 0, src: 'all', table: 'local' },
        { priority: 7762, src: 'all', fwmark: '0x77620001', table: '77620001', suppress_prefixlen: 0 },
        {
          priority: 7763,
          src: 'all',
          fwmark: '0x77620000',
          fwmask: '0xffff0000',
          table: 'main',
          suppress_prefixlen: 0,
        },
        { priority: 32766, src: 'all', table: 'main' },
      ]);
      assert.deepEqual(parseRules(text), [
        { priority: 0, table: 'local' },
        { priority: 7762, table: '77620001', fwmark: 0x77620001, mask: 0xffffffff, suppressPrefixlength: 0 },
        { priority: 7763, table: 'main', fwmark: 0x77620000, mask: 0xffff0000, suppressPrefixlength: 0 },
        { priority: 32766, table: 'main' },
      ]);
    },
  );

  it("a table of the same name in another family is not wanbond's", () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'inet', name: 'wanbond', handle: 1 } },
        { chain: { family: 'inet', table: 'wanbond', name: 'x', handle: 2 } },
      ],
    });
    assert.equal(parseNftTable(text), undefined);
  });
});

describe('weighted bonds: what the lab kernel printed (Debian 12, nft 1.0.6, iproute2 6.1)', () => {
  const fixture = (name: string) => readFileSync(path.join(projectRoot, 'test', 'fixtures', 'weighted', name), 'utf8');

  it(
    'nft -j list table ip wanbond after up on 1544+768+1544: the draw 2:1:2 in smooth order, the hooks, ' +
      'and a shape the planner takes for its own',
    () => {
      const st = parseNftTable(fixture('nft-list-table-1.0.6.json'));
      assert.ok(st);
      assert.deepEqual(st.draws, { wbond0: [0x77620001, 0x77620003, 0x77620002, 0x77620001, 0x77620003] });
      assert.deepEqual(st.sets, {});
      const want = {
        bond: 'wbond0',
        index: 0,
        lines: [
          { name: 'w1g1ppp', weight: 2 },
          { name: 'w2g1ppp', weight: 1 },
          { name: 'w3g1ppp', weight: 2 },
        ],
        inRing: ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'],
      };
      assert.deepEqual(
        [st.chains['pre'], st.chains['out']],
        [
          {
            hook: 'prerouting',
            type: 'filter',
            prio: -150,
            rules: 1,
            jumps: ['wbond0'],
            tags: [ruleTag(jumpRules(want).pre)],
          },
          {
            hook: 'output',
            type: 'route',
            prio: -150,
            rules: 1,
            jumps: ['wbond0'],
            tags: [ruleTag(jumpRules(want).out)],
          },
        ],
      );
      assert.ok(sameShape([want], st), 'a second up would replace the table nft printed back');
    },
  );

  it('ip -j rule show: the seven rules of three lines', () => {
    const rules = parseRules(fixture('ip-rule-iproute2-6.1.json')).filter((r) => r.fwmark !== undefined);
    assert.equal(rules.length, 7);
    assert.deepEqual(
      rules.find((r) => r.table === 'main'),
      { priority: 7763, table: 'main', fwmark: 0x77620000, mask: 0xffff0000, suppressPrefixlength: 0 },
    );
  });
});
