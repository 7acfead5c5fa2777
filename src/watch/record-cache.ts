// wanbond's record as the daemon's last change left it. Only a holder of the lock writes the record, so
// while the daemon has held its lock throughout (one tenure, held-lock.ts) the file holds exactly what
// the daemon last read or wrote there: a ring change need not read and parse it again. A lock given up
// to a waiting `up` or `down` starts a new tenure, and the record is read anew.
import type { Record as WanbondRecord } from '../state/record.js';

export class RecordCache {
  private kept: { tenure: number; record: WanbondRecord } | undefined;

  /** The record, if it was kept under this same tenure. */
  get(tenure: number | undefined): WanbondRecord | undefined {
    return tenure !== undefined && this.kept?.tenure === tenure ? this.kept.record : undefined;
  }

  set(tenure: number | undefined, record: WanbondRecord): void {
    this.kept = tenure === undefined ? undefined : { tenure, record };
  }

  /** After a change whose outcome on the record is not known (a failure, a rollback). */
  clear(): void {
    this.kept = undefined;
  }
}
