// The steps of weighted bonds: their commands, their undo, and a record read back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argvOf } from '../../../src/exec/runner.js';
import { inverse, toCommand, type Step } from '../../../src/plan/steps.js';
import { validateStep } from '../../../src/plan/validate.js';
import type { WeightedBondRules } from '../../../src/bonds/weighted/ruleset.js';

const bond: WeightedBondRules = {
  bond: 'wbond0',
  index: 0,
  inRing: ['w1g1ppp', 'w2g1ppp'],
  lines: [
    { name: 'w1g1ppp', weight: 2 },
    { name: 'w2g1ppp', weight: 1 },
  ],
};
const roundTrip = (s: Step) => validateStep(JSON.parse(JSON.stringify(s)));

describe('weighted bonds: steps', () => {
  it('the table in one nft transaction, undone by deleting it', () => {
    const s: Step = { kind: 'nft-table', bonds: [bond], replaced: false };
    const c = toCommand(s);
    assert.deepEqual(argvOf(c!), ['nft', '-f', '-']);
    assert.match(c?.input ?? '', /^add table ip wanbond\n/);
    assert.deepEqual(inverse(s), { kind: 'nft-delete-table' });
    assert.deepEqual(argvOf(toCommand({ kind: 'nft-delete-table' })!), ['nft', 'delete', 'table', 'ip', 'wanbond']);
    assert.deepEqual(inverse({ ...s, replaced: true }), { kind: 'nft-delete-table' }, "the table is wanbond's alone");
    assert.deepEqual(roundTrip(s), s);
  });

  it('a line out: the draw rewritten in one transaction, undone by the draw before', () => {
    const s: Step = { kind: 'nft-stripe', bond: { ...bond, inRing: ['w1g1ppp'] }, wasInRing: ['w1g1ppp', 'w2g1ppp'] };
    assert.equal(
      toCommand(s)?.input,
      'flush chain ip wanbond wbond0\nadd rule ip wanbond wbond0 meta mark set 0x77620001\n',
    );
    const back = inverse(s);
    assert.deepEqual(back, { kind: 'nft-stripe', bond, wasInRing: ['w1g1ppp'] });
    assert.match(toCommand(back!)?.input ?? '', /numgen inc mod 3/);
    assert.deepEqual(roundTrip(s), s);
  });

  it('the dummy for the address, and the fwmark rules, with their undo', () => {
    assert.deepEqual(argvOf(toCommand({ kind: 'create-dummy', dev: 'wbond0' })!), [
      'ip',
      'link',
      'add',
      'dev',
      'wbond0',
      'type',
      'dummy',
    ]);
    assert.deepEqual(inverse({ kind: 'create-dummy', dev: 'wbond0' }), { kind: 'delete-link', dev: 'wbond0' });
    const rule = { priority: 7764, fwmark: 0x77620001, mask: 0xffffffff, table: 77620001 };
    assert.deepEqual(argvOf(toCommand({ kind: 'add-rule', rule })!), [
      'ip',
      'rule',
      'add',
      'priority',
      '7764',
      'fwmark',
      '0x77620001/0xffffffff',
      'lookup',
      '77620001',
    ]);
    assert.deepEqual(inverse({ kind: 'add-rule', rule }), { kind: 'del-rule', rule });
    assert.deepEqual(roundTrip({ kind: 'add-rule', rule: { ...rule, table: 'main', suppressPrefixlength: 0 } }), {
      kind: 'add-rule',
      rule: { ...rule, table: 'main', suppressPrefixlength: 0 },
    });
  });

  it('a record that was tampered with never reaches a command', () => {
    assert.throws(
      () => validateStep({ kind: 'delete-link', dev: 'eth0' }),
      /not valid here/,
      "only wanbond's own dummy is ever deleted",
    );
    assert.throws(
      () => validateStep({ kind: 'nft-stripe', bond: { ...bond, bond: 'x; flush ruleset' }, wasInRing: [] }),
      /not valid here/,
    );
    assert.throws(
      () => validateStep({ kind: 'nft-stripe', bond: { ...bond, inRing: ['eth9'] }, wasInRing: [] }),
      /not one of its lines/,
    );
    // A field the renderer does not take (an older record's routes) is dropped when the record is read back.
    const read = validateStep({
      kind: 'nft-table',
      bonds: [{ ...bond, routes: ['0.0.0.0/0 } ; flush ruleset ; {'] }],
      replaced: false,
    });
    assert.doesNotMatch(toCommand(read)?.input ?? '', /flush ruleset/);
    assert.deepEqual(read, { kind: 'nft-table', bonds: [bond], replaced: false });
    // `down` deletes the rules a record names: only the shape wanbond writes is ever read back.
    const ok = { priority: 7764, fwmark: 0x77620001, mask: 0xffffffff, table: 77620001 };
    assert.deepEqual(validateStep({ kind: 'del-rule', rule: ok }), { kind: 'del-rule', rule: ok });
    assert.throws(() => validateStep({ kind: 'del-rule', rule: { ...ok, priority: 100 } }), /priority/);
    assert.throws(() => validateStep({ kind: 'del-rule', rule: { ...ok, table: 200 } }), /table/);
    assert.throws(() => validateStep({ kind: 'del-rule', rule: { ...ok, fwmark: 0x10 } }), /fwmark/);
    assert.throws(() => validateStep({ kind: 'del-rule', rule: { ...ok, mask: 0xff } }), /mask/);
    assert.throws(
      () => validateStep({ kind: 'replace-route', route: { to: 'default', dev: 'w1g1ppp', table: 200 } }),
      /table 200/,
    );
    assert.throws(
      () => validateStep({ kind: 'nft-stripe', bond: { ...bond, index: 3 }, wasInRing: [] }),
      /wbond0 with the index 3/,
    );
  });
});
