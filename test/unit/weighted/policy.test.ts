// The rules and per-line tables of weighted bonds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineTableRoutes, policyRules, tableOf } from '../../../src/bonds/weighted/policy.js';
import { ruleArgs } from '../../../src/net/rules.js';

describe('weighted bonds: rules and tables', () => {
  it("three groups: the bond's prefixes per line, the router's own networks, the default per line", () => {
    const rules = policyRules([{ index: 0, lines: ['w1g1ppp', 'w2g1ppp'] }]);
    assert.deepEqual(
      rules.map(ruleArgs).map((a) => a.join(' ')),
      [
        `priority 7762 fwmark 0x77620001/0xffffffff lookup ${tableOf(0, 0)} suppress_prefixlength 0`,
        `priority 7762 fwmark 0x77620002/0xffffffff lookup ${tableOf(0, 1)} suppress_prefixlength 0`,
        'priority 7763 fwmark 0x77620000/0xffff0000 lookup main suppress_prefixlength 0',
        `priority 7764 fwmark 0x77620001/0xffffffff lookup ${tableOf(0, 0)}`,
        `priority 7764 fwmark 0x77620002/0xffffffff lookup ${tableOf(0, 1)}`,
      ],
    );
  });

  it('two bonds: tables and marks never collide', () => {
    const tables = [0, 1].flatMap((b) => [0, 1, 2].map((k) => tableOf(b, k)));
    assert.equal(new Set(tables).size, tables.length);
    assert.ok(tables.every((t) => t > 255 && t < 2 ** 32));
  });

  it("each line's table: every route of the bond through that line, from the bond's address", () => {
    assert.deepEqual(
      lineTableRoutes({
        index: 0,
        lines: ['w1g1ppp', 'w2g1ppp'],
        routes: ['default', '192.0.2.0/24'],
        address: '10.0.0.0/31',
      }),
      [
        { table: tableOf(0, 0), to: 'default', dev: 'w1g1ppp', src: '10.0.0.0' },
        { table: tableOf(0, 0), to: '192.0.2.0/24', dev: 'w1g1ppp', src: '10.0.0.0' },
        { table: tableOf(0, 1), to: 'default', dev: 'w2g1ppp', src: '10.0.0.0' },
        { table: tableOf(0, 1), to: '192.0.2.0/24', dev: 'w2g1ppp', src: '10.0.0.0' },
      ],
    );
  });
});
