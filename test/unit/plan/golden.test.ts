// Golden plan cases: one folder each under test/fixtures/plan/ with case.json (wanpipe sample and
// the kernel's state), an optional wanbond.conf, and expected.txt (what `wanbond plan` prints).
// Every case that plans cleanly is then applied to the fake kernel, and a second plan must be empty.
// UPDATE_GOLDEN=1 rewrites expected.txt.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel, type FakeKernelInit } from '../../helpers/fake-kernel.js';
import { copyDir, exists, projectRoot, samplesDir, tmpDir } from '../../helpers/fs.js';

const casesDir = path.join(projectRoot, 'test', 'fixtures', 'plan');

interface Case {
  sample?: string;
  kernel: FakeKernelInit;
  converges?: boolean;
}

async function setup(name: string) {
  const dir = path.join(casesDir, name);
  const c = JSON.parse(await fs.readFile(path.join(dir, 'case.json'), 'utf8')) as Case;
  const conf = await tmpDir('wanbond-golden-');
  if (c.sample) await copyDir(path.join(samplesDir, c.sample), conf);
  const args = ['--conf-dir', c.sample ? conf : path.join(conf, 'absent'), '--state-dir', path.join(conf, 'run')];
  const settings = path.join(dir, 'wanbond.conf');
  if (await exists(settings)) args.push('--settings', settings);
  return { dir, c, conf, args, kernel: new FakeKernel(c.kernel) };
}

describe('golden plans', async () => {
  const names = (await fs.readdir(casesDir)).sort();
  it('has the required cases', () => {
    for (const n of [
      'fresh',
      'already-up',
      'half-up',
      'too-few-equalizers',
      'slave-missing',
      'slave-mtu-differs',
      'foreign-default-route',
      'two-bonds',
      'ethernet-rp-filter-2',
    ])
      assert.ok(names.includes(n), n);
  });
  for (const name of names) {
    it(name, async () => {
      const { dir, c, conf, args, kernel } = await setup(name);
      const r = await cliWith({ runner: kernel }, 'plan', ...args);
      const text = `${r.out + r.err}exit ${r.code}\n`.replaceAll(conf, '<conf>').replaceAll(projectRoot, '<root>/');
      const file = path.join(dir, 'expected.txt');
      if (process.env['UPDATE_GOLDEN'] === '1') await fs.writeFile(file, text);
      assert.equal(text, await fs.readFile(file, 'utf8'));
      assert.equal(kernel.changes.length, 0, 'plan changed nothing');
      if (r.code !== 0 || c.converges === false) return;
      const up = await cliWith({ runner: kernel }, 'up', ...args);
      assert.equal(up.code, 0, up.err);
      const again = await cliWith({ runner: kernel }, 'plan', ...args);
      assert.match(again.out, /up to date, nothing to change\n$/);
    });
  }
});
