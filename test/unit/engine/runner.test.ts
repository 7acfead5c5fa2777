import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandError } from '../../../src/errors.js';
import { DryRunRunner, ExecaRunner } from '../../../src/exec/runner.js';
import { silentLogger } from '../../../src/log.js';

describe('ExecaRunner', () => {
  it('a missing program is a CommandError that says what to install', async () => {
    const r = new ExecaRunner(silentLogger(), { wanrouter: '/nonexistent/wanrouter' });
    await assert.rejects(r.change({ file: 'wanrouter', args: ['start'] }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.message, 'command failed: wanrouter start: /nonexistent/wanrouter: command not found');
      assert.equal(e.hint, 'install wanrouter (Sangoma wanpipe)');
      return true;
    });
  });

  it('a failing command keeps its stderr and exit code; arguments are never shell-interpreted', async () => {
    const r = new ExecaRunner(silentLogger());
    await assert.rejects(
      r.change({ file: 'ip', args: ['link', 'show', 'dev', '$(touch /tmp/wanbond-pwned)'] }),
      (e: unknown) => {
        assert.ok(e instanceof CommandError);
        assert.ok(e.exitCode !== 0);
        assert.match(e.stderr, /does not exist|Cannot find device|not a valid ifname/);
        return true;
      },
    );
    await assert.rejects(import('node:fs').then((fs) => fs.promises.access('/tmp/wanbond-pwned')));
  });

  it('dry-run passes reads through and records changes', async () => {
    const inner = new ExecaRunner(silentLogger());
    const d = new DryRunRunner(inner);
    assert.match(await d.read({ file: 'ip', args: ['-j', 'link', 'show', 'lo'] }), /"ifname":"lo"/);
    await d.change({ file: 'modprobe', args: ['sch_teql'] });
    assert.deepEqual(d.changes, [{ file: 'modprobe', args: ['sch_teql'] }]);
  });
});
