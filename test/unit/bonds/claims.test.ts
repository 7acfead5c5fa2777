// The kernel's shared numbering taken by each kind (routing tables, rule priorities, marks): the
// built-in kinds' claims do not overlap, and a kind whose claims overlap another's is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KINDS, registerKind } from '../../../src/bonds/registry.js';
import { clashes, malformed, type Claims } from '../../../src/net/claims.js';
import { mirrorKind } from '../../fixtures/bonds/mirror/kind.js';

const none: Claims = { tables: [], priorities: [], sharedPriorities: [], marks: [] };
const named = (name: string, c: Partial<Claims>) => ({ name, claims: { ...none, ...c } });

describe("the kinds' claims", () => {
  it('the built-in kinds claim tables, priorities and marks, and none overlaps another', () => {
    assert.deepEqual(
      KINDS.map((k) => k.name),
      ['teql', 'weighted', 'per-connection'],
    );
    for (const k of KINDS) assert.deepEqual(malformed(k.claims), [], k.name);
    for (const [i, a] of KINDS.entries()) for (const b of KINDS.slice(i + 1)) assert.deepEqual(clashes(a, b), []);
    assert.ok(KINDS.every((k) => k.claims.tables.length === 1));
  });

  it('overlapping tables, a priority another uses, and marks that meet under both masks clash', () => {
    assert.match(
      clashes(named('a', { tables: [{ min: 10, max: 20 }] }), named('b', { tables: [{ min: 20, max: 30 }] })).join(),
      /a and b both take routing tables 20\.\.20/,
    );
    assert.deepEqual(
      clashes(named('a', { tables: [{ min: 10, max: 20 }] }), named('b', { tables: [{ min: 21, max: 30 }] })),
      [],
    );
    assert.match(
      clashes(named('a', { priorities: [7765] }), named('b', { sharedPriorities: [7765] })).join(),
      /a takes rule priority 7765, which b uses/,
    );
    assert.deepEqual(clashes(named('a', { sharedPriorities: [7765] }), named('b', { sharedPriorities: [7765] })), []);
    const wb = { value: 0x7762_0000, mask: 0xffff_0000 };
    assert.match(
      clashes(named('a', { marks: [wb] }), named('b', { marks: [{ value: 0x7762_0100, mask: 0xffff_ff00 }] })).join(),
      /a's marks 0x77620000\/0xffff0000 and b's 0x77620100\/0xffffff00 overlap/,
    );
    assert.deepEqual(
      clashes(named('a', { marks: [wb] }), named('b', { marks: [{ value: 0x7763_0000, mask: 0xffff_0000 }] })),
      [],
    );
    assert.deepEqual(malformed({ ...none, marks: [{ value: 0x7762_0001, mask: 0xffff_0000 }] }), [
      'mark 0x77620001 has bits outside its mask 0xffff0000',
    ]);
  });

  it("a kind claiming the weighted bonds' marks or the probe tables is refused; one claiming none is taken", () => {
    const weighted = KINDS.find((k) => k.name === 'weighted')!;
    const teql = KINDS.find((k) => k.name === 'teql')!;
    assert.throws(
      () =>
        registerKind({
          ...mirrorKind,
          name: 'thief',
          prefix: 'thief',
          claims: { ...none, marks: weighted.claims.marks },
        }),
      /bond kind thief cannot be registered: thief's marks 0x77620000\/0xffff0000 and weighted's/,
    );
    assert.throws(
      () =>
        registerKind({
          ...mirrorKind,
          name: 'thief',
          prefix: 'thief',
          claims: { ...none, tables: teql.claims.tables },
        }),
      /thief and teql both take routing tables/,
    );
    assert.ok(!KINDS.some((k) => k.name === 'thief'));
    registerKind(mirrorKind);
    assert.equal(KINDS.at(-1), mirrorKind);
    assert.throws(() => registerKind(mirrorKind), /registered already/);
  });
});
