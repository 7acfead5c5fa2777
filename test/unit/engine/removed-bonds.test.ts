// A bond whose section was deleted from the settings (issue 21, defect 6), on the fake kernel: the
// next `up` takes it down as `down` would (its own recorded changes only, what it shared with no
// configured bond too), so the kernel is exactly what it would be had only the remaining bonds ever
// been up; the other bonds untouched; a third `up` changes nothing; `down` restores the kernel.
// plan, up --dry-run, status and doctor name it until then; a failure rolls the removal back.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel, type FakeKernelInit } from '../../helpers/fake-kernel.js';
import { recordedBondNames } from '../../../src/plan/orphans.js';
import type { Step } from '../../../src/plan/steps.js';
import { copyDir, samplesDir, tmpDir } from '../../helpers/fs.js';

const WBOND = '[wbond0]\nslaves = w1g1ppp, w2g1ppp\naddress = 10.0.0.0/31\nroutes = 198.51.100.0/24\n';
const PCBOND = '[pcbond1]\nuplink.eth1 = 100.64.1.2 via 100.64.1.1 weight 2\nuplink.eth2 = 100.64.2.2 via 100.64.2.1\n';
const TEQL0 = '[teql0]\nslaves = eth1, eth2\n';
const TEQL1 = '[teql1]\nslaves = eth3, eth4\naddress = 10.0.1.0/31\nroutes = 198.51.100.0/24\n';
const TEQLS = '[global]\nmax_equalizers = 2\n';

/** Wanpipe lines for a weighted bond, two NATed uplinks, two plain lines, and the operator's own default route. */
const init = (): FakeKernelInit => ({
  links: ['eth0', 'eth1', 'eth2', 'eth3', 'eth4'].map((name) => ({ name })),
  addrs: [
    { dev: 'eth0', cidr: '10.9.0.1/24' },
    { dev: 'eth1', cidr: '100.64.1.2/30' },
    { dev: 'eth2', cidr: '100.64.2.2/30' },
  ],
  routes: [{ dst: 'default', dev: 'eth1', gateway: '100.64.1.1' }],
  wanpipe: { wanpipe1: ['w1g1', 'w1g1ppp'], wanpipe2: ['w2g1', 'w2g1ppp'], wanpipe3: ['w3g1', 'w3g1ppp'] },
  wanrouterRunning: ['wanpipe1', 'wanpipe2', 'wanpipe3'],
});

async function site() {
  const dir = await tmpDir();
  const conf = path.join(dir, 'wanpipe');
  await copyDir(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'), conf);
  const file = path.join(dir, 'wanbond.conf');
  const kernel = new FakeKernel(init());
  const args = ['--conf-dir', conf, '--settings', file, '--state-dir', path.join(dir, 'run')];
  return {
    kernel,
    record: path.join(dir, 'run', 'applied.json'),
    settings: (text: string) => fs.writeFile(file, text),
    run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args),
  };
}

/** The kernel after `up` on a fresh one with these settings alone. */
async function onlyEverUp(settings: string): Promise<string> {
  const s = await site();
  await s.settings(settings);
  const up = await s.run('up');
  assert.equal(up.code, 0, up.err);
  return s.kernel.dump();
}

const doctorIds = async (run: (...a: string[]) => Promise<{ out: string; err: string }>) => {
  const r = await run('doctor', '--json', '--window', '0s');
  const j = JSON.parse(r.out || assert.fail(r.err)) as { findings: { id: string; what: string; fix: string[] }[] };
  return j.findings.filter((f) => f.id === 'bond.not-configured');
};

async function removeOne(both: string, remaining: string, removed: string, kept: string) {
  const { kernel, run, settings, record } = await site();
  const recorded = async () =>
    recordedBondNames((JSON.parse(await fs.readFile(record, 'utf8')) as { steps: Step[] }).steps);
  const before = kernel.dump();
  await settings(both);
  const up = await run('up');
  assert.equal(up.code, 0, up.err);
  const withBoth = kernel.dump();
  await settings(remaining);

  // Named until up takes it down; plan and dry-run list its commands and change nothing.
  const n = kernel.changes.length;
  const dry = await run('up', '--dry-run');
  assert.equal(dry.code, 0, dry.err);
  assert.doesNotMatch(dry.out, /nothing to change/);
  const plan = await run('plan');
  assert.match(plan.out, / 1\. /, plan.out);
  assert.equal(kernel.changes.length, n, 'dry-run and plan change nothing');
  assert.equal(kernel.dump(), withBoth);
  const st = await run('status');
  const named =
    `\\n${removed}: no longer in the settings, but still set up by \`wanbond up\` earlier in this boot: ` +
    '`wanbond up` takes it down\\n';
  assert.match(st.out, new RegExp(named), st.out);
  const f = await doctorIds(run);
  assert.deepEqual(
    f.map((x) => x.fix),
    [['wanbond up']],
  );
  assert.match(f[0]!.what, new RegExp(`^${removed} is no longer in `));

  const again = await run('up');
  assert.equal(again.code, 0, again.err);
  const said = new RegExp(`^${removed}: no longer in the settings: taken down \\(\\d+ changes\\)\\n${kept}`);
  assert.match(again.out, said, again.out);
  assert.equal(kernel.dump(), await onlyEverUp(remaining), `the kernel as if only ${kept} had ever been up`);
  assert.deepEqual(await recorded(), [kept], 'the record no longer holds the removed bond');
  const ran = kernel.changes.slice(n, n + 5).map((c) => c.join(' '));
  assert.deepEqual(
    dry.out
      .split('\n')
      .filter((l) => !l.startsWith('#') && l !== '')
      .slice(0, 5),
    ran.map((l) => (l.startsWith('nft -f ') ? "nft -f - <<'EOF'" : l)),
    'dry-run printed what up ran',
  );

  const m = kernel.changes.length;
  const third = await run('up');
  assert.equal(third.code, 0, third.err);
  assert.match(third.out, /already up, nothing to change/);
  assert.deepEqual(kernel.changes.slice(m), [], 'a third up changes nothing');
  assert.doesNotMatch((await run('status')).out, /no longer in the settings/);
  assert.deepEqual(await doctorIds(run), []);

  const down = await run('down');
  assert.equal(down.code, 0, down.err);
  assert.equal(kernel.dump(), before, 'down restores the original kernel');
}

describe('a bond removed from the settings: up takes it down', () => {
  it(
    'a per-connection bond beside a weighted one: its chains, SNAT, 13 rules, tables and multipath default go; ' +
      'the weighted bond stays',
    async () => {
      await removeOne(WBOND + PCBOND, WBOND, 'pcbond1', 'wbond0');
    },
  );

  it(
    'a weighted bond beside a per-connection one: its dummy, address, chain, rules, tables and route go; ' +
      'the per-connection bond stays',
    async () => {
      await removeOne(WBOND + PCBOND, PCBOND, 'wbond0', 'pcbond1');
    },
  );

  it("the last drawn bond beside a TEQL bond: wanbond's nftables table goes with it", async () => {
    const teql0 = `${TEQLS}[teql0]\nslaves = eth3, eth4\nroutes = 198.51.100.0/24\n`;
    await removeOne(teql0 + PCBOND, teql0, 'pcbond1', 'teql0');
  });

  it('a TEQL bond beside another: its slaves released, its address and routes gone; the other stays', async () => {
    await removeOne(TEQLS + TEQL0 + TEQL1, TEQLS + TEQL0, 'teql1', 'teql0');
  });

  it("the TEQL bond that held the default route: the operator's default comes back", async () => {
    await removeOne(TEQLS + TEQL0 + TEQL1, TEQLS + TEQL1, 'teql0', 'teql1');
  });
});

describe('a bond removed from the settings: failures and what cannot be known', () => {
  it(
    'a command of the removal fails: up rolls the removal back, exits 1, the record still holds the bond; ' +
      'the next up takes it down',
    async () => {
      const { kernel, run, settings } = await site();
      await settings(WBOND + PCBOND);
      assert.equal((await run('up')).code, 0);
      const withBoth = kernel.dump();
      await settings(WBOND);
      kernel.failWhen = (a) => /^ip rule del .* oif eth2 /.test(a);
      const r = await run('up');
      assert.equal(r.code, 1, r.out);
      assert.match(r.err, /taking down pcbond1: .*rolled back \d+ steps, the system is as it was/);
      assert.equal(kernel.dump(), withBoth, 'the removal rolled back');
      assert.match((await run('status')).out, /\npcbond1: no longer in the settings/);
      kernel.failWhen = undefined;
      assert.equal((await run('up')).code, 0);
      assert.equal(kernel.dump(), await onlyEverUp(WBOND));
    },
  );

  it("without the record: up says what it cannot know and leaves the bond's rules; doctor names it", async () => {
    const { kernel, run, settings, record } = await site();
    await settings(WBOND + PCBOND);
    assert.equal((await run('up')).code, 0);
    await fs.rm(record);
    await settings(WBOND);
    const rules = kernel.rules.length;
    const r = await run('up');
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      new RegExp(
        'note: pcbond1 looks like a bond wanbond set up, but neither the settings ' +
          "nor this boot's record \\(.*applied\\.json\\) has it: what wanbond changed for it cannot be known, " +
          'so it is left as it is',
      ),
    );
    assert.equal(kernel.rules.length, rules, 'nothing of it is guessed away');
    const doctor = await run('doctor', '--json', '--window', '0s');
    const j = JSON.parse(doctor.out) as { findings: { id: string; bond?: string }[] };
    const ids = j.findings.filter((f) => f.id.startsWith('bond.')).map((f) => [f.id, f.bond]);
    assert.deepEqual(ids, [['bond.unrecorded', 'pcbond1']]);
  });
});
