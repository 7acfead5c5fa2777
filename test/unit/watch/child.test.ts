// The daemon's helper processes: lines come through whole, a dead one is started again with a
// growing, bounded backoff, a stop ends it for good, and a paused one is resumed on stop.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../src/log.js';
import { SupervisedChild } from '../../../src/watch/child.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A process's state letter from /proc (T: stopped). */
const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];

describe('supervised helper process', () => {
  it(
    'passes its lines on, is restarted when it dies (each start announced), ' + 'and stays stopped after stop()',
    async () => {
      const lines: string[] = [];
      const starts: number[] = [];
      const c = new SupervisedChild({
        file: 'sh',
        args: ['-c', 'printf "one\\ntw"; sleep 0.05; printf "o\\n"; exit 3'],
        log: silentLogger(),
        onLine: (l, stream) => {
          if (stream === 'stdout') lines.push(l);
        },
        onStart: (n) => starts.push(n),
        minBackoffMs: 20,
        maxBackoffMs: 40,
      });
      c.start();
      for (let i = 0; i < 100 && starts.length < 3; i++) await sleep(20);
      await c.stop();
      assert.ok(starts.length >= 3, `started ${starts.length} times`);
      assert.deepEqual(starts.slice(0, 3), [0, 1, 2]);
      assert.deepEqual(lines.slice(0, 4), ['one', 'two', 'one', 'two'], 'a line split across reads arrives whole');
      const n = starts.length;
      await sleep(150);
      assert.equal(starts.length, n, 'no restart after stop');
    },
  );

  it('a stop ends a paused child too, within its bound', async () => {
    const c = new SupervisedChild({ file: 'sleep', args: ['30'], log: silentLogger(), onLine: () => undefined });
    c.start();
    await sleep(50);
    const pid = c.pid;
    assert.ok(pid);
    c.pause();
    const t0 = Date.now();
    await c.stop();
    assert.ok(Date.now() - t0 < 2500);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it('a child restarted while paused starts paused (issue 22 defect 9: ping restarted in a ring change)', async () => {
    const starts: number[] = [];
    const c = new SupervisedChild({
      file: 'sleep',
      args: ['30'],
      log: silentLogger(),
      onLine: () => undefined,
      onStart: (n) => starts.push(n),
      minBackoffMs: 20,
    });
    c.start();
    try {
      await sleep(50);
      c.pause();
      const first = c.pid as number;
      process.kill(first, 'SIGKILL');
      for (let i = 0; i < 100 && starts.length < 2; i++) await sleep(20);
      const second = c.pid as number;
      assert.ok(second !== undefined && second !== first, 'restarted');
      await sleep(50);
      assert.equal(stateOf(second), 'T', 'the new child is held as the one it replaces was');
      c.resume();
      await sleep(50);
      assert.notEqual(stateOf(second), 'T', 'and resumed with the others');
    } finally {
      await c.stop();
    }
  });
});
