// The daemon's side of `balance = load`: measures each load-balanced uplink's rate (its counter in the
// direction set) and keeps each bond's weights; says when the shares of spare capacity moved, so the
// daemon redraws new connections by them (a ring change: one nft transaction). A counter that cannot
// be read leaves the bond's weights as they are. The arithmetic is load.ts's.
import type { Log } from '../../log.js';
import type { DesiredState } from '../../state/types.js';
import type { CounterReader } from '../../watch/metrics.js';
import { loadWeights, smoothRate, withLoadWeights } from './load.js';

export class LoadMeter {
  private readonly last = new Map<string, { bytes: number; at: number }>();
  private readonly rate = new Map<string, number>();
  private readonly weights = new Map<string, Map<string, number>>();
  private busy = false;

  constructor(private readonly o: { log: Log; counters: () => CounterReader; now?: () => number }) {}

  /** The desired state with the measured weights in place of the settings'. */
  apply(d: DesiredState): DesiredState {
    return withLoadWeights(d, this.weights);
  }

  /** One measurement; true when a bond's weights moved (the daemon then redraws). */
  async measure(d: DesiredState): Promise<boolean> {
    const bonds = d.bonds.filter((b) => b.balance === 'load');
    // A reload may have removed bonds or uplinks: what is kept for them goes (memory stays flat).
    for (const name of [...this.weights.keys()]) if (!bonds.some((b) => b.name === name)) this.weights.delete(name);
    const measured = new Set(bonds.flatMap((b) => (b.uplinks ?? []).map((u) => u.name)));
    for (const m of [this.last, this.rate]) for (const name of [...m.keys()]) if (!measured.has(name)) m.delete(name);
    if (bonds.length === 0 || this.busy) return false;
    this.busy = true;
    let moved = false;
    try {
      const read = this.o.counters();
      for (const b of bonds) {
        const ups = b.uplinks ?? [];
        const loads = [];
        for (const u of ups) {
          const c = await read(u.name);
          const now = this.o.now?.() ?? Date.now();
          if (!c || u.bps === undefined) {
            this.last.delete(u.name);
            continue;
          }
          const bytes = u.measure === 'in' ? c.rxBytes : c.txBytes;
          const last = this.last.get(u.name);
          this.last.set(u.name, { bytes, at: now });
          // A counter that went back (the interface was recreated) starts over.
          if (!last || bytes < last.bytes) continue;
          const rate = smoothRate(this.rate.get(u.name), bytes - last.bytes, now - last.at);
          this.rate.set(u.name, rate);
          loads.push({ name: u.name, capacityBps: u.bps, rateBps: rate });
        }
        if (loads.length !== ups.length) continue;
        const w = loadWeights(loads);
        const next = new Map(loads.map((l, i) => [l.name, w[i] as number]));
        const was = this.weights.get(b.name);
        if (was && [...next].every(([n, x]) => was.get(n) === x)) continue;
        this.weights.set(b.name, next);
        moved = true;
        this.o.log.info(
          {
            event: 'load',
            bond: b.name,
            rates: Object.fromEntries(loads.map((l) => [l.name, Math.round(l.rateBps)])),
            weights: Object.fromEntries(next),
          },
          `${b.name}: new connections now ${loads.map((l) => `${l.name} ${next.get(l.name)}`).join(' : ')} ` +
            '(measured ' +
            loads
              .map((l) => `${l.name} ${(l.rateBps / 1e6).toFixed(2)} of ${(l.capacityBps / 1e6).toFixed(2)} Mbit/s`)
              .join(', ') +
            ')',
        );
      }
    } finally {
      this.busy = false;
    }
    return moved;
  }
}
