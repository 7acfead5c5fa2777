// The daemon's last read of the kernel, kept true between reads by `ip monitor`'s events, so that a line
// failing leaves the ring without a read first (issue 22: the read was the biggest cost of a ring change).
// A link event that only moves a known link's flags (UP, LOWER_UP) and operstate is applied to the read;
// any other change the read holds (a link created, deleted, renamed, its MTU or root qdisc changed) drops
// it, and the next change reads the kernel. Only a holder of the lock changes the bonds, so like the
// record (record-cache.ts) the read is kept per tenure. What the monitor cannot see (a qdisc changed by
// hand, a sysctl) the read may miss: the daemon plans only steps the kernel refuses when stale from it
// (BondKind's refusesStale), and the drift check reads the kernel whole every 2 s. Pure.
import type { ObservedState } from '../state/types.js';
import { linkDetail, parseMonitorLine, type LinkEvent } from './parse.js';

/** Events kept for a read under way; more than this and its result is not kept (an event storm). */
const PENDING_MAX = 256;

/**
 * The read as this monitor line leaves it; undefined when the line may have changed what the read holds in a
 * way it cannot be patched for. `ev`: the line as parseMonitorLine read it (the daemon parses each line once).
 */
export function patched(o: ObservedState, line: string, ev: LinkEvent | undefined): ObservedState | undefined {
  // Addresses and routes are not in a lean read (nor is a bridge port's message news of the link itself).
  if (!ev) return o.lean ? o : undefined;
  if (ev.deleted) return undefined;
  const d = linkDetail(line);
  const l = o.links.find((x) => x.ifindex === ev.ifindex);
  if (!l || l.name !== ev.name || d.mtu !== l.mtu) return undefined;
  const root = o.qdiscs.find((q) => q.dev === l.name && q.root);
  if (root === undefined || root.kind !== d.qdisc) return undefined;
  const now = { ...l, flags: d.flags, operstate: d.operstate ?? l.operstate };
  return { ...o, links: o.links.map((x) => (x === l ? now : x)) };
}

export class ReadCache {
  private kept: { tenure: number; state: ObservedState } | undefined;
  /** For each read under way, the monitor's lines since it started. */
  private readonly pending = new Set<string[]>();
  /** Counts clears: a read that started before one is not kept. */
  private cleared = 0;
  /** Reads that start before this (Date.now()) are not kept: no monitor saw what followed them. */
  private blindUntil = 0;

  /** The read, if one was kept under this same tenure and no event since made it stale. */
  get(tenure: number | undefined): ObservedState | undefined {
    return tenure !== undefined && this.kept?.tenure === tenure ? this.kept.state : undefined;
  }

  /**
   * A read of the kernel through the cache: its result is kept with the events that came meanwhile applied
   * (the read may have been taken before or after each of them; both are patched alike).
   */
  async read(tenure: number | undefined, read: () => Promise<ObservedState>): Promise<ObservedState> {
    const seen: string[] = [];
    const cleared = this.cleared;
    const seeing = Date.now() >= this.blindUntil;
    this.pending.add(seen);
    try {
      const o = await read();
      const keep = seeing && seen.length <= PENDING_MAX && tenure !== undefined && cleared === this.cleared;
      let kept: ObservedState | undefined = keep ? o : undefined;
      for (const line of seen) kept = kept && patched(kept, line, parseMonitorLine(line));
      this.kept = kept && tenure !== undefined ? { tenure, state: kept } : undefined;
      return o;
    } finally {
      this.pending.delete(seen);
    }
  }

  /** One line of the daemon's `ip -o monitor`, and what parseMonitorLine made of it. */
  event(line: string, ev: LinkEvent | undefined): void {
    for (const seen of this.pending) if (seen.length <= PENDING_MAX) seen.push(line);
    if (!this.kept) return;
    const state = patched(this.kept.state, line, ev);
    this.kept = state ? { tenure: this.kept.tenure, state } : undefined;
  }

  /**
   * The monitor is gone (Infinity) or subscribes a moment after it started: events until then are unseen, so no
   * read until then is kept.
   */
  blind(until: number): void {
    this.clear();
    this.blindUntil = until;
  }

  /** A change failed or was wide (a whole bond): what the kernel holds now is read anew. */
  clear(): void {
    this.kept = undefined;
    this.cleared++;
  }
}
