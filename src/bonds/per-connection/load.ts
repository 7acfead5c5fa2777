// A per-connection bond with `balance = load`: the watch daemon measures each uplink's rate in the
// direction the settings name (in: downloads, what an asymmetric DSL line runs out of first) and
// draws new connections by each uplink's spare capacity, its rate setting less what it carries now.
// An idle 16M and an idle 8M uplink share 2:1, as by their rates; a 16M uplink busy at 12M against
// an idle 8M one gets 1:2. A full uplink keeps a floor of 1 in 16: its connections still come and go,
// and a measure is never the only thing between it and all or none of the new ones. Pure.
import type { DesiredBond, DesiredState } from '../../state/types.js';
import { integerWeights } from '../weighted/weights.js';

/** How often the daemon measures (and, when the shares moved, redraws). */
export const LOAD_INTERVAL_MS = 2000;
/** Weight of the newest interval in the smoothed rate: one burst alone does not move the draw. */
export const LOAD_SMOOTHING = 0.5;
/** The spare capacity of a full uplink, as a share of its rate: its floor in the draw. */
const FLOOR = 1 / 16;

export interface UplinkLoad {
  name: string;
  capacityBps: number;
  rateBps: number;
}

/** Each uplink's weight (1..16, in lowest terms as the draw wants them) from its spare capacity. */
export function loadWeights(uplinks: readonly UplinkLoad[]): number[] {
  const spare = uplinks.map((u) => Math.max(u.capacityBps * FLOOR, u.capacityBps - u.rateBps));
  const top = Math.max(...spare);
  // 16 steps for the largest: finer would only redraw on noise.
  const steps = spare.map((x) => Math.max(1, Math.round((16 * x) / top)));
  return integerWeights(steps);
}

/** The smoothed rate after one more interval: `bytes` counted over `ms`. */
export const smoothRate = (prev: number | undefined, bytes: number, ms: number): number => {
  const now = ms > 0 ? (bytes * 8 * 1000) / ms : 0;
  return prev === undefined ? now : prev + LOAD_SMOOTHING * (now - prev);
};

/** The desired state with the daemon's measured weights in place of the settings' (per bond, per uplink). */
export function withLoadWeights(
  d: DesiredState,
  weights: ReadonlyMap<string, ReadonlyMap<string, number>>,
): DesiredState {
  if (weights.size === 0) return d;
  return {
    ...d,
    bonds: d.bonds.map((b): DesiredBond => {
      const w = weights.get(b.name);
      if (!w || b.balance !== 'load') return b;
      return {
        ...b,
        weightsMeasured: true,
        weights: (b.weights ?? []).map((x) => ({ ...x, weight: w.get(x.name) ?? x.weight })),
      };
    }),
  };
}
