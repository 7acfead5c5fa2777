// A fourth kind of bond added by one folder (test/fixtures/bonds/mirror/) and one registry line: the
// settings read its section, `up` plans and records its own step and gives its device the address,
// status and doctor report it, the daemon's ring judges its lines, and `down` undoes its step. Every
// other kind's bond beside it goes on as before. Fake kernel.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { registerKind } from '../../../src/bonds/registry.js';
import { parseSettings } from '../../../src/config/settings.js';
import { observe } from '../../../src/observe/read.js';
import { sysctlKeys } from '../../../src/plan/diff.js';
import { validateStep } from '../../../src/plan/validate.js';
import type { Step } from '../../../src/plan/steps.js';
import { recordFile } from '../../../src/state/record.js';
import { desiredState } from '../../../src/state/desired.js';
import { initialHealth, step, type LineHealth } from '../../../src/watch/health.js';
import { ringPlan } from '../../../src/watch/ring.js';
import { mirrorKind } from '../../fixtures/bonds/mirror/kind.js';
import { cliWith } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/fs.js';
import { DoctorKernel } from '../doctor/kernel.js';

registerKind(mirrorKind);

const SETTINGS =
  '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n\n' + '[mirror1]\nslaves = eth3, eth4\naddress = 10.9.1.0/31\n';

async function site() {
  const dir = await tmpDir();
  const settings = path.join(dir, 'wanbond.conf');
  await fs.writeFile(settings, SETTINGS);
  const state = path.join(dir, 'run');
  const kernel = new DoctorKernel({ links: ['eth1', 'eth2', 'eth3', 'eth4'].map((name) => ({ name })) });
  const args = ['--conf-dir', path.join(dir, 'none'), '--settings', settings, '--state-dir', state];
  return { kernel, state, args, run: (...argv: string[]) => cliWith({ runner: kernel }, ...argv, ...args) };
}

async function recorded(state: string): Promise<Step[]> {
  const text = await fs.readFile(recordFile(state), 'utf8').catch(() => '{"steps":[]}');
  return (JSON.parse(text) as { steps: Step[] }).steps;
}

const cmds = (k: DoctorKernel, from = 0) => k.changes.slice(from).map((c) => c.join(' '));

describe('a fourth kind of bond, from its folder and one registry line', () => {
  it('its section is read by its own rules, and a wrong key in it says what the kind takes', () => {
    const s = parseSettings('/etc/wanbond/wanbond.conf', SETTINGS);
    assert.deepEqual(
      s.bonds.map((b) => [b.name, b.kind, b.slaves, b.address, b.routes]),
      [
        ['teql0', 'teql', ['eth1', 'eth2'], '10.0.0.0/31', ['default']],
        ['mirror1', 'mirror', ['eth3', 'eth4'], '10.9.1.0/31', []],
      ],
    );
    assert.throws(
      () => parseSettings('f', '[mirror0]\nslaves = eth3\nmtu = 1400\n'),
      /f:3: unknown setting 'mtu' in \[mirror0\]: expected one of slaves, address, routes, mode/,
    );
    assert.throws(() => parseSettings('f', '[mirror0]\nslaves = eth3\nmode = teql\n'), /mirror0 names a mirror bond/);
    assert.throws(() => parseSettings('f', '[zz0]\n'), /\[wbond0\], \.\.\. \(weighted\), \[pcbond0\], .*\[mirror0\]/);
  });

  it('up plans its step beside the TEQL bond, records it, and gives its device the address', async () => {
    const r = await site();
    const plan = await r.run('plan');
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /mirror1: create its mirror device mirror1/);
    const up = await r.run('up');
    assert.equal(up.code, 0, up.err);
    const c = cmds(r.kernel);
    const at = (s: string) => c.indexOf(s);
    assert.ok(at('ip link add dev mirror1 type dummy') >= 0, c.join('\n'));
    // The engine's shared phase: the address after every kind's prepare and lines, then the device up.
    assert.ok(at('ip addr add 10.9.1.0/31 dev mirror1 noprefixroute') > at('ip link add dev mirror1 type dummy'));
    assert.ok(at('ip link set dev mirror1 up') > at('ip addr add 10.9.1.0/31 dev mirror1 noprefixroute'));
    assert.ok(at('tc qdisc replace dev eth1 root teql0') >= 0, 'the TEQL bond is built beside it');
    const steps = await recorded(r.state);
    assert.ok(
      steps.some((s) => s.kind === 'kind-step' && s.type === 'mirror-create' && s.bond === 'mirror1'),
      JSON.stringify(steps),
    );
    const again = await r.run('up');
    assert.equal(again.code, 0, again.err);
    assert.match(again.err + again.out, /nothing to change/);
  });

  it('status shows it with its label, its address and which of its lines are in', async () => {
    const r = await site();
    assert.equal((await r.run('up')).code, 0);
    await r.kernel.change({ file: 'ip', args: ['link', 'set', 'dev', 'eth4', 'down'] });
    const st = await r.run('status', '--json');
    assert.equal(st.code, 0, st.err);
    const bonds = JSON.parse(st.out) as {
      teql: string;
      kind: string;
      up: boolean;
      addressPresent: boolean;
      lines: { name: string; enslaved: boolean }[];
    }[];
    const m = bonds.find((b) => b.teql === 'mirror1');
    assert.equal(m?.kind, 'mirror');
    assert.equal(m?.up, true);
    assert.equal(m?.addressPresent, true);
    assert.deepEqual(
      m?.lines.map((l) => [l.name, l.enslaved]),
      [
        ['eth3', true],
        ['eth4', false],
      ],
    );
    const text = await r.run('status');
    assert.match(text.out, /^mirror1 \(mirror\): up, address 10\.9\.1\.0\/31, routes none\n/m);
  });

  it("doctor runs its rules: its device gone is its finding, and the TEQL bond's report is untouched", async () => {
    const r = await site();
    assert.equal((await r.run('up')).code, 0);
    await r.kernel.change({ file: 'ip', args: ['link', 'del', 'dev', 'mirror1'] });
    const res = await r.run('doctor', '--json', '--window', '0s');
    const rep = JSON.parse(res.out) as { bonds: { bond: string; findings: { id: string }[] }[] };
    const ids = (bond: string) => rep.bonds.find((b) => b.bond === bond)?.findings.map((f) => f.id) ?? [];
    assert.ok(ids('mirror1').includes('mirror.absent'), res.out);
    assert.ok(!ids('teql0').includes('mirror.absent'));
  });

  it("the daemon's ring judges its lines, and leaves it alone while its device is gone", async () => {
    const r = await site();
    assert.equal((await r.run('up')).code, 0);
    const d = desiredState(parseSettings('/etc/wanbond/wanbond.conf', SETTINGS), undefined);
    const read = () => observe(r.kernel, { sysctls: sysctlKeys(d), wanrouterProc: '/nonexistent' });
    const down = (name: string): LineHealth =>
      step(initialHealth(name, 0), { kind: 'link', present: true, ifindex: 1, up: false, carrier: false }, 1).next;
    const health = new Map(
      ['eth1', 'eth2', 'eth3', 'eth4'].map((n) => [n, n === 'eth4' ? down(n) : initialHealth(n, 0)]),
    );
    const first = ringPlan(d, health, await read());
    assert.deepEqual([...first.decision.out], ['eth4']);
    assert.deepEqual(first.decision.skipped, []);
    await r.kernel.change({ file: 'ip', args: ['link', 'del', 'dev', 'mirror1'] });
    const gone = ringPlan(d, health, await read());
    assert.deepEqual(gone.decision.skipped, [{ teql: 'mirror1', why: 'mirror1 has no mirror device' }]);
    assert.ok(!gone.plan.steps.some((s) => s.kind === 'kind-step'), 'the ring never creates what someone removed');
  });

  it('down undoes its step, and a record with a step type no kind has is refused', async () => {
    const r = await site();
    assert.equal((await r.run('up')).code, 0);
    const from = r.kernel.changes.length;
    const down = await r.run('down');
    assert.equal(down.code, 0, down.err);
    assert.ok(cmds(r.kernel, from).includes('ip link del dev mirror1'), cmds(r.kernel, from).join('\n'));
    assert.ok(!cmds(r.kernel, from).includes('ip link del dev teql0'));
    assert.deepEqual(await recorded(r.state), []);
    const step = { kind: 'kind-step', type: 'mirror-create', bond: 'mirror1', data: { dev: 'mirror1' } };
    assert.deepEqual(validateStep(step), step);
    assert.throws(
      () => validateStep({ ...step, type: 'bogus' }),
      /no bond kind of this wanbond has the step type bogus/,
    );
    assert.throws(() => validateStep({ ...step, bond: 'teql1' }), /teql1 is not a bond of the kind whose step/);
    assert.throws(() => validateStep({ ...step, data: { dev: 'eth1' } }), /dev is not mirror1/);
  });
});
