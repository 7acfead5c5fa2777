// The metrics endpoint: node:http, GET /metrics and nothing else. A port that cannot be had is a
// ListenError returned to the daemon (which logs it and goes on without metrics), never thrown:
// the bonds matter more than their numbers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAddress, type MetricsAddress } from '../config/watch-settings.js';
import { ListenError } from '../errors.js';
import type { Log } from '../log.js';

/** A request (headers and all) must be done within this; a stuck or slow client holds nothing longer. */
export const REQUEST_TIMEOUT_MS = 5000;

export interface Scraper {
  readonly contentType: string;
  scrape(): Promise<string>;
}

const FIX =
  'set another port (metrics = 127.0.0.1:<port>) or metrics = off in the [watch] section of wanbond.conf, ' +
  'then systemctl reload wanbond-watch';

function listenError(at: MetricsAddress, e: NodeJS.ErrnoException): ListenError {
  const a = formatAddress(at);
  switch (e.code) {
    case 'EADDRINUSE':
      return new ListenError(
        a,
        e.code,
        `cannot serve metrics on ${a}: another program listens there`,
        `${FIX} (ss -ltnp 'sport = :${at.port}' names the program)`,
        { cause: e },
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(
        a,
        e.code,
        `cannot serve metrics on ${a}: ${at.host} is not an address of this machine`,
        `use an address this machine has (ip -br addr), 127.0.0.1 or 0.0.0.0; or ${FIX}`,
        { cause: e },
      );
    case 'EACCES':
      return new ListenError(
        a,
        e.code,
        `cannot serve metrics on ${a}: not permitted`,
        `use a port above 1023, or ${FIX}`,
        { cause: e },
      );
    default:
      return new ListenError(a, e.code, `cannot serve metrics on ${a}: ${e.message}`, FIX, { cause: e });
  }
}

export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly address: string,
  ) {}

  /** Listening, or why not (the port stays free: nothing to close). */
  static listen(at: MetricsAddress, scraper: Scraper, log: Log): Promise<MetricsServer | ListenError> {
    const server = http.createServer(
      {
        requestTimeout: REQUEST_TIMEOUT_MS,
        headersTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: REQUEST_TIMEOUT_MS,
        // Node checks those timeouts on this interval (30 s by default, which would let a request live 35 s).
        connectionsCheckingInterval: 1000,
        maxHeaderSize: 8192,
      },
      (req, res) => {
        const target = (req.url ?? '').split('?')[0];
        if (req.method !== 'GET' || target !== '/metrics') {
          res
            .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
            .end('not found: the metrics are at GET /metrics\n');
          return;
        }
        scraper.scrape().then(
          (body) => {
            res.writeHead(200, { 'content-type': scraper.contentType, 'cache-control': 'no-store' }).end(body);
          },
          (e: unknown) => {
            log.error(
              { event: 'metrics-failed', err: e instanceof Error ? e.message : String(e) },
              'building the metrics failed',
            );
            res
              .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
              .end("the metrics could not be built; see the daemon's log\n");
          },
        );
      },
    );
    // A socket silent this long (a client that stopped reading) is closed.
    server.timeout = REQUEST_TIMEOUT_MS;
    // Prometheus opens one connection per target; a few spare for curl, never hundreds.
    server.maxConnections = 16;
    return new Promise((resolve) => {
      const failed = (e: NodeJS.ErrnoException) => resolve(listenError(at, e));
      server.once('error', failed);
      server.listen({ host: at.host, port: at.port }, () => {
        server.off('error', failed);
        server.on('error', (e) =>
          log.error({ event: 'metrics-failed', err: e.message }, 'the metrics server reported an error'),
        );
        const a = server.address() as AddressInfo;
        resolve(new MetricsServer(server, formatAddress({ host: a.address, port: a.port })));
      });
    });
  }

  /** Stops listening and drops open connections (a scrape in flight included): the port is free after. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
