// The daemon's Prometheus metrics: built from the snapshot health.json is written from (so a scrape
// and `status --json` agree), parsed back with a Prometheus text-format parser and compared with the
// summaries number by number; the kernel counters' reader never puts an invalid name in a path; the
// endpoint listens, answers only GET /metrics, reports a port it cannot have instead of throwing,
// rebinds when the address changes and frees the port when closed.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import parse, { type ParsedFamily } from 'parse-prometheus-text-format';
import { ListenError } from '../../../src/errors.js';
import { makeLoggerTo, silentLogger } from '../../../src/log.js';
import type { HealthFile } from '../../../src/watch/health-file.js';
import { initialHealth, LINE_ALARMS, step, summary, type LineSummary } from '../../../src/watch/health.js';
import { MetricsEndpoint } from '../../../src/watch/metrics-endpoint.js';
import { MetricsServer } from '../../../src/watch/metrics-server.js';
import { STATES, sysfsCounters, WatchMetrics, type NetCounters } from '../../../src/watch/metrics.js';
import { tmpDir } from '../../helpers/fs.js';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const line = (l: string, o: Partial<LineSummary> = {}): LineSummary => ({
  line: l,
  state: 'up',
  since: '2026-11-26T09:59:00.000Z',
  reason: 'answers 192.0.2.2',
  inRing: true,
  penalty: 0,
  suppressed: false,
  flaps: 0,
  probe: '192.0.2.2',
  rttMs: 12.5,
  loss: 0,
  alarms: [],
  ...o,
});
// One line as the daemon makes it: the health machine's own summary of a line that lost its carrier.
const fell = step(
  initialHealth('w4', NOW - 90_000, '192.0.2.8'),
  { kind: 'link', present: true, ifindex: 9, up: true, carrier: false },
  NOW - 30_000,
).next;

const SNAPSHOT: HealthFile = {
  version: 1,
  pid: 42,
  startedAt: '2026-11-26T09:00:00.000Z',
  updatedAt: '2026-11-26T09:59:58.000Z',
  memory: { rssKb: 1, heapUsedKb: 1 },
  actions: 7,
  metrics: '127.0.0.1:15440',
  bonds: [
    {
      teql: 'teql0',
      allDown: false,
      lines: [
        line('w1'),
        line('w2', {
          state: 'down',
          since: '2026-11-26T09:58:30.500Z',
          reason: 'T1 alarm RED, AIS',
          inRing: false,
          penalty: 2870,
          suppressed: true,
          flaps: 3,
          rttMs: null,
          loss: null,
          alarms: ['RED', 'AIS'],
        }),
        line('w3', { state: 'probation', inRing: false, penalty: 1000, flaps: 1, rttMs: 40.25, loss: 0.2 }),
        summary(fell, NOW - 2000),
      ],
    },
    {
      teql: 'teql1',
      allDown: true,
      lines: [
        line('e1', { state: 'down', inRing: false, flaps: 1, penalty: 1000, alarms: ['DISCONNECTED'], loss: 1 }),
        line('e2', { state: 'down', inRing: false, flaps: 2, penalty: 1900, probe: null, rttMs: null, loss: null }),
      ],
    },
    {
      teql: 'teql2',
      allDown: false,
      lines: [line('e3', { state: 'suspect', reason: 'no answer from 192.0.2.2 for 420 ms', loss: 0.1 })],
    },
  ],
};
const COUNTERS: Record<string, NetCounters> = {
  w1: { rxBytes: 1000, txBytes: 2000, rxPackets: 10, txPackets: 20 },
  w2: { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 },
  w4: { rxBytes: 5, txBytes: 6, rxPackets: 7, txPackets: 8 },
  e1: { rxBytes: 2 ** 40, txBytes: 2 ** 41, rxPackets: 2 ** 30, txPackets: 2 ** 31 },
  e2: { rxBytes: 1, txBytes: 2, rxPackets: 3, txPackets: 4 },
  e3: { rxBytes: 9, txBytes: 8, rxPackets: 7, txPackets: 6 },
  // w3: no such interface (gone, or not created yet)
};

const LINE_FAMILIES = [
  'wanbond_line_state',
  'wanbond_line_in_ring',
  'wanbond_line_suppressed',
  'wanbond_line_penalty',
  'wanbond_line_state_seconds',
  'wanbond_line_flaps_total',
  'wanbond_line_probe_rtt_seconds',
  'wanbond_line_probe_loss_ratio',
  'wanbond_line_alarm',
  'wanbond_line_rx_bytes_total',
  'wanbond_line_tx_bytes_total',
  'wanbond_line_rx_packets_total',
  'wanbond_line_tx_packets_total',
];
const FAMILIES = [
  ...LINE_FAMILIES,
  'wanbond_bond_active_lines',
  'wanbond_bond_lines',
  'wanbond_bond_all_down',
  'wanbond_ring_changes_total',
  'wanbond_daemon_start_time_seconds',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
];

async function scrape(snap: HealthFile | undefined, counters: Record<string, NetCounters> = COUNTERS) {
  const m = new WatchMetrics({ snapshot: () => snap, counters: async (n) => counters[n], now: () => NOW });
  const text = await m.scrape();
  return { text, families: parse(text), m };
}

/** The one sample of `name` with exactly these labels, as a number; undefined when there is none. */
function value(families: ParsedFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `family ${name} missing`);
  const hits = f.metrics.filter((s) => {
    const have = s.labels ?? {};
    return (
      Object.keys(have).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => have[k] === v)
    );
  });
  assert.ok(hits.length <= 1, `${name}${JSON.stringify(labels)}: ${hits.length} samples`);
  return hits[0] ? Number(hits[0].value) : undefined;
}
const count = (families: ParsedFamily[], name: string) => families.find((x) => x.name === name)?.metrics.length ?? 0;

describe('metrics', () => {
  it(
    "every family, with the health file's numbers: states, ring, damping, probes, alarms, kernel counters, " + 'bonds',
    async () => {
      const { text, families } = await scrape(SNAPSHOT);
      assert.deepEqual(families.map((f) => f.name).sort(), [...FAMILIES].sort());
      for (const f of families) assert.equal(f.type, f.name.endsWith('_total') ? 'COUNTER' : 'GAUGE', f.name);
      assert.doesNotMatch(text, /NaN|Nan|Inf/, 'no sample without a number');
      const lines = SNAPSHOT.bonds.flatMap((b) => b.lines.map((l) => ({ bond: b.teql, l })));
      for (const { bond, l } of lines) {
        const at = { bond, line: l.line };
        for (const state of STATES)
          assert.equal(
            value(families, 'wanbond_line_state', { ...at, state }),
            l.state === state ? 1 : 0,
            `${l.line} ${state}`,
          );
        assert.equal(value(families, 'wanbond_line_in_ring', at), l.inRing ? 1 : 0);
        assert.equal(value(families, 'wanbond_line_suppressed', at), l.suppressed ? 1 : 0);
        assert.equal(value(families, 'wanbond_line_penalty', at), l.penalty);
        assert.equal(value(families, 'wanbond_line_flaps_total', at), l.flaps);
        assert.equal(value(families, 'wanbond_line_state_seconds', at), (NOW - Date.parse(l.since)) / 1000);
        assert.equal(
          value(families, 'wanbond_line_probe_rtt_seconds', at),
          l.rttMs === null ? undefined : l.rttMs / 1000,
        );
        assert.equal(value(families, 'wanbond_line_probe_loss_ratio', at), l.loss ?? undefined);
        for (const alarm of LINE_ALARMS)
          assert.equal(
            value(families, 'wanbond_line_alarm', { ...at, alarm }),
            l.alarms.includes(alarm) ? 1 : 0,
            `${l.line} ${alarm}`,
          );
        const c = COUNTERS[l.line];
        assert.equal(value(families, 'wanbond_line_rx_bytes_total', at), c?.rxBytes);
        assert.equal(value(families, 'wanbond_line_tx_bytes_total', at), c?.txBytes);
        assert.equal(value(families, 'wanbond_line_rx_packets_total', at), c?.rxPackets);
        assert.equal(value(families, 'wanbond_line_tx_packets_total', at), c?.txPackets);
      }
      // Spot checks that the loop above compares something real.
      assert.equal(value(families, 'wanbond_line_state', { bond: 'teql0', line: 'w4', state: 'down' }), 1);
      assert.equal(value(families, 'wanbond_line_state_seconds', { bond: 'teql0', line: 'w2' }), 89.5);
      assert.equal(value(families, 'wanbond_line_probe_rtt_seconds', { bond: 'teql0', line: 'w3' }), 0.04025);
      assert.equal(value(families, 'wanbond_line_alarm', { bond: 'teql0', line: 'w2', alarm: 'AIS' }), 1);
      assert.equal(value(families, 'wanbond_line_rx_bytes_total', { bond: 'teql1', line: 'e1' }), 2 ** 40);
      // All four states and all alarm names are always there; samples without a value are left out.
      assert.equal(count(families, 'wanbond_line_state'), lines.length * STATES.length);
      assert.equal(count(families, 'wanbond_line_alarm'), lines.length * LINE_ALARMS.length);
      assert.equal(count(families, 'wanbond_line_probe_rtt_seconds'), lines.filter(({ l }) => l.rttMs !== null).length);
      assert.equal(count(families, 'wanbond_line_probe_loss_ratio'), lines.filter(({ l }) => l.loss !== null).length);
      assert.equal(count(families, 'wanbond_line_rx_bytes_total'), lines.length - 1, 'w3 has no interface');
      for (const b of SNAPSHOT.bonds) {
        assert.equal(
          value(families, 'wanbond_bond_active_lines', { bond: b.teql }),
          b.lines.filter((l) => l.inRing).length,
        );
        assert.equal(value(families, 'wanbond_bond_lines', { bond: b.teql }), b.lines.length);
        assert.equal(value(families, 'wanbond_bond_all_down', { bond: b.teql }), b.allDown ? 1 : 0);
      }
      assert.deepEqual(
        [
          value(families, 'wanbond_bond_active_lines', { bond: 'teql0' }),
          value(families, 'wanbond_bond_all_down', { bond: 'teql1' }),
        ],
        [1, 1],
      );
      assert.equal(value(families, 'wanbond_ring_changes_total'), 7);
      assert.equal(value(families, 'wanbond_daemon_start_time_seconds'), Date.parse(SNAPSHOT.startedAt) / 1000);
      assert.ok((value(families, 'process_resident_memory_bytes') ?? 0) > 1e6);
      assert.ok((value(families, 'nodejs_heap_size_used_bytes') ?? 0) > 1e5);
    },
  );

  it(
    'a line or bond gone after a reload leaves no samples; before the first snapshot there is no health at ' + 'all',
    async () => {
      let snap: HealthFile | undefined = SNAPSHOT;
      const m = new WatchMetrics({ snapshot: () => snap, counters: async (n) => COUNTERS[n], now: () => NOW });
      assert.match(await m.scrape(), /line="w1"/);
      snap = { ...SNAPSHOT, actions: 9, bonds: [{ teql: 'teql0', allDown: false, lines: [line('w2')] }] };
      const after = parse(await m.scrape());
      for (const name of LINE_FAMILIES) {
        const samples = after.find((f) => f.name === name)?.metrics ?? [];
        assert.ok(
          samples.every((s) => s.labels?.['line'] === 'w2' && s.labels['bond'] === 'teql0'),
          name,
        );
      }
      assert.equal(value(after, 'wanbond_bond_lines', { bond: 'teql1' }), undefined);
      assert.equal(
        value(after, 'wanbond_ring_changes_total'),
        9,
        "a counter is set to the daemon's count, not added to",
      );
      snap = undefined;
      const none = parse(await m.scrape());
      for (const name of LINE_FAMILIES) assert.equal(count(none, name), 0, name);
      assert.equal(value(none, 'wanbond_ring_changes_total'), 0);
    },
  );

  it('scrapes that overlap each see one whole snapshot', async () => {
    let n = 0;
    const snaps = [
      SNAPSHOT,
      { ...SNAPSHOT, actions: 100, bonds: [{ teql: 'teql9', allDown: false, lines: [line('z1', { flaps: 5 })] }] },
    ];
    // A slow counter read holds the first scrape while the snapshot changes under it.
    const m = new WatchMetrics({
      snapshot: () => snaps[n++ % 2],
      counters: async (l) => {
        await new Promise((r) => setTimeout(r, 5));
        return COUNTERS[l];
      },
      now: () => NOW,
    });
    const [a, b] = (await Promise.all([m.scrape(), m.scrape()])).map((t) => parse(t));
    assert.equal(value(a!, 'wanbond_ring_changes_total'), 7);
    assert.equal(count(a!, 'wanbond_line_state'), 7 * STATES.length);
    assert.equal(value(b!, 'wanbond_ring_changes_total'), 100);
    assert.deepEqual(b!.find((f) => f.name === 'wanbond_line_flaps_total')?.metrics, [
      { value: '5', labels: { bond: 'teql9', line: 'z1' } },
    ]);
  });

  it("a counter read that never answers: the scrape goes on without that line's counters, and the next " +
    'scrape is not stuck behind it', {
    timeout: 5000,
  }, async () => {
    const stuck = new Set(['w4']);
    const m = new WatchMetrics({
      snapshot: () => SNAPSHOT,
      counters: (n) => (stuck.has(n) ? new Promise(() => undefined) : Promise.resolve(COUNTERS[n])),
      now: () => NOW,
      readBoundMs: 50,
    });
    const first = parse(await m.scrape());
    assert.equal(value(first, 'wanbond_line_tx_bytes_total', { bond: 'teql0', line: 'w4' }), undefined);
    assert.equal(value(first, 'wanbond_line_tx_bytes_total', { bond: 'teql0', line: 'w1' }), COUNTERS['w1']!.txBytes);
    stuck.clear();
    const second = parse(await m.scrape());
    assert.equal(value(second, 'wanbond_line_tx_bytes_total', { bond: 'teql0', line: 'w4' }), COUNTERS['w4']!.txBytes);
  });
});

describe('kernel counters from sysfs', () => {
  it('reads the four counters; a missing interface or a file that is not a number gives none', async () => {
    const root = await tmpDir();
    const put = async (dev: string, vals: Record<string, string>) => {
      await fs.mkdir(path.join(root, dev, 'statistics'), { recursive: true });
      for (const [f, v] of Object.entries(vals)) await fs.writeFile(path.join(root, dev, 'statistics', f), v);
    };
    await put('w1g1', { rx_bytes: '1234\n', tx_bytes: '5678\n', rx_packets: '12\n', tx_packets: '34\n' });
    await put('bad0', { rx_bytes: 'x\n', tx_bytes: '1\n', rx_packets: '1\n', tx_packets: '1\n' });
    const read = sysfsCounters({ root });
    assert.deepEqual(await read('w1g1'), { rxBytes: 1234, txBytes: 5678, rxPackets: 12, txPackets: 34 });
    assert.equal(await read('gone0'), undefined);
    assert.equal(await read('bad0'), undefined);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a name that is not a valid interface name never reaches a path', async () => {
    const paths: string[] = [];
    const read = sysfsCounters({
      root: '/sys/class/net',
      read: async (p) => {
        paths.push(p);
        return '1\n';
      },
    });
    for (const bad of [
      '..',
      '../../etc',
      'a/b',
      '',
      '.hidden',
      'w1/../../x',
      '$(reboot)',
      'x'.repeat(16),
      'a b',
      'w1\n',
    ])
      assert.equal(await read(bad), undefined, JSON.stringify(bad));
    assert.deepEqual(paths, []);
    // Through a scrape as well: a snapshot naming such a line gets its health, never a file read.
    const bogus: HealthFile = {
      ...SNAPSHOT,
      bonds: [{ teql: 'teql0', allDown: false, lines: [line('../../../etc/passwd'), line('w1')] }],
    };
    const fams = parse(await new WatchMetrics({ snapshot: () => bogus, counters: read }).scrape());
    assert.deepEqual(
      paths,
      ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'].map((f) => `/sys/class/net/w1/statistics/${f}`),
    );
    assert.equal(value(fams, 'wanbond_line_rx_bytes_total', { bond: 'teql0', line: '../../../etc/passwd' }), undefined);
    assert.equal(value(fams, 'wanbond_line_state', { bond: 'teql0', line: '../../../etc/passwd', state: 'up' }), 1);
  });
});

/** A logger that keeps what it logs, as the journal would. */
function memoryLog() {
  const events: Record<string, unknown>[] = [];
  return { events, log: makeLoggerTo('test', (l) => events.push(JSON.parse(l) as Record<string, unknown>), 'info') };
}
const portOf = (address: string | null) => Number(/:(\d+)$/.exec(address ?? '')?.[1]);
const freePort = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

describe('the metrics endpoint', () => {
  it('GET /metrics on 127.0.0.1 answers the text format; anything else is 404', async () => {
    const { events, log } = memoryLog();
    const ep = new MetricsEndpoint({ log, snapshot: () => SNAPSHOT, counters: async (n) => COUNTERS[n] });
    await ep.apply({ host: '127.0.0.1', port: 0 });
    assert.match(ep.address ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      events.filter((e) => e['event'] === 'metrics').map((e) => e['address']),
      [ep.address],
    );
    const url = `http://${ep.address}`;
    const r = await fetch(`${url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const fams = parse(await r.text());
    assert.equal(value(fams, 'wanbond_line_flaps_total', { bond: 'teql0', line: 'w2' }), 3);
    assert.equal((await fetch(`${url}/metrics?debug=1`)).status, 200, 'a query string is still /metrics');
    for (const [p, method] of [
      ['/', 'GET'],
      ['/metrics/', 'GET'],
      ['/metricsx', 'GET'],
      ['/metrics', 'POST'],
      ['/metrics', 'DELETE'],
    ] as const) {
      const x = await fetch(`${url}${p}`, { method });
      assert.equal(x.status, 404, `${method} ${p}`);
      await x.text();
    }
    await ep.apply({ host: '127.0.0.1', port: 0 });
    assert.equal(events.filter((e) => e['event'] === 'metrics').length, 1, 'the same address again: nothing done');
    await ep.close();
    assert.equal(ep.address, null);
  });

  it(
    'a port in use is reported with its fix, never thrown; the next try after it is freed listens; closing ' +
      'frees the port',
    async () => {
      const first = new MetricsEndpoint({
        log: silentLogger(),
        snapshot: () => SNAPSHOT,
        counters: async () => undefined,
      });
      await first.apply({ host: '127.0.0.1', port: 0 });
      const port = portOf(first.address);
      const direct = await MetricsServer.listen(
        { host: '127.0.0.1', port },
        { contentType: 'text/plain', scrape: async () => '' },
        silentLogger(),
      );
      assert.ok(direct instanceof ListenError);
      assert.equal(direct.code, 'EADDRINUSE');
      assert.equal(direct.message, `cannot serve metrics on 127.0.0.1:${port}: another program listens there`);
      assert.match(direct.hint, /metrics = off/);

      const { events, log } = memoryLog();
      const second = new MetricsEndpoint({ log, snapshot: () => SNAPSHOT, counters: async () => undefined });
      await second.apply({ host: '127.0.0.1', port });
      assert.equal(second.address, null);
      const failed = events.filter((e) => e['event'] === 'metrics-failed');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.['level'], 50);
      assert.equal(failed[0]?.['code'], 'EADDRINUSE');
      assert.match(
        String(failed[0]?.['msg']),
        /the daemon goes on without metrics \(fix: set another port .*or metrics = off/,
      );

      await first.close();
      assert.ok(await freePort(port), 'closed: the port is free');
      // A reload with the same address tries again (the operator freed the port).
      await second.apply({ host: '127.0.0.1', port });
      assert.equal(second.address, `127.0.0.1:${port}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
      // A reload that turns it off closes it and says so.
      await second.apply(null);
      assert.equal(second.address, null);
      assert.deepEqual(
        events.filter((e) => e['event'] === 'metrics').map((e) => e['address']),
        [`127.0.0.1:${port}`, null],
      );
      assert.ok(await freePort(port));
      await second.close();
    },
  );

  it('a changed address rebinds: the old port is let go', async () => {
    const ep = new MetricsEndpoint({ log: silentLogger(), snapshot: () => SNAPSHOT, counters: async () => undefined });
    await ep.apply({ host: '127.0.0.1', port: 0 });
    const old = portOf(ep.address);
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const next = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    await ep.apply({ host: '127.0.0.1', port: next });
    assert.equal(ep.address, `127.0.0.1:${next}`);
    assert.ok(await freePort(old), 'the old port is free');
    assert.equal((await fetch(`http://127.0.0.1:${next}/metrics`)).status, 200);
    await ep.close();
    await ep.apply({ host: '127.0.0.1', port: 0 });
    assert.equal(ep.address, null, 'closed for good: a late reload does not listen again');
  });

  it('an address that is not on this machine is reported, not thrown', async () => {
    const r = await MetricsServer.listen(
      { host: '192.0.2.1', port: 0 },
      { contentType: 'text/plain', scrape: async () => '' },
      silentLogger(),
    );
    assert.ok(r instanceof ListenError);
    assert.equal(r.code, 'EADDRNOTAVAIL');
    assert.match(r.message, /192\.0\.2\.1 is not an address of this machine/);
  });

  it('a scrape that fails answers 500 and is logged; the server goes on', async () => {
    const { events, log } = memoryLog();
    let fail = true;
    const s = await MetricsServer.listen(
      { host: '127.0.0.1', port: 0 },
      {
        contentType: 'text/plain',
        scrape: async () => {
          if (fail) throw new Error('boom');
          return 'ok 1\n';
        },
      },
      log,
    );
    assert.ok(s instanceof MetricsServer);
    const r = await fetch(`http://${s.address}/metrics`);
    assert.equal(r.status, 500);
    await r.text();
    assert.deepEqual(
      events.filter((e) => e['event'] === 'metrics-failed').map((e) => e['err']),
      ['boom'],
    );
    fail = false;
    assert.equal(await (await fetch(`http://${s.address}/metrics`)).text(), 'ok 1\n');
    await s.close();
  });
});
