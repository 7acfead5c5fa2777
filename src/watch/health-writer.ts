// health.json written one after the other: a burst of changes is one more write after the one under
// way (it reads the state then, so nothing is lost); after the last write (the one that says the
// daemon stopped) nothing more is written.
import type { Log } from '../log.js';
import { writeHealthFile, type HealthFile } from './health-file.js';

export class HealthWriter {
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private final = false;
  /** What health.json was last written from: the metrics serve exactly these numbers. */
  last: HealthFile | undefined;

  constructor(
    private readonly o: {
      log: Log;
      stateDir: () => string;
      snapshot: (stoppedAt?: string) => HealthFile;
    },
  ) {}

  write(stoppedAt?: string): Promise<void> {
    if (this.final || (this.queued && !stoppedAt)) return this.chain;
    if (stoppedAt) this.final = true;
    this.queued = true;
    this.chain = this.chain
      .then(async () => {
        this.queued = false;
        const file = this.o.snapshot(stoppedAt);
        // The metrics serve this very object: a scrape and `status --json` show the same numbers.
        this.last = file;
        await writeHealthFile(this.o.stateDir(), file);
      })
      .catch((e: unknown) => {
        this.o.log.error(
          { err: e instanceof Error ? e.message : String(e) },
          'cannot write the health file for wanbond status',
        );
      });
    return this.chain;
  }
}
