// A weighted bond through the whole engine on the fake kernel: up from nothing, up again (nothing),
// dry-run (the exact commands, nft's input with them), a line out by the planner, down (the kernel as before).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { copyDir, samplesDir, tmpDir } from '../../helpers/fs.js';

async function site(settings: string) {
  const dir = await tmpDir();
  const conf = path.join(dir, 'wanpipe');
  await copyDir(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'), conf);
  const file = path.join(dir, 'wanbond.conf');
  await fs.writeFile(file, settings);
  const kernel = new FakeKernel({
    wanpipe: { wanpipe1: ['w1g1', 'w1g1ppp'], wanpipe2: ['w2g1', 'w2g1ppp'], wanpipe3: ['w3g1', 'w3g1ppp'] },
    wanrouterRunning: ['wanpipe1', 'wanpipe2', 'wanpipe3'],
  });
  const args = ['--conf-dir', conf, '--settings', file, '--state-dir', path.join(dir, 'run')];
  return { kernel, run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args) };
}

/** A second `up` changes nothing; `down` gives back the kernel as it was before the first. */
async function againThenDown(
  kernel: FakeKernel,
  run: (...a: string[]) => Promise<{ code: number; err: string }>,
  before: string,
): Promise<void> {
  const n = kernel.changes.length;
  const again = await run('up');
  assert.equal(again.code, 0, again.err);
  assert.equal(
    kernel.changes.length,
    n,
    `a second up changed: ${kernel.changes
      .slice(n)
      .map((c) => c.join(' '))
      .join('; ')}`,
  );
  const down = await run('down');
  assert.equal(down.code, 0, down.err);
  assert.equal(kernel.dump(), before);
}

describe('weighted bonds through the engine (fake kernel)', () => {
  it(
    'up, up again, down: the table, rules and tables made, nothing the second time, the kernel as before ' +
      'after down',
    async () => {
      const { kernel, run } = await site('[wbond0]\naddress = 10.0.0.0/31\n');
      const before = kernel.dump();
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      assert.equal(kernel.teql, undefined, 'no sch_teql for a weighted bond');
      assert.deepEqual([...(kernel.nft?.chains.keys() ?? [])].sort(), ['out', 'pre', 'wbond0']);
      assert.equal(kernel.rules.length, 7, 'three lines: 3 + 1 + 3 rules');
      assert.equal(kernel.tables.size, 3);
      assert.deepEqual(
        kernel.routes.find((r) => r.dst === 'default')?.nexthops?.map((n) => [n.dev, n.weight ?? 1]),
        [
          ['w1g1ppp', 2],
          ['w2g1ppp', 1],
          ['w3g1ppp', 2],
        ],
      );
      assert.ok(kernel.addrs.some((a) => a.dev === 'wbond0' && a.local === '10.0.0.0'));

      const st = await run('status');
      assert.match(st.out, /^wbond0 \(weighted\): up, address 10\.0\.0\.0\/31, routes default\n/);
      assert.match(st.out, /carrier +drawn +tx pkts/);
      assert.equal((st.out.match(/^w\dg1ppp .* yes +yes +0 /gm) ?? []).length, 3, st.out);
      await againThenDown(kernel, run, before);
    },
  );

  it(
    'a weighted bond beside a TEQL bond: each gets only its own kind; up again changes nothing; down ' +
      'restores the kernel',
    async () => {
      const { kernel, run } = await site(
        '[global]\nmax_equalizers = 1\n[teql0]\nslaves = w1g1ppp\n[wbond1]\nslaves = w2g1ppp, w3g1ppp\n' +
          'address = 10.0.1.0/31\nroutes = 198.51.100.0/24\n',
      );
      const before = kernel.dump();
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      assert.equal(
        [...kernel.qdiscs]
          .filter(([, q]) => q.kind === 'teql0')
          .map(([dev]) => dev)
          .join(),
        'w1g1ppp',
        "only the TEQL bond's line is a TEQL slave",
      );
      assert.deepEqual(
        [...(kernel.nft?.chains.keys() ?? [])].sort(),
        ['out', 'pre', 'wbond1'],
        'only the weighted bond is drawn',
      );
      assert.equal(kernel.tables.size, 2);
      assert.deepEqual(
        kernel.routes.find((r) => r.dst === '198.51.100.0/24')?.nexthops?.map((n) => [n.dev, n.weight ?? 1]),
        [
          ['w2g1ppp', 1],
          ['w3g1ppp', 2],
        ],
      );
      assert.equal(kernel.routes.find((r) => r.dst === 'default')?.dev, 'teql0');
      await againThenDown(kernel, run, before);
    },
  );

  it(
    'two weighted bonds: one table, a chain each, marks and routing tables that never collide; down ' +
      'restores the kernel',
    async () => {
      const { kernel, run } = await site(
        '[wbond0]\nslaves = w1g1ppp, w2g1ppp\n[wbond1]\nslaves = w3g1ppp\naddress = 10.0.1.0/31\nroutes = ' +
          '198.51.100.0/24\n',
      );
      const before = kernel.dump();
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      assert.deepEqual([...(kernel.nft?.chains.keys() ?? [])].sort(), ['out', 'pre', 'wbond0', 'wbond1']);
      assert.equal(kernel.tables.size, 3);
      assert.equal(
        new Set(kernel.rules.map((r) => `${r.priority} ${r.fwmark} ${r.mask}`)).size,
        kernel.rules.length,
        'no two rules alike',
      );
      assert.equal(kernel.routes.find((r) => r.dst === '198.51.100.0/24')?.dev, 'w3g1ppp', 'one line: a plain route');
      await againThenDown(kernel, run, before);
    },
  );

  it('--dry-run prints nft with its input, and changes nothing', async () => {
    const { kernel, run } = await site('[wbond0]\n');
    const before = kernel.dump();
    const r = await run('up', '--dry-run');
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(
        "^nft -f - <<'EOF'\\nadd table ip wanbond\\n[\\s\\S]*meta mark set numgen inc mod 5 map \\{ 0 : " +
          '0x77620001, 1 : 0x77620003, 2 : 0x77620002, 3 : 0x77620001, 4 : 0x77620003 \\}\\n[\\s\\S]*?EOF$',
        'm',
      ),
    );
    assert.equal(kernel.dump(), before);
  });

  it('no nft on this system: a clear error, nothing changed', async () => {
    const { kernel, run } = await site('[wbond0]\n');
    kernel.noNft = true;
    const before = kernel.dump();
    const r = await run('up');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /weighted bonds need nftables/);
    assert.match(r.err, /apt-get install nftables/);
    assert.equal(kernel.dump(), before);
  });

  it(
    "a line without carrier when up runs: left out of the draw and main's route from the start; " +
      'the next up draws it once it is back',
    async () => {
      const { kernel, run } = await site('[wbond0]\naddress = 10.0.0.0/31\n');
      const before = kernel.dump();
      const flags = kernel.links.get('w2g1ppp')!.flags;
      const carrier = (on: boolean) => (on ? flags.add('LOWER_UP') : flags.delete('LOWER_UP'));
      carrier(false);
      const up = await run('up');
      assert.equal(up.code, 0, up.err);
      type Draw = { mangle: { value: { map: { data: { set: number[][] } } } } };
      const drawn = () =>
        (kernel.nft!.chains.get('wbond0')!.rules[0]!.expr[0] as Draw).mangle.value.map.data.set.map((e) => e[1]);
      const main = () => kernel.routes.find((r) => r.dst === 'default')?.nexthops?.map((n) => n.dev);
      assert.deepEqual(drawn(), [0x77620001, 0x77620003], 'w1g1ppp and w3g1ppp, 2:2 in lowest terms');
      assert.deepEqual(main(), ['w1g1ppp', 'w3g1ppp']);
      assert.equal(kernel.tables.get(77620002), undefined, 'no route through a line that carries nothing');
      type Doctor = { bonds: { findings: { id: string }[] }[] };
      const doc = JSON.parse((await run('doctor', '--json', '--window', '0s')).out) as Doctor;
      assert.deepEqual(
        doc.bonds.flatMap((b) => b.findings.map((f) => f.id)).filter((id) => id.startsWith('bond.')),
        [],
        'doctor, with no daemon, judges the draw as up left it',
      );
      carrier(true);
      assert.equal((await run('up')).code, 0);
      assert.deepEqual(drawn(), [0x77620001, 0x77620003, 0x77620002, 0x77620001, 0x77620003]);
      assert.deepEqual(main(), ['w1g1ppp', 'w2g1ppp', 'w3g1ppp']);
      await againThenDown(kernel, run, before);
    },
  );

  it('every line without carrier: all stay drawn, as the daemon keeps them', async () => {
    const { kernel, run } = await site('[wbond0]\naddress = 10.0.0.0/31\n');
    for (const l of ['w1g1ppp', 'w2g1ppp', 'w3g1ppp']) kernel.links.get(l)!.flags.delete('LOWER_UP');
    assert.equal((await run('up')).code, 0);
    assert.match(JSON.stringify(kernel.nft?.chains.get('wbond0')?.rules), /"mod":5/);
  });

  it('a failure mid-apply rolls the weighted bond back whole', async () => {
    const { kernel, run } = await site('[wbond0]\n');
    const before = kernel.dump();
    kernel.failWhen = (argv) => argv.startsWith('ip rule add priority 7764');
    const r = await run('up');
    assert.notEqual(r.code, 0);
    assert.equal(kernel.dump(), before);
  });
});
