// The status table's arithmetic: each line's share of what the bond sent, only over enslaved lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bondStatus, formatStatus } from '../../../src/cli/commands/status.js';
import type { DesiredState, LinkState, ObservedState } from '../../../src/state/types.js';

const stats = (tx: number, rx = 0) => ({
  rxBytes: rx,
  rxPackets: rx / 100,
  rxErrors: 1,
  rxDropped: 0,
  txBytes: tx,
  txPackets: tx / 100,
  txErrors: 2,
  txDropped: 3,
});
const link = (name: string, tx: number, flags = ['UP', 'LOWER_UP']): LinkState => ({
  name,
  ifindex: 1,
  flags,
  mtu: 1500,
  operstate: 'UP',
  stats: stats(tx),
});

describe('status', () => {
  it("shares are of the bond's enslaved lines only; errors and drops add both directions", () => {
    const d: DesiredState = {
      bonds: [
        {
          name: 'teql0',
          kind: 'teql',
          index: 0,
          slaves: ['w1', 'w2', 'w3', 'w4'].map((name) => ({ name, device: 'wanpipe1', where: 'x' })),
          address: '10.0.0.0/31',
          routes: [{ to: 'default' }],
          rpFilter: 0,
          mtu: undefined,
        },
      ],
      maxEqualizers: 1,
      wanpipeDevices: [],
      configFix: [],
      slaveWaitMs: 1000,
      settingsFile: 'f',
    };
    const o: ObservedState = {
      links: [link('teql0', 0), link('w1', 3000), link('w2', 1000), link('w3', 0, ['UP']), link('w4', 9000)],
      addrs: [{ dev: 'teql0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true }],
      routes: [],
      qdiscs: ['w1', 'w2', 'w3'].map((dev) => ({ dev, kind: 'teql0', handle: '8001:', root: true })),
      sysctls: {},
      teql: { loaded: true, builtin: false },
      plug: true,
      wanrouterDevices: [{ name: 'wanpipe1', status: 'Connected' }],
      staleDrivers: [{ device: 'wanpipe1', driver: { w1: 'NO' }, since: '2026-11-26T09:00:00.000Z', why: 'w' }],
    };
    const [b] = bondStatus(d, o);
    assert.deepEqual(
      b?.lines.map((l) => [l.name, l.enslaved, l.share, l.carrier, l.errors, l.dropped]),
      [
        ['w1', true, 0.75, true, 3, 3],
        ['w2', true, 0.25, true, 3, 3],
        ['w3', true, 0, false, 3, 3],
        ['w4', false, null, true, 3, 3],
      ],
    );
    assert.deepEqual(b?.lines[0]?.driverConfig, {
      stale: true,
      dynIntrCfgInDriver: 'NO',
      since: '2026-11-26T09:00:00.000Z',
    });
    const text = formatStatus(bondStatus(d, o));
    assert.match(text, /^w1\*\s+-\s+-\s+-\s+up\s+UP\s+yes\s+yes\s+30\s+3000\s+75\.0%/m);
    assert.match(text, /^w4\*\s+-\s+-\s+-\s+up\s+UP\s+yes\s+NO\s+90\s+9000\s+-/m);
    assert.match(text, /watch: not running \(not read\); health below is what the kernel shows/);
    assert.match(
      text,
      /w1: its driver still runs the configuration it read before 2026-11-26T09:00:00.000Z \(DYN_INTR_CFG NO there\)/,
    );

    // With the daemon's view: each line's health, since when, penalty and the reason of a line not up.
    const line = (l: string, state: 'up' | 'down' | 'probation', reason: string, penalty = 0, suppressed = false) => ({
      line: l,
      state,
      since: '2026-11-26T09:59:00.000Z',
      reason,
      inRing: state === 'up',
      penalty,
      suppressed,
      flaps: penalty / 1000,
      probe: '192.0.2.2',
      rttMs: 3,
      loss: 0,
      alarms: [],
    });
    const view = {
      running: true as const,
      stale: false,
      file: {
        version: 1 as const,
        pid: 42,
        startedAt: '2026-11-26T09:00:00.000Z',
        updatedAt: '2026-11-26T09:59:58.000Z',
        memory: { rssKb: 1, heapUsedKb: 1 },
        actions: 3,
        bonds: [
          {
            teql: 'teql0',
            allDown: false,
            lines: [
              line('w1', 'up', 'answers'),
              line('w2', 'down', 'no answer from 192.0.2.2 for 712 ms', 1000),
              line('w3', 'probation', 'suppressed after 3 flaps', 2870, true),
              line('w4', 'up', 'answers'),
            ],
          },
        ],
      },
    };
    const withDaemon = formatStatus(bondStatus(d, o, view), Date.parse('2026-11-26T10:00:00.000Z'));
    assert.match(withDaemon, /watch: running \(pid 42, last heard 2s ago\)/);
    assert.match(withDaemon, /^w2\*\s+down\s+60s\s+1000\s+up/m);
    assert.match(withDaemon, /^w3\*\s+probation \(suppressed\)\s+60s\s+2870/m);
    assert.match(withDaemon, /^ {2}w2: down since 2026-11-26T09:59:00.000Z: no answer from 192\.0\.2\.2 for 712 ms$/m);
    assert.equal(bondStatus(d, o, view)[0]?.lines[1]?.health?.state, 'down');
    // No metrics in the file (off, a failed bind, or a daemon from before metrics): none shown, null in --json.
    assert.equal(bondStatus(d, o, view)[0]?.watch.metrics, null);
    assert.doesNotMatch(withDaemon, /metrics/);
    const serving = { ...view, file: { ...view.file, metrics: '127.0.0.1:15440' } };
    assert.equal(bondStatus(d, o, serving)[0]?.watch.metrics, '127.0.0.1:15440');
    assert.equal(JSON.parse(JSON.stringify(bondStatus(d, o, serving)))[0].watch.metrics, '127.0.0.1:15440');
    assert.match(
      formatStatus(bondStatus(d, o, serving), Date.parse('2026-11-26T10:00:00.000Z')),
      /watch: running \(pid 42, last heard 2s ago; metrics at http:\/\/127\.0\.0\.1:15440\/metrics\)/,
    );
    assert.equal(
      bondStatus(d, o, { running: false, why: 'gone', file: serving.file })[0]?.watch.metrics,
      null,
      'a daemon that is gone serves nothing',
    );
    const gone = formatStatus(
      bondStatus(d, o, {
        running: false,
        why: 'the watch daemon (pid 42) is gone; it last wrote at 2026-11-26T09:59:58.000Z',
        file: undefined,
      }),
    );
    assert.match(gone, /watch: not running \(the watch daemon \(pid 42\) is gone/);
  });
});
