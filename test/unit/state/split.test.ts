// The split now from two readings of the counters: bytes, rates and shares, and what a counter that
// went backwards or an interface that came or went in between means.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sentBetween, split } from '../../../src/state/split.js';
import type { LinkState } from '../../../src/state/types.js';

const link = (name: string, txBytes: number, ifindex = 1): LinkState => ({
  name,
  ifindex,
  flags: ['UP', 'LOWER_UP'],
  mtu: 1500,
  operstate: 'UP',
  stats: {
    rxBytes: 0,
    rxPackets: 0,
    rxErrors: 0,
    rxDropped: 0,
    txBytes,
    txPackets: 0,
    txErrors: 0,
    txDropped: 0,
  },
});
const members = (...names: string[]) => names.map((name) => ({ name, member: true }));

describe('split', () => {
  it('shares of what the members sent between the readings, not of the counters since creation', () => {
    const s = split(
      { atMs: 1000, links: [link('a', 9_000_000), link('b', 100_000), link('c', 5)] },
      { atMs: 2000, links: [link('a', 9_000_300), link('b', 100_100), link('c', 5 + 1000)] },
      [...members('a', 'b'), { name: 'c', member: false }],
    );
    assert.equal(s.intervalMs, 1000);
    assert.deepEqual(
      s.lines.map((l) => [l.name, l.txBytes, l.txBitsPerSecond, l.share]),
      [
        ['a', 300, 2400, 0.75],
        ['b', 100, 800, 0.25],
        // Not a member: its traffic is its own, and counts in no one's share.
        ['c', 1000, 8000, null],
      ],
    );
  });

  it('a member that sent nothing while the others did: 0, a real figure', () => {
    const s = split(
      { atMs: 0, links: [link('a', 7), link('b', 7)] },
      { atMs: 500, links: [link('a', 507), link('b', 7)] },
      members('a', 'b'),
    );
    assert.deepEqual(
      s.lines.map((l) => [l.share, l.txBitsPerSecond]),
      [
        [1, 8000],
        [0, 0],
      ],
    );
  });

  it('an idle bond: no share (null) for any line, rates 0', () => {
    const r = { atMs: 0, links: [link('a', 7), link('b', 9)] };
    const s = split(r, { ...r, atMs: 1000 }, members('a', 'b'));
    assert.deepEqual(
      s.lines.map((l) => [l.share, l.txBitsPerSecond]),
      [
        [null, 0],
        [null, 0],
      ],
    );
  });

  it('an interface recreated or its counters reset in between: what it counted since', () => {
    assert.equal(sentBetween(link('a', 5000, 4), link('a', 300, 9)), 300, 'recreated (new ifindex)');
    assert.equal(sentBetween(link('a', 5000, 4), link('a', 6000, 9)), 6000, 'recreated, already past the old count');
    assert.equal(sentBetween(link('a', 5000), link('a', 300)), 300, 'reset (went backwards)');
    assert.equal(sentBetween(undefined, link('a', 300)), 300, 'created');
    assert.equal(sentBetween(link('a', 5000), undefined), null, 'gone: unknown');
    assert.equal(sentBetween(link('a', 5000), { ...link('a', 0), stats: undefined }), null, 'read without -s');
  });

  it('a line gone by the second reading: unknown, and the others share what was counted', () => {
    const s = split(
      { atMs: 0, links: [link('a', 0), link('b', 0)] },
      { atMs: 1000, links: [link('a', 100)] },
      members('a', 'b'),
    );
    assert.deepEqual(
      s.lines.map((l) => [l.txBytes, l.share]),
      [
        [100, 1],
        [null, null],
      ],
    );
  });

  it('no interval to divide by: bytes and shares, no rate', () => {
    const s = split({ atMs: 5, links: [link('a', 0)] }, { atMs: 5, links: [link('a', 10)] }, members('a'));
    assert.deepEqual(s.lines[0], { name: 'a', txBytes: 10, txBitsPerSecond: null, share: 1 });
  });
});
