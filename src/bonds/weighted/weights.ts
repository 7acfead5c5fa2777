// Weighted per-packet striping, the arithmetic: small integer weights from the lines' rates, and
// the order in which packets are drawn. nftables draws with `numgen inc mod W map { ... }`, so the
// weights' sum W is the length of the map; a short map keeps the ruleset small and a line's
// packets spread through the cycle instead of in bursts. Pure.

/** The largest map wanbond writes: rates are approximated to weights that sum to at most this. */
export const MAX_TOTAL = 64;

/** A line's share of a weighted bond: its rate, where the rate came from, and its integer weight. */
export interface LineWeight {
  name: string;
  bps: number;
  how: string;
  weight: number;
}

export const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Integer weights in the ratio of `rates` (bit/s, each > 0), reduced by their common divisor, and
 * scaled down to sum to at most `maxTotal` where they would not (largest remainder; every line
 * keeps at least 1). T1 + fractional T1 of 12 timeslots: [1536000, 768000] -> [2, 1].
 */
export function integerWeights(rates: readonly number[], maxTotal = MAX_TOTAL): number[] {
  if (rates.length === 0) return [];
  if (rates.some((r) => !(r > 0) || !Number.isFinite(r)))
    throw new RangeError(`rates must be positive: ${rates.join(', ')}`);
  if (maxTotal < rates.length) throw new RangeError(`a map of ${maxTotal} cannot hold ${rates.length} lines`);
  const ints = rates.map((r) => Math.round(r));
  const g = ints.reduce((a, b) => gcd(a, b));
  const exact = ints.map((r) => r / g);
  const total = exact.reduce((a, b) => a + b, 0);
  if (total <= maxTotal) return exact;
  // Each line at least 1; the rest shared in proportion, largest remainders first.
  const ideal = ints.map((r) => (r / ints.reduce((a, b) => a + b, 0)) * maxTotal);
  const base = ideal.map((v) => Math.max(1, Math.floor(v)));
  let left = maxTotal - base.reduce((a, b) => a + b, 0);
  const order = ideal.map((v, i) => ({ i, rem: v - Math.floor(v) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    base[i] = (base[i] as number) + 1;
    left--;
  }
  // Lines lifted to 1 can overdraw the budget: take back from the largest.
  while (left < 0) {
    const i = base.indexOf(Math.max(...base));
    base[i] = (base[i] as number) - 1;
    left++;
  }
  const g2 = base.reduce((a, b) => gcd(a, b));
  return base.map((w) => w / g2);
}

/**
 * The line index drawn at each step of one cycle, by smooth weighted round robin (nginx's): each
 * line gains its weight every step, the richest is drawn and pays the total. [2, 1] -> [0, 1, 0];
 * [5, 1, 1] -> [0, 0, 1, 0, 2, 0, 0]: a line's turns are spread through the cycle.
 */
export function stripeSequence(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let step = 0; step < total; step++) {
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      current[i] = (current[i] as number) + (weights[i] as number);
      if ((weights[i] as number) > 0 && (best < 0 || (current[i] as number) > (current[best] as number))) best = i;
    }
    current[best] = (current[best] as number) - total;
    out.push(best);
  }
  return out;
}

/** How far the weights' shares are from the rates' shares: the largest difference, as a fraction of all packets. */
export function shareError(rates: readonly number[], weights: readonly number[]): number {
  const r = rates.reduce((a, b) => a + b, 0),
    w = weights.reduce((a, b) => a + b, 0);
  return Math.max(0, ...rates.map((x, i) => Math.abs(x / r - (weights[i] as number) / w)));
}
