// A line is in a TEQL bond by having the bond's teqlN as its root qdisc: the one test of membership
// that the kind, its planner, `down` and doctor share. Pure.
import type { ObservedState } from '../../state/types.js';

/** A line's root qdisc is this bond: it is in the bond. */
export const enslaved = (o: Pick<ObservedState, 'qdiscs'>, line: string, teql: string): boolean =>
  o.qdiscs.some((q) => q.dev === line && q.root && q.kind === teql);
