// Tests that can fail: each mutation below breaks one behaviour the engine or the daemon promises
// (issue 13's list of mutations no test caught, then the daemon's), in a private copy of dist/, and
// the named test file must then fail.
// A mutation that no longer applies (the code moved) fails here too, so this list keeps up.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot, tmpDir } from '../helpers/fs.js';

const run = promisify(execFile);

interface Mutant {
  name: string;
  file: string;
  from: string;
  to: string;
  test: string;
}

const OPS = 'dist/test/unit/engine/operations.test.js';
const RING = 'dist/test/unit/watch/ring.test.js';
const HEALTH = 'dist/test/unit/watch/health.test.js';
const METRICS = 'dist/test/unit/watch/metrics.test.js';
const mutants: Mutant[] = [
  {
    name: "down ignores an operator's MTU change",
    file: 'dist/src/plan/teardown.js',
    from: "case 'set-mtu':\n            return link(inv.dev)?.mtu === inv.was;",
    to: "case 'set-mtu':\n            return true;",
    test: OPS,
  },
  {
    name: "down ignores an operator's link-state change",
    file: 'dist/src/plan/teardown.js',
    from: "case 'set-link-down':\n            return link(inv.dev)?.flags.includes('UP') === true;",
    to: "case 'set-link-down':\n            return true;",
    test: OPS,
  },
  {
    name: 'up overwrites the record',
    file: 'dist/src/state/record.js',
    from: 'steps: mergeSteps(r.steps, done)',
    to: 'steps: mergeSteps([], done)',
    test: OPS,
  },
  {
    name: 'an incomplete down clears the record',
    file: 'dist/src/cli/commands/engine.js',
    from: 'steps: left }',
    to: 'steps: [] }',
    test: OPS,
  },
  {
    name: "an up teql's MTU is not lowered before attaching",
    file: 'dist/src/bonds/teql/plan.js',
    from: '...parts.flatMap((p) => p.links.teqlMtu),',
    to: '',
    test: OPS,
  },
  {
    name: 'the slave wait never times out',
    file: 'dist/src/apply/apply.js',
    from: 'if (now() >= deadline) {',
    to: 'if (false) {',
    test: OPS,
  },
  {
    name: 'a wrong traffic share in status',
    file: 'dist/src/state/split.js',
    from: 'share: l.member && s !== null && total > 0 ? s / total : null',
    to: 'share: s !== null && total > 0 ? s / total : null',
    test: 'dist/test/unit/cli/status.test.js',
  },
  {
    name: "status's share is since the interfaces were created, not now",
    file: 'dist/src/state/split.js',
    from: 'return after.stats.txBytes - before.stats.txBytes;',
    to: 'return after.stats.txBytes;',
    test: 'dist/test/unit/cli/status.test.js',
  },
  {
    name: 'slave changes on an up bond without a hold',
    file: 'dist/src/plan/guard.js',
    from: 'if (up.get(t) === true && !held.has(t) && canHold(t, o)) {',
    to: 'if (false) {',
    test: OPS,
  },
  {
    name: 'a record from another boot is undone',
    file: 'dist/src/state/record.js',
    from: 'if (r.bootId !== bootId)',
    to: 'if (false)',
    test: OPS,
  },
  {
    name: 'the replaced route is not given back when the kernel removed ours',
    file: 'dist/src/plan/teardown.js',
    from: 'return (holders.length === 0 || ',
    to: 'return (',
    test: OPS,
  },
  // The watch daemon (issue 8).
  {
    name: 'a line judged down stays in the ring',
    file: 'dist/src/watch/ring.js',
    from: 'out.add(n);',
    to: ';',
    test: RING,
  },
  {
    name: 'with every line down, the daemon takes them all out',
    file: 'dist/src/watch/ring.js',
    from: 'if (present.length > 0 && bad.length === present.length) {',
    to: 'if (false) {',
    test: RING,
  },
  {
    name: 'the daemon brings an Ethernet slave up',
    file: 'dist/src/bonds/teql/plan.js',
    from: 'if (!keepAdminState && s.device === undefined',
    to: 'if (s.device === undefined',
    test: RING,
  },
  {
    name: 'silence alone (a busy router) takes a line out',
    file: 'dist/src/watch/health.js',
    from: 'p.missed >= missedFor(cfg.downAfterMs, cfg)',
    to: 'true',
    test: HEALTH,
  },
  {
    name: 'flapping is never suppressed',
    file: 'dist/src/watch/health.js',
    from: 'suppressed: h.suppressed || penalty >= cfg.suppressAt,',
    to: 'suppressed: false,',
    test: HEALTH,
  },
  {
    name: 'probe numbers compared without their wrap',
    file: 'dist/src/watch/health.js',
    from: 'missed: p.answeredSeq < 0 || seqAfter(sig.seq, p.answeredSeq) ?',
    to: 'missed: p.answeredSeq < 0 || sig.seq > p.answeredSeq ?',
    test: HEALTH,
  },
  // The daemon's metrics (issue 9).
  {
    name: 'a line name that is not an interface name becomes a sysfs path',
    file: 'dist/src/watch/metrics.js',
    from: 'if (!IFNAME_RE.test(ifname))',
    to: 'if (false)',
    test: METRICS,
  },
  {
    name: 'the metrics show a state the health file does not',
    file: 'dist/src/watch/metrics.js',
    from: 'l.state === state ? 1 : 0',
    to: "l.state === state || state === 'up' ? 1 : 0",
    test: METRICS,
  },
  {
    name: 'a port in use kills the daemon instead of being reported',
    file: 'dist/src/watch/metrics-server.js',
    from: 'const failed = (e) => resolve(listenError(at, e));',
    to: 'const failed = (e) => { throw e; };',
    test: METRICS,
  },
];

describe('mutants: each breaks a promise, and a test catches it', () => {
  for (const m of mutants) {
    it(m.name, async () => {
      const copy = await tmpDir('wanbond-mutant-');
      await fs.cp(path.join(projectRoot, 'dist'), path.join(copy, 'dist'), { recursive: true });
      await fs.symlink(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'));
      await fs.copyFile(path.join(projectRoot, 'package.json'), path.join(copy, 'package.json'));
      await fs.cp(path.join(projectRoot, 'wanpipe-conf'), path.join(copy, 'wanpipe-conf'), { recursive: true });
      await fs.cp(path.join(projectRoot, 'test', 'fixtures'), path.join(copy, 'test', 'fixtures'), { recursive: true });
      const file = path.join(copy, m.file);
      const text = await fs.readFile(file, 'utf8');
      assert.ok(text.includes(m.from), `the mutation no longer applies: ${m.file} has no '${m.from}'`);
      await fs.writeFile(file, text.replace(m.from, m.to));
      // NODE_TEST_CONTEXT would make the inner runner report to us instead of exiting with its result.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
      const r = await run(
        process.execPath,
        ['--test', '--test-force-exit', '--test-reporter=dot', path.join(copy, m.test)],
        { cwd: copy, timeout: 120_000, env },
      ).then(
        () => 0,
        (e: { code?: number }) => e.code ?? 1,
      );
      await fs.rm(copy, { recursive: true, force: true });
      assert.notEqual(r, 0, `no test failed with the mutation '${m.name}'`);
    });
  }
});
