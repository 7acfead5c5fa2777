// The real-kernel lab: runs test/e2e/*.e2e.ts in a kernel with sch_teql (qemu unless the host has it)
// and reports each of them here. In CI (CI=true) it must run; elsewhere it skips with how to get it.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { labMode, parseTap, runE2e } from '../src/lab/e2e.js';
import { projectRoot } from './helpers/fs.js';

const ci = process.env['CI'] === 'true';
const inside = process.env['WANBOND_LAB_VM'] === '1';
const mode = inside ? undefined : await labMode({ install: (l) => process.stderr.write(`${l}\n`) });
const skip = inside
  ? 'inside the lab already'
  : mode?.kind === 'none' && !ci
    ? `${mode.why}; to run it: ${mode.install}`
    : false;

test('real-kernel lab (test/e2e)', { skip, timeout: 40 * 60_000 }, async (t) => {
  if (!mode || mode.kind === 'none')
    assert.fail(`CI must run the lab: ${mode?.kind === 'none' ? `${mode.why}; install: ${mode.install}` : ''}`);
  const dir = path.join(projectRoot, 'dist', 'test', 'e2e');
  const files = (await fs.readdir(dir))
    .filter((f) => f.endsWith('.e2e.js'))
    .sort()
    .map((f) => path.join(dir, f));
  assert.ok(files.length > 0, 'no e2e test files');
  const r = await runE2e(projectRoot, files, mode.kind, 35 * 60_000);
  t.diagnostic(
    `lab: ${r.mode}, ${(r.ms / 1000).toFixed(0)} s in ` +
      `all${r.bootMs !== undefined ? `, kernel booted and job started in ${(r.bootMs / 1000).toFixed(1)} s` : ''}`,
  );
  // What the e2e tests measured (they print `measured: ...`, which node's TAP turns into a comment).
  for (const m of r.output.matchAll(/^\s*# (measured: .*)$/gm)) t.diagnostic(m[1] as string);
  const results = parseTap(r.output);
  for (const res of results) {
    await t.test(res.name, () => {
      if (res.skip) assert.fail(`skipped inside the lab: ${res.detail}`);
      if (!res.ok) assert.fail(res.detail);
    });
  }
  if (r.timedOut) assert.fail(`the lab timed out; console tail:\n${r.console.slice(-3000)}`);
  if (r.crashed) assert.fail(`the lab kernel died before the tests finished; console tail:\n${r.console.slice(-4000)}`);
  assert.ok(results.length > 0, `no test results from the lab:\n${r.output.slice(-3000)}`);
  assert.equal(r.exitCode, 0, r.output.slice(-3000));
});
