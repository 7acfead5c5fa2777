// The status table's arithmetic: each line's share of what the bond sent between two readings of the
// counters (the split now, not since boot), only over enslaved lines; and the command's sampling.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../../src/cli/context.js';
import { cmdStatus } from '../../../src/cli/commands/engine.js';
import { bondStatus, formatStatus, type BondStatus } from '../../../src/cli/commands/status.js';
import { silentLogger } from '../../../src/log.js';
import type { DesiredState, LinkState, ObservedState } from '../../../src/state/types.js';
import { cliWith } from '../../helpers/cli.js';
import { copyDir, samplesDir, tmpDir } from '../../helpers/fs.js';
import { DoctorKernel } from '../doctor/kernel.js';

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
/** The links of `o` a second later, each having sent `sent[name]` more bytes. */
const later = (links: LinkState[], sent: Record<string, number>): LinkState[] =>
  links.map((l) => ({ ...l, stats: stats((l.stats?.txBytes ?? 0) + (sent[l.name] ?? 0)) }));

describe('status', () => {
  it("shares are of the bond's enslaved lines only, over the interval; errors and drops add both directions", () => {
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
    // Since boot w1 sent 3 times w2; in the last second w2 sent 3 times w1 (say it just came back).
    const counters = {
      before: { atMs: 5000, links: o.links },
      after: { atMs: 6000, links: later(o.links, { w1: 100, w2: 300, w4: 500 }) },
    };
    const [b] = bondStatus(d, o, undefined, counters);
    assert.deepEqual(
      b?.lines.map((l) => [l.name, l.enslaved, l.share, l.txBitsPerSecond, l.carrier, l.errors, l.dropped]),
      [
        ['w1', true, 0.25, 800, true, 3, 3],
        ['w2', true, 0.75, 2400, true, 3, 3],
        ['w3', true, 0, 0, false, 3, 3],
        ['w4', false, null, 4000, true, 3, 3],
      ],
    );
    assert.equal(b?.shareIntervalMs, 1000);
    assert.deepEqual(b?.lines[0]?.driverConfig, {
      stale: true,
      dynIntrCfgInDriver: 'NO',
      since: '2026-11-26T09:00:00.000Z',
    });
    const text = formatStatus(bondStatus(d, o, undefined, counters));
    assert.match(text, /\s+tx bytes\s+share 1\.0s\s+rx pkts/);
    assert.match(text, /^w1\*\s+-\s+-\s+-\s+up\s+UP\s+yes\s+yes\s+30\s+3000\s+25\.0%/m);
    assert.match(text, /^w2\*\s+-\s+-\s+-\s+up\s+UP\s+yes\s+yes\s+10\s+1000\s+75\.0%/m);
    assert.match(text, /^w4\*\s+-\s+-\s+-\s+up\s+UP\s+yes\s+NO\s+90\s+9000\s+-/m);
    // An idle bond has no split: '-' (null), not 0 % or the shares since boot; unmeasured, the same.
    const idle = bondStatus(d, o, undefined, { ...counters, after: { atMs: 6000, links: later(o.links, { w4: 9 }) } });
    assert.deepEqual(
      idle[0]?.lines.map((l) => l.share),
      [null, null, null, null],
    );
    assert.match(formatStatus(idle), /^w1\*\s+-\s+-\s+-\s+up\s+UP\s+yes\s+yes\s+30\s+3000\s+-\s/m);
    const unmeasured = bondStatus(d, o);
    assert.deepEqual(
      [unmeasured[0]?.shareIntervalMs, ...(unmeasured[0]?.lines.map((l) => l.share) ?? [])],
      [null, null, null, null, null],
    );
    assert.match(formatStatus(unmeasured), /\s+tx bytes\s+share\s+rx pkts/);
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

  describe('the command: two readings of the counters, --interval apart', () => {
    const W4 = Object.fromEntries([1, 2, 3, 4].map((n) => [`wanpipe${n}`, [`w${n}g1`, `w${n}g1ppp`]]));
    const LINES = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp', 'w4g1ppp'];
    /** The 4-line sample up, each line having sent 10 MB before status is asked (w4 only 0.2 MB: back lately). */
    async function router() {
      const dir = await tmpDir();
      const conf = path.join(dir, 'wanpipe');
      await copyDir(path.join(samplesDir, 'aft-a104-4xt1-ppp'), conf);
      const kernel = new DoctorKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4) });
      const args = ['--conf-dir', conf, '--state-dir', path.join(dir, 'run')];
      assert.equal((await cliWith({ runner: kernel }, 'up', ...args)).code, 0);
      kernel.flow({ w1g1ppp: { txBytes: 1e7 }, w2g1ppp: { txBytes: 1e7 }, w3g1ppp: { txBytes: 1e7 } });
      kernel.flow({ w4g1ppp: { txBytes: 2e5 } });
      return { kernel, conf, dir, args };
    }
    /** An even round robin while status waits: each line sends the same. */
    const even = (kernel: DoctorKernel) => kernel.flow(Object.fromEntries(LINES.map((l) => [l, { txBytes: 48_250 }])));
    const linkReads = (k: DoctorKernel) => k.reads.filter((r) => r === 'ip -j -s link show').length;

    it('by default 1 s: the split in that second (even), not since the interfaces were created', async () => {
      const { kernel, args } = await router();
      const slept: number[] = [];
      const before = linkReads(kernel);
      const res = await cliWith(
        {
          runner: kernel,
          sleep: async (ms) => {
            slept.push(ms);
            even(kernel);
          },
        },
        'status',
        '--json',
        ...args,
      );
      assert.equal(res.code, 0, res.err);
      assert.deepEqual(slept, [1000]);
      assert.equal(linkReads(kernel) - before, 2, 'the engine reading, then one more');
      const [b] = JSON.parse(res.out) as BondStatus[];
      // Cumulative, w4 would show 0.7 %, the others 33.1 %.
      assert.deepEqual(
        b?.lines.map((l) => [l.name, l.share]),
        LINES.map((l) => [l, 0.25]),
      );
      assert.ok((b?.shareIntervalMs ?? 0) > 0);
    });

    it('measures over the interval its clock gives; rates in bit/s; a line that sent nothing shows 0 %', async () => {
      const { kernel, conf, dir } = await router();
      const ctx = await buildContext({ confDir: conf, stateDir: path.join(dir, 'run') }, silentLogger(), kernel);
      const status = async (json: boolean) => {
        let t = 7000,
          out = '';
        const code = await cmdStatus(
          ctx,
          {
            json,
            intervalMs: 2500,
            now: () => t,
            sleep: async (ms) => {
              t += ms + 12; // a timer fires late, never early
              kernel.flow({ w1g1ppp: { txBytes: 251_200 }, w4g1ppp: { txBytes: 251_200 } });
            },
          },
          { out: (x) => (out += x), err: () => undefined },
        );
        assert.equal(code, 0);
        return out;
      };
      const [b] = JSON.parse(await status(true)) as BondStatus[];
      assert.equal(b?.shareIntervalMs, 2512);
      assert.deepEqual(
        b?.lines.map((l) => [l.name, l.share, l.txBitsPerSecond]),
        [
          ['w1g1ppp', 0.5, 800_000],
          ['w2g1ppp', 0, 0],
          ['w3g1ppp', 0, 0],
          ['w4g1ppp', 0.5, 800_000],
        ],
      );
      const text = await status(false);
      assert.match(text, /\s+tx bytes\s+share 2\.5s\s+rx pkts/);
      assert.match(text, /^w1g1ppp\s.*\s50\.0%\s/m);
      assert.match(text, /^w2g1ppp\s.*\s0\.0%\s/m);
    });

    it('--interval 0s: no wait, no second reading, no share; out of bounds: a usage error', async () => {
      const { kernel, args } = await router();
      const before = linkReads(kernel);
      const res = await cliWith(
        { runner: kernel, sleep: async () => assert.fail('no wait') },
        'status',
        '--json',
        '--interval',
        '0s',
        ...args,
      );
      assert.equal(res.code, 0, res.err);
      assert.equal(linkReads(kernel) - before, 1);
      const [b] = JSON.parse(res.out) as BondStatus[];
      assert.equal(b?.shareIntervalMs, null);
      assert.ok(b?.lines.every((l) => l.share === null && l.txBitsPerSecond === null));
      const bad = await cliWith({ runner: kernel }, 'status', '--interval', '11s', ...args);
      assert.equal(bad.code, 2);
      assert.match(
        bad.err,
        /--interval: expected a duration from 0s to 10s, found '11s'\nhint: write e\.g\. --interval 3s/,
      );
    });
  });
});
