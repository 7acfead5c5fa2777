// Where the daemon's metrics are served, kept to the settings: listen at start, rebind when a reload
// changes `metrics`, close at stop. A port that cannot be had is logged once per try, with its fix,
// and the daemon goes on without metrics; the next reload tries again (the operator may have freed
// the port). prom-client and node:http are loaded on the first listen only: every other wanbond
// command would pay ~50 ms for them.
import { formatAddress, type MetricsAddress } from '../config/watch-settings.js';
import { ListenError } from '../errors.js';
import type { Log } from '../log.js';
import type { HealthFile } from './health-file.js';
import type { CounterReader, WatchMetrics } from './metrics.js';
import type { MetricsServer } from './metrics-server.js';

export interface EndpointOptions {
  log: Log;
  /** What health.json was last written from: the metrics serve exactly those numbers. */
  snapshot: () => HealthFile | undefined;
  /** The lines' kernel counters (default: /sys/class/net). */
  counters?: CounterReader;
}

export class MetricsEndpoint {
  private metrics: WatchMetrics | undefined;
  private server: MetricsServer | undefined;
  /** The address last asked for ('' = off), to rebind only on a change. */
  private wanted: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: EndpointOptions) {}

  /** Where it listens (127.0.0.1:15440, [::1]:15440), or null. */
  get address(): string | null {
    return this.server?.address ?? null;
  }

  /** Serves at `want` (null: off). Never throws; calls run one after the other. */
  apply(want: MetricsAddress | null): Promise<void> {
    return this.queue(async () => {
      if (this.closed) return;
      const key = want ? formatAddress(want) : '';
      if (key === this.wanted && (key === '' || this.server !== undefined)) return;
      // The old address first: the new one may be the same port on another address.
      await this.stopServer();
      this.wanted = key;
      if (!want) {
        this.o.log.info({ event: 'metrics', address: null }, 'metrics = off: no Prometheus metrics served');
        return;
      }
      const [{ WatchMetrics, sysfsCounters }, { MetricsServer }] = await Promise.all([
        import('./metrics.js'),
        import('./metrics-server.js'),
      ]);
      this.metrics ??= new WatchMetrics({ snapshot: this.o.snapshot, counters: this.o.counters ?? sysfsCounters() });
      const r = await MetricsServer.listen(want, this.metrics, this.o.log);
      if (r instanceof ListenError) {
        this.o.log.error(
          { event: 'metrics-failed', address: r.address, code: r.code, err: r.message, hint: r.hint },
          `${r.message}; the daemon goes on without metrics (fix: ${r.hint})`,
        );
        return;
      }
      this.server = r;
      this.o.log.info(
        { event: 'metrics', address: r.address },
        `serving Prometheus metrics at http://${r.address}/metrics`,
      );
    });
  }

  /** For good (SIGTERM): the port is free when this resolves. */
  close(): Promise<void> {
    this.closed = true;
    return this.queue(() => this.stopServer());
  }

  private async stopServer(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.close();
  }

  private queue(f: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(f).catch((e: unknown) => {
      this.o.log.error(
        { event: 'metrics-failed', err: e instanceof Error ? e.message : String(e) },
        'unexpected error serving the metrics; the daemon goes on without them',
      );
    });
    return this.chain;
  }
}
