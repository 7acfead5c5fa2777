// The weights and the draw order of weighted striping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { integerWeights, MAX_TOTAL, shareError, stripeSequence } from '../../../src/bonds/weighted/weights.js';

const T1 = 1_536_000,
  FT1_12 = 768_000;

describe('weighted striping: weights', () => {
  it('lines in a simple ratio keep it exactly', () => {
    assert.deepEqual(integerWeights([T1, FT1_12]), [2, 1]);
    assert.deepEqual(integerWeights([T1, T1, FT1_12]), [2, 2, 1]);
    assert.deepEqual(integerWeights([T1, T1]), [1, 1]);
    assert.deepEqual(integerWeights([T1, 5 * 64_000]), [24, 5], 'a T1 and 5 timeslots: 29 entries, exact');
  });

  it('rates with no small ratio: at most MAX_TOTAL entries, every line drawn, shares close to the rates', () => {
    const rates = [T1, 1_000_003, 64_000];
    const w = integerWeights(rates);
    assert.ok(w.reduce((a, b) => a + b, 0) <= MAX_TOTAL, String(w));
    assert.ok(
      w.every((x) => x >= 1),
      String(w),
    );
    assert.ok(shareError(rates, w) < 1 / MAX_TOTAL, `${w}: ${shareError(rates, w)}`);
  });

  it('a line far slower than the others still gets one draw in the map', () => {
    const w = integerWeights([100_000_000, 100_000_000, 64_000], 16);
    assert.equal(w.reduce((a, b) => a + b, 0) <= 16, true, String(w));
    assert.equal(w[2], 1);
  });

  it('refuses rates that are not positive, and maps too short for the lines', () => {
    assert.throws(() => integerWeights([T1, 0]), RangeError);
    assert.throws(() => integerWeights([1, 1, 1], 2), RangeError);
    assert.deepEqual(integerWeights([]), []);
  });
});

describe('weighted striping: draw order', () => {
  it('each line drawn its weight times per cycle, its turns spread out', () => {
    assert.deepEqual(stripeSequence([2, 1]), [0, 1, 0]);
    assert.deepEqual(stripeSequence([5, 1, 1]), [0, 0, 1, 0, 2, 0, 0]);
    assert.deepEqual(stripeSequence([2, 2, 1]), [0, 1, 2, 0, 1], 'never the same line twice running while others wait');
    const long = stripeSequence([24, 5]);
    assert.deepEqual(
      [0, 1].map((i) => long.filter((x) => x === i).length),
      [24, 5],
    );
    // The slow line's five turns at least four apart: spread, not in a burst.
    const at = long.flatMap((x, i) => (x === 1 ? [i] : []));
    assert.ok(
      at.slice(1).every((p, k) => p - (at[k] as number) >= 4),
      String(at),
    );
  });

  it('a line of weight 0 (out of the bond) is never drawn', () => {
    assert.deepEqual(stripeSequence([2, 0, 1]), [0, 2, 0]);
  });
});
