// `wanbond doctor` on the fake kernel: a router wanbond brought up is all good; each thing broken
// the way operators break it is found, and running the finding's own fix lines, as they are
// printed, makes it go. Exit codes; the JSON against docs/doctor.schema.json.
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../../src/cli/context.js';
import { cmdDoctor } from '../../../src/cli/commands/doctor.js';
import type { DoctorReport } from '../../../src/doctor/report.js';
import type { Program } from '../../../src/exec/runner.js';
import { silentLogger } from '../../../src/log.js';
import { writeHealthFile } from '../../../src/watch/health-file.js';
import { cliWith } from '../../helpers/cli.js';
import { copyDir, projectRoot, samplesDir, tmpDir } from '../../helpers/fs.js';
import { daemonFile } from './fixture.js';
import { deviceProc, DoctorKernel } from './kernel.js';
import { validate } from './schema-check.js';

const W4 = {
  wanpipe1: ['w1g1', 'w1g1ppp'],
  wanpipe2: ['w2g1', 'w2g1ppp'],
  wanpipe3: ['w3g1', 'w3g1ppp'],
  wanpipe4: ['w4g1', 'w4g1ppp'],
};
const SCHEMA = JSON.parse(readFileSync(path.join(projectRoot, 'docs', 'doctor.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;

interface Router {
  kernel: DoctorKernel;
  conf: string;
  state: string;
  args: string[];
}

/** The 4-line sample brought up by wanbond, with a watch daemon that answers. */
async function router(o: { daemon?: boolean; links?: { name: string }[] } = {}): Promise<Router> {
  const dir = await tmpDir();
  const conf = path.join(dir, 'wanpipe');
  await copyDir(path.join(samplesDir, 'aft-a104-4xt1-ppp'), conf);
  const state = path.join(dir, 'run');
  const kernel = new DoctorKernel({ wanpipe: W4, wanrouterRunning: Object.keys(W4), links: o.links ?? [] });
  const args = ['--conf-dir', conf, '--state-dir', state];
  const up = await cliWith({ runner: kernel }, 'up', ...args);
  assert.equal(up.code, 0, up.err);
  if (o.daemon !== false) await writeHealthFile(state, daemonFile());
  return { kernel, conf, state, args };
}

async function doctor(r: Router, ...extra: string[]): Promise<{ code: number; report: DoctorReport; err: string }> {
  const res = await cliWith({ runner: r.kernel }, 'doctor', '--json', '--window', '0s', ...extra, ...r.args);
  assert.equal(res.err, '', res.err);
  return { code: res.code, report: JSON.parse(res.out) as DoctorReport, err: res.err };
}

const all = (rep: DoctorReport) => [...rep.findings, ...rep.bonds.flatMap((b) => b.findings)];
const ids = (rep: DoctorReport) => all(rep).map((f) => f.id);

/** Runs each fix line as printed: `wanbond ...` through the CLI, the rest as the argv the kernel gets. */
async function applyFix(r: Router, fix: string[]): Promise<void> {
  for (const line of fix) {
    if (line.startsWith('#')) continue;
    assert.doesNotMatch(line, /["'$|;&<>`\\]/, `a fix line that needs no shell: ${line}`);
    const [file, ...args] = line.split(' ') as [string, ...string[]];
    if (file === 'wanbond') {
      const res = await cliWith({ runner: r.kernel }, ...args, ...r.args);
      assert.equal(res.code, 0, `${line}: ${res.err}`);
    } else {
      assert.ok(
        ['ip', 'tc', 'sysctl', 'modprobe', 'wanrouter'].includes(file),
        `${line}: not a command the fake kernel runs`,
      );
      await r.kernel.change({ file: file as Program, args });
    }
  }
}

describe('wanbond doctor', () => {
  it('a router wanbond brought up, its daemon answering: all good, exit 0, and doctor changes nothing', async () => {
    const r = await router();
    const before = r.kernel.changes.length;
    const res = await cliWith({ runner: r.kernel }, 'doctor', '--window', '0s', ...r.args);
    assert.equal(res.code, 0, res.out + res.err);
    assert.match(
      res.out,
      new RegExp(
        String.raw`^teql0: all good: 4 lines up, equalizing outbound; inbound not judged \(0 kB received ` +
          String.raw`in 0\.\d s, too little to judge the far end\)\n$`,
      ),
    );
    assert.equal(r.kernel.changes.length, before, 'doctor reads only');
    assert.ok(r.kernel.reads.includes('ip -j -s -d link show'));
  });

  it('with traffic spread both ways during the window: "equalizing both ways"', async () => {
    const r = await router();
    const ctx = await buildContext({ confDir: r.conf, stateDir: r.state }, silentLogger(), r.kernel);
    let out = '';
    const lines = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp', 'w4g1ppp'];
    const code = await cmdDoctor(
      ctx,
      { confDir: r.conf },
      {
        json: false,
        windowMs: 2000,
        bundle: undefined,
        sleep: async () =>
          r.kernel.flow(
            Object.fromEntries(
              lines.map((l) => [l, { rxBytes: 250_000, rxPackets: 200, txBytes: 250_000, txPackets: 200 }]),
            ),
          ),
      },
      {
        out: (s) => {
          out += s;
        },
        err: () => undefined,
      },
    );
    assert.equal(code, 0, out);
    assert.equal(out, 'teql0: all good: 4 lines up, equalizing both ways\n');
  });

  it(
    'the far end not equalizing, from the counters of the window: ' +
      "a warning with the far router's commands, exit 1",
    async () => {
      const r = await router();
      const ctx = await buildContext({ confDir: r.conf, stateDir: r.state }, silentLogger(), r.kernel);
      let out = '';
      const sent = { txBytes: 20_000, txPackets: 300 };
      const code = await cmdDoctor(
        ctx,
        { confDir: r.conf },
        {
          json: false,
          windowMs: 2000,
          bundle: undefined,
          sleep: async () =>
            r.kernel.flow({
              w1g1ppp: { rxBytes: 380_000, rxPackets: 260, ...sent },
              w2g1ppp: sent,
              w3g1ppp: sent,
              w4g1ppp: sent,
            }),
        },
        {
          out: (s) => {
            out += s;
          },
          err: () => undefined,
        },
      );
      assert.equal(code, 1);
      assert.match(
        out,
        new RegExp(
          String.raw`^teql0: 1 warning\n {2}WARNING {2}teql0 received 100% of its traffic on w1g1ppp while ` +
            String.raw`it sent evenly over 4 lines \(2\.0 s\) {2}\[traffic\.far-end-not-equalizing\]\n`,
        ),
      );
      assert.match(out, /a single download gets one line's rate, 1\.536 Mbit\/s/);
      assert.match(out, /tc qdisc add dev "\$FAR4" root teql0/);
    },
  );

  const broken: { id: string; name: string; break: (r: Router) => Promise<void> | void }[] = [
    {
      id: 'bond.slave-not-attached',
      name: 'a line detached by hand',
      break: (r) => {
        r.kernel.qdiscs.delete('w2g1ppp');
      },
    },
    {
      id: 'bond.not-up',
      name: 'teql0 set down (its routes go with it)',
      break: (r) => r.kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'teql0', 'down'] }),
    },
    {
      id: 'bond.address-missing',
      name: 'the address removed',
      break: (r) => r.kernel.change({ file: 'ip', args: ['addr', 'del', '10.0.0.0/31', 'dev', 'teql0'] }),
    },
    {
      id: 'bond.queue-held',
      name: 'a hold a killed wanbond left',
      break: (r) =>
        r.kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'teql0', 'root', 'handle', 'eb0d:', 'plug'] }),
    },
    {
      id: 'routes.fake-31-routed',
      name: "the address added again by hand, Sangoma's way (without noprefixroute)",
      break: async (r) => {
        await r.kernel.change({ file: 'ip', args: ['addr', 'del', '10.0.0.0/31', 'dev', 'teql0'] });
        await r.kernel.change({ file: 'ip', args: ['addr', 'add', '10.0.0.0/31', 'dev', 'teql0'] });
      },
    },
    {
      id: 'routes.not-on-bond',
      name: 'a DHCP client put its default route back',
      break: (r) =>
        r.kernel.change({ file: 'ip', args: ['route', 'replace', 'default', 'via', '192.168.1.254', 'dev', 'eth0'] }),
    },
    {
      id: 'sysctl.rp-filter',
      name: "a distribution's sysctl.conf set conf/all strict again",
      break: (r) => {
        r.kernel.sysctls.set('net.ipv4.conf.all.rp_filter', '1');
      },
    },
    {
      id: 'sysctl.ip-forward',
      name: 'forwarding turned off',
      break: (r) => {
        r.kernel.sysctls.set('net.ipv4.ip_forward', '0');
      },
    },
    {
      id: 'bond.mtu-mismatch',
      name: "one line's MTU changed",
      break: (r) => r.kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'w3g1ppp', 'mtu', '1400'] }),
    },
  ];
  for (const b of broken) {
    it(`${b.id}: ${b.name}; its fix, run as printed, clears it`, async () => {
      const r = await router({ links: [{ name: 'eth0' }] });
      await b.break(r);
      const { code, report } = await doctor(r);
      const f = all(report).find((x) => x.id === b.id);
      assert.ok(f, `${b.id} not found in ${ids(report).join(', ')}`);
      assert.equal(code, f.severity === 'info' ? 0 : 1);
      await applyFix(r, f.fix);
      const after = await doctor(r);
      assert.deepEqual(ids(after.report), [], JSON.stringify(all(after.report), null, 1));
      assert.equal(after.code, 0);
    });
  }

  it(
    'config.dyn-intr-cfg on the S514 sample: ' +
      '`wanbond config fix --only`, then `wanbond up` (which restarts the devices) clears it',
    async () => {
      const dir = await tmpDir();
      const conf = path.join(dir, 'wanpipe');
      await copyDir(path.join(samplesDir, 's514-chdlc-2xt1'), conf);
      const state = path.join(dir, 'run');
      const r: Router = {
        kernel: new DoctorKernel({
          wanpipe: { wanpipe1: ['wan0'], wanpipe2: ['wan1'] },
          wanrouterRunning: ['wanpipe1', 'wanpipe2'],
        }),
        conf,
        state,
        args: ['--conf-dir', conf, '--state-dir', state],
      };
      await writeHealthFile(state, { ...daemonFile(), bonds: [] });
      const first = await doctor(r);
      const dyn = all(first.report).filter((f) => f.id === 'config.dyn-intr-cfg');
      assert.deepEqual(
        dyn.map((f) => f.fix),
        [
          ['wanbond config fix --only wan0', 'wanbond up'],
          ['wanbond config fix --only wan1', 'wanbond up'],
        ],
      );
      assert.match(dyn[0]?.interrupts ?? '', /wanpipe1's lines \(wan0\) leave the bond while the device restarts/);
      for (const f of dyn) await applyFix(r, f.fix);
      const after = await doctor(r);
      assert.deepEqual(
        ids(after.report).filter((i) => i.startsWith('config.')),
        [],
      );
    },
  );

  it("a T1 alarm read from the card's proc file; CRC errors rising between the two readings", async () => {
    const r = await router();
    r.kernel.files['/proc/net/wanrouter/wanpipe2'] = deviceProc(['RED', 'LOS']);
    r.kernel.files['/proc/net/wanrouter/wanpipe3'] = deviceProc([], 10);
    const ctx = await buildContext({ confDir: r.conf, stateDir: r.state }, silentLogger(), r.kernel);
    let out = '';
    const code = await cmdDoctor(
      ctx,
      { confDir: r.conf },
      {
        json: true,
        windowMs: 1000,
        bundle: undefined,
        sleep: async () => {
          r.kernel.files['/proc/net/wanrouter/wanpipe3'] = deviceProc([], 25);
        },
      },
      {
        out: (s) => {
          out += s;
        },
        err: () => undefined,
      },
    );
    assert.equal(code, 1);
    const rep = JSON.parse(out) as DoctorReport;
    assert.deepEqual(
      all(rep).map((f) => [f.id, f.line, f.what]),
      [
        ['card.t1-alarm', 'w2g1ppp', 'wanpipe2: T1 alarms RED, LOS on'],
        ['card.errors-rising', 'w3g1ppp', 'wanpipe3: CRC errors +15 in 1.0 s'],
      ],
    );
  });

  it('exit codes: 0 with notes only, 1 with a warning, 2 for a usage or configuration error', async () => {
    const r = await router();
    // a kernel whose number tells nothing: a note
    r.kernel.files['/proc/version'] = 'Linux version 6.1.0-fake-amd64 #1 SMP\n';
    const notes = await cliWith({ runner: r.kernel }, 'doctor', '--window', '0s', ...r.args);
    assert.equal(notes.code, 0, notes.out);
    assert.match(
      notes.out,
      new RegExp(
        String.raw`^this router: all good\n {2}note: cannot tell whether kernel 6\.1\.0-fake-amd64 has ` +
          String.raw`TEQL's slaves_lock fix {2}\[kernel\.teql-race\]\n\nteql0: all good: 4 lines up, `,
      ),
    );
    await fs.rm(path.join(r.state, 'health.json'));
    const warn = await cliWith({ runner: r.kernel }, 'doctor', '--window', '0s', ...r.args);
    assert.equal(warn.code, 1);
    assert.match(warn.out, /^this router: 1 warning\n {2}WARNING {2}the watch daemon is not running/);
    const usage = await cliWith({ runner: r.kernel }, 'doctor', '--window', '90s', ...r.args);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--window: expected a duration from 0s to 60s, found '90s'/);
    const settings = path.join(r.state, '..', 'bad.conf');
    await fs.writeFile(settings, '[teql0]\nrp_filter = 1\n');
    const bad = await cliWith({ runner: r.kernel }, 'doctor', '--window', '0s', '--settings', settings, ...r.args);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /bad\.conf:2: rp_filter: expected 0 \(off\) or 2 \(loose\)/);
  });

  it('--json validates against docs/doctor.schema.json, healthy and broken', async () => {
    const r = await router({ daemon: false, links: [{ name: 'eth0' }] });
    assert.deepEqual(validate(SCHEMA, (await doctor(r)).report), []);
    r.kernel.qdiscs.delete('w2g1ppp');
    r.kernel.sysctls.set('net.ipv4.conf.all.rp_filter', '1');
    await r.kernel.change({ file: 'ip', args: ['route', 'replace', 'default', 'via', '192.168.1.254', 'dev', 'eth0'] });
    r.kernel.kinds['w3g1ppp'] = 'veth';
    const { report } = await doctor(r);
    assert.ok(ids(report).length >= 5, ids(report).join(', '));
    assert.deepEqual(validate(SCHEMA, report), []);
    // The validator itself catches what the schema forbids.
    assert.deepEqual(validate(SCHEMA, { ...report, worst: 'bad', extra: 1 }), [
      '$.worst: "bad" is not one of ["ok","info","warning","error"]',
      '$: unexpected property extra',
    ]);
    assert.match(
      validate(SCHEMA, {
        ...report,
        findings: [{ id: 'Bad Id', severity: 'error', what: 'w', why: 'y', fix: [] }],
      }).join('\n'),
      /does not match.*\n.*fewer than 1 items/,
    );
  });
});
