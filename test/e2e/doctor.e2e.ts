// wanbond doctor in a real kernel: a healthy bond first, then each setup the FAQ warns about built
// for real (a sysctl, a link, a route, a qdisc, the card's alarms, the wanpipe file, router B not
// equalizing), doctor's finding, the fix it prints run as printed, and the finding gone. One lab
// for all cases, in this order; each case leaves the bond as `wanbond up` makes it.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import parsePrometheus, { type ParsedFamily } from 'parse-prometheus-text-format';
import { after, before, describe, it } from 'node:test';
import { iperf } from '../../src/lab/iperf.js';
import { Lab } from '../../src/lab/lab.js';
import { ip, sh } from '../../src/lab/sh.js';
import { destroyTopology, NS_B } from '../../src/lab/topology.js';
import { WatchProcess } from '../../src/lab/watch.js';

interface Finding {
  id: string;
  severity: 'error' | 'warning' | 'info';
  bond?: string;
  line?: string;
  what: string;
  why: string;
  fix: string[];
}
interface Report {
  schema: string;
  worst: string;
  findings: Finding[];
  bonds: { bond: string; ok: boolean; summary: string; findings: Finding[] }[];
}

let lab: Lab;
// PAP secrets in the lab's copy of the wanpipe files (one an old password commented out): the
// support bundle must not carry them.
const SECRETS = ['pap-Secret-7781', 'old-Secret-5512'];

async function doctor(window = '0s'): Promise<{ code: number; report: Report; all: Finding[] }> {
  const r = await lab.wanbond(['doctor', '--json', '--window', window]);
  const report = JSON.parse(r.out) as Report;
  return { code: r.code, report, all: [...report.findings, ...report.bonds.flatMap((b) => b.findings)] };
}

// After the first case the daemon is stopped on purpose (its absence is checked there).
let daemonStopped = false;
const problems = (all: Finding[]) =>
  all
    .filter((f) => f.severity !== 'info' && !(daemonStopped && f.id === 'watch.not-running'))
    .map((f) => `${f.id}${f.line ? ` ${f.line}` : ''}`)
    .sort();

/** Each fix line as an operator would type it: wanbond and wanrouter as the lab runs them, the rest as a root shell. */
async function runFix(f: Finding): Promise<void> {
  for (const line of f.fix) {
    if (line.startsWith('#')) continue;
    const argv = line.split(' ');
    if (argv[0] === 'wanbond') {
      const r = await lab.wanbond(argv.slice(1));
      assert.equal(r.code, 0, `${line}: ${r.err}`);
    } else if (argv[0] === 'wanrouter') await lab.sim(...argv.slice(1));
    else await sh('bash', ['-c', line]);
  }
}

/** The finding is there; its fix, run as printed, makes it go; nothing else is left to fix. */
async function breakAndFix(
  id: string,
  breakIt: () => Promise<void>,
  o: { line?: string; window?: string; fixBy?: () => Promise<void> } = {},
): Promise<Finding> {
  await breakIt();
  const d = await doctor(o.window);
  const f = d.all.find((x) => x.id === id && (o.line === undefined || x.line === o.line));
  assert.ok(f, `${id} not reported; doctor said: ${JSON.stringify(d.all.map((x) => [x.id, x.line, x.what]))}`);
  if (f.severity !== 'info') assert.equal(d.code, 1);
  assert.ok(f.fix.length > 0 && f.what.length > 0 && f.why.length > 0);
  await (o.fixBy ? o.fixBy() : runFix(f));
  const again = await doctor(o.window);
  assert.deepEqual(
    again.all.filter((x) => x.id === id).map((x) => x.what),
    [],
    `${id} still reported after its fix (${f.fix.join(' ; ')})`,
  );
  // Whatever the fix left for `up` to finish, the bond is whole again before the next case.
  if (problems(again.all).length > 0) assert.equal((await lab.wanbond(['up'])).code, 0);
  assert.deepEqual(problems((await doctor(o.window)).all), []);
  return f;
}

interface StatusLine {
  name: string;
  health: {
    state: string;
    inRing: boolean;
    penalty: number;
    flaps: number;
    suppressed: boolean;
    rttMs: number | null;
  } | null;
  stats?: unknown;
}
type StatusBond = { teql: string; watch: { metrics: string | null }; lines: StatusLine[] };

/**
 * The daemon's Prometheus endpoint, scraped and parsed with a text-format parser, against `status
 * --json` read just before and after (both from the daemon's last health write: a write between
 * them means another try).
 */
async function metricsAgreeWithStatus(): Promise<void> {
  // --interval 0s: the share is not compared, and its wait would widen the window a health write can fall in.
  for (let attempt = 0; ; attempt++) {
    const s1 = JSON.parse((await lab.wanbond(['status', '--json', '--interval', '0s'])).out) as StatusBond[];
    const address = s1[0]?.watch.metrics;
    assert.ok(address, 'status names the metrics address');
    const res = await fetch(`http://${address}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await res.text());
    const s2 = JSON.parse((await lab.wanbond(['status', '--json', '--interval', '0s'])).out) as StatusBond[];
    if (
      JSON.stringify(s1.map((b) => b.lines.map((l) => l.health))) !==
      JSON.stringify(s2.map((b) => b.lines.map((l) => l.health)))
    ) {
      assert.ok(attempt < 5, 'the health file changed under every scrape');
      continue;
    }
    const fam = (name: string): ParsedFamily => {
      const f = families.find((x) => x.name === name);
      assert.ok(f, `${name} missing`);
      return f;
    };
    const value = (name: string, labels: Record<string, string>) => {
      const m = fam(name).metrics.find((x) =>
        Object.entries(labels).every(([k, v]) => (x as { labels?: Record<string, string> }).labels?.[k] === v),
      );
      assert.ok(m, `${name} ${JSON.stringify(labels)} missing`);
      return Number((m as { value: string }).value);
    };
    for (const b of s1) {
      assert.equal(
        value('wanbond_bond_active_lines', { bond: b.teql }),
        b.lines.filter((l) => l.health?.inRing).length,
      );
      assert.equal(value('wanbond_bond_lines', { bond: b.teql }), b.lines.length);
      for (const l of b.lines) {
        const h = l.health;
        assert.ok(h, `${l.name} has no health`);
        const at = { bond: b.teql, line: l.name };
        assert.equal(value('wanbond_line_state', { ...at, state: h.state }), 1);
        assert.equal(value('wanbond_line_in_ring', at), h.inRing ? 1 : 0);
        assert.equal(value('wanbond_line_penalty', at), h.penalty);
        assert.equal(value('wanbond_line_flaps_total', at), h.flaps);
        assert.equal(value('wanbond_line_suppressed', at), h.suppressed ? 1 : 0);
        if (h.rttMs !== null) assert.ok(Math.abs(value('wanbond_line_probe_rtt_seconds', at) - h.rttMs / 1000) < 1e-9);
        // Kernel counters are read at the scrape: present and growing, the probes alone see to that.
        assert.ok(value('wanbond_line_tx_packets_total', at) > 0);
      }
    }
    return;
  }
}

before(async () => {
  lab = await Lab.create({ sample: 'aft-a104-4xt1-ppp' });
  const f = path.join(lab.confDir, 'wanpipe1.conf');
  await fs.writeFile(
    f,
    (await fs.readFile(f, 'utf8'))
      .replace(
        'PAP\t\t= NO\nCHAP\t\t= NO',
        `PAP\t\t= YES\nCHAP\t\t= NO\nUSERID\t\t= branch-office\nPASSWD\t\t= ${SECRETS[0]}`,
      )
      .replace('[w1g1]\n', `[w1g1]\n# PASSWD = ${SECRETS[1]}\n`),
  );
  const planted = await fs.readFile(f, 'utf8');
  for (const s of SECRETS) assert.ok(planted.includes(s), `${s} not planted in ${f}`);
  const up = await lab.wanbond(['up']);
  assert.equal(up.code, 0, up.err);
  await lab.attachRouterB('teql1', ['10.0.0.1/31']);
});

after(async () => {
  await lab?.destroy().catch(() => undefined);
  await destroyTopology().catch(() => undefined);
});

describe('wanbond doctor in a real kernel', () => {
  it('a healthy bond with its daemon: no warning, the all-good line, JSON of the documented schema', async () => {
    const w = WatchProcess.start(lab);
    try {
      await w.waitFor((e) => e.event === 'started', 90_000, 'start');
      await lab.settled();
      const d = await doctor('2s');
      assert.equal(d.report.schema, 'wanbond-doctor/1');
      assert.deepEqual(problems(d.all), [], JSON.stringify(d.all));
      assert.equal(d.code, 0);
      // The lab's lines are veth: a note, never a warning.
      assert.deepEqual(
        [...new Set(d.all.map((x) => x.id))].filter(
          (id) => id !== 'kernel.veth-tun-slave' && id !== 'sysctl.ip-forward',
        ),
        [],
      );
      const text = await lab.wanbond(['doctor', '--window', '0s']);
      assert.match(text.out, /^teql0: all good: 4 lines up/m);
      await metricsAgreeWithStatus();
    } finally {
      await w.stop();
    }
    const d = await doctor();
    assert.deepEqual(problems(d.all), ['watch.not-running']);
    daemonStopped = true;
  });

  it('rp_filter strict on a line (sysctl -w): found, fixed by the printed sysctl', async () => {
    const f = await breakAndFix(
      'sysctl.rp-filter',
      () => sh('sysctl', ['-q', '-w', 'net.ipv4.conf.w2g1ppp.rp_filter=1']).then(() => undefined),
      { line: 'w2g1ppp' },
    );
    assert.match(f.fix.join('\n'), /rp_filter/);
  });

  it('teqlN down ("don\'t forget ip link set up")', async () => {
    await breakAndFix('bond.not-up', () => ip(undefined, 'link', 'set', 'dev', 'teql0', 'down').then(() => undefined));
  });

  it('teqlN without its address', async () => {
    await breakAndFix('bond.address-missing', () =>
      ip(undefined, 'addr', 'del', '10.0.0.0/31', 'dev', 'teql0').then(() => undefined),
    );
  });

  it('a line taken out of the equalizer by hand', async () => {
    await breakAndFix(
      'bond.slave-not-attached',
      () => sh('tc', ['qdisc', 'del', 'dev', 'w3g1ppp', 'root']).then(() => undefined),
      { line: 'w3g1ppp' },
    );
  });

  it('a line of a different MTU', async () => {
    await breakAndFix('bond.mtu-mismatch', () =>
      ip(undefined, 'link', 'set', 'dev', 'w4g1ppp', 'mtu', '1400').then(() => undefined),
    );
  });

  it('a line set down by hand while its T1 is fine: brought up by the printed ip link', async () => {
    const f = await breakAndFix(
      'bond.slave-down',
      () => ip(undefined, 'link', 'set', 'dev', 'w2g1ppp', 'down').then(() => undefined),
      { line: 'w2g1ppp' },
    );
    assert.deepEqual(f.fix, ['ip link set dev w2g1ppp up']);
  });

  it('shaping someone put on a line in place of the bond', async () => {
    await breakAndFix(
      'bond.slave-foreign-qdisc',
      () =>
        sh('tc', [
          'qdisc',
          'replace',
          'dev',
          'w3g1ppp',
          'root',
          'tbf',
          'rate',
          '1mbit',
          'burst',
          '10kb',
          'latency',
          '50ms',
        ]).then(() => undefined),
      { line: 'w3g1ppp' },
    );
  });

  it('a wanpipe device stopped (wanrouter stop wanpipe3): started again by wanbond up', async () => {
    await breakAndFix('card.device-stopped', () => lab.sim('stop', 'wanpipe3').then(() => undefined));
  });

  it('the fake /31 routed, a more specific route around the bond, the default route gone', async () => {
    await breakAndFix('routes.fake-31-routed', () =>
      ip(undefined, 'route', 'add', '10.0.0.0/31', 'dev', 'teql0').then(() => undefined),
    );
    await breakAndFix('routes.bypass', () =>
      ip(undefined, 'route', 'add', '10.77.0.0/24', 'dev', 'w1g1ppp').then(() => undefined),
    );
    await breakAndFix('routes.not-on-bond', () =>
      ip(undefined, 'route', 'del', 'default', 'dev', 'teql0').then(() => undefined),
    );
  });

  it('forwarding off', async () => {
    await breakAndFix('sysctl.ip-forward', () =>
      sh('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0']).then(() => undefined),
    );
  });

  it(
    'a T1 in alarm (device Disconnected, RED/LOS) and rising CRC errors: found; gone once the telco fixed the ' +
      'line',
    async () => {
      for (const id of ['card.device-disconnected', 'card.t1-alarm']) {
        await breakAndFix(id, () => lab.sim('fault', 'w2g1ppp', 'line-down').then(() => undefined), {
          fixBy: () => lab.sim('clear', 'w2g1ppp').then(() => undefined),
        });
      }
      // Rising: the card's counters grow between doctor's two readings (the simulator bumps them).
      // Bumped all through doctor's window: however long node takes to start in the emulator, the
      // two readings see different counts.
      let bumping = true;
      const bump = (async () => {
        for (let pct = 1; bumping && pct < 60; pct++) {
          await lab.sim('fault', 'w3g1ppp', 'errors', String(pct));
          await new Promise((r) => setTimeout(r, 500));
        }
      })();
      const d = await doctor('6s').finally(() => {
        bumping = false;
      });
      await bump;
      const f = d.all.find((x) => x.id === 'card.errors-rising');
      assert.ok(f, JSON.stringify(d.all.map((x) => [x.id, x.line])));
      await lab.sim('clear', 'w3g1ppp');
      assert.deepEqual(
        (await doctor('2s')).all.filter((x) => x.id === 'card.errors-rising'),
        [],
      );
    },
  );

  it('DYN_INTR_CFG off in the wanpipe file: fixed by `wanbond config fix` and `wanbond up`', async () => {
    const f = path.join(lab.confDir, 'wanpipe2.conf');
    const found = await breakAndFix(
      'config.dyn-intr-cfg',
      async () => {
        await fs.writeFile(f, (await fs.readFile(f, 'utf8')).replace(/^DYN_INTR_CFG\t= YES/m, 'DYN_INTR_CFG\t= NO'));
      },
      { line: 'w2g1ppp' },
    );
    assert.ok(
      found.fix.some((l) => l.startsWith('wanbond config fix')),
      found.fix.join(' ; '),
    );
    assert.match(await fs.readFile(f, 'utf8'), /^DYN_INTR_CFG\t= YES/m);
  });

  it(
    'the file fixed while its driver runs the old value: ' +
      'the printed fix (wanbond up) restarts the device, and its driver reads it',
    async () => {
      const f = path.join(lab.confDir, 'wanpipe3.conf');
      await breakAndFix('config.stale-driver', async () => {
        // Wanpipe3's driver starts with NO, then only the file is fixed (config fix, no up).
        await fs.writeFile(f, (await fs.readFile(f, 'utf8')).replace(/^DYN_INTR_CFG\t= YES/m, 'DYN_INTR_CFG\t= NO'));
        await lab.sim('restart', 'wanpipe3');
        const fix = await lab.wanbond(['config', 'fix', '--only', 'w3g1ppp']);
        assert.equal(fix.code, 0, fix.err);
      });
    },
  );

  it(
    "router B not equalizing (all its traffic for us on one line): found during a download, with one line's rate " +
      'as the ceiling',
    async () => {
      const notEqualizing = async () => {
        await lab.detachRouterB();
        await ip(NS_B, 'route', 'add', '10.0.0.0/31', 'dev', 'b1');
      };
      const equalizing = async () => {
        await ip(NS_B, 'route', 'del', '10.0.0.0/31', 'dev', 'b1');
        await lab.attachRouterB('teql1', ['10.0.0.1/31']);
      };
      const during = async <T>(f: () => Promise<T>): Promise<T> => {
        const flow = iperf({ flows: 4, seconds: 12, reverse: true });
        await new Promise((r) => setTimeout(r, 5000));
        try {
          return await f();
        } finally {
          await flow;
        }
      };
      await notEqualizing();
      const d = await during(() => doctor('3s'));
      const f = d.all.find((x) => x.id === 'traffic.far-end-not-equalizing');
      assert.ok(f, JSON.stringify(d.all.map((x) => [x.id, x.line])));
      assert.equal(f.line, 'w2g1ppp');
      assert.match(f.why, /single download gets one line's rate/);
      await equalizing();
      const again = await during(() => doctor('3s'));
      assert.deepEqual(problems(again.all), []);
      assert.match((await lab.wanbond(['doctor', '--window', '0s'])).out, /^teql0: all good/m);
    },
  );

  it('a support bundle: the files a support engineer needs, no secret from the wanpipe files', async () => {
    const file = path.join(lab.dir, 'bundle.tar.gz');
    const r = await lab.wanbond(['doctor', '--window', '0s', '--bundle', file]);
    // The exit code is still doctor's: the daemon stopped in the first case is a warning.
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^bundle: .*bundle\.tar\.gz \(\d+ files, \d+ kB, secrets masked\)$/m);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    const tar = gunzipSync(await fs.readFile(file)).toString('latin1');
    for (const s of SECRETS) assert.ok(!tar.includes(s), `${s} is in the bundle`);
    assert.match(tar, /PASSWD\s*= \*{8}/);
    for (const name of [
      'wanpipe/wanpipe1.conf',
      'wanpipe/interfaces/w1g1ppp',
      'plan.json',
      'ip-route.txt',
      'tc-qdisc.txt',
      'proc-net-wanrouter/status',
      'versions.txt',
    ]) {
      assert.ok(tar.includes(name), `${name} missing from the bundle`);
    }
  });
});
