// The daemon's lifecycle (issue 22 defect 1): a SIGTERM at any moment ends it within a bound and
// leaves nothing behind that would keep the process alive (a timer, a helper process); a SIGHUP
// during the start is a reload once it runs. On the fake kernel, with a stand-in for `ip monitor`.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { holdEarlySignals, takeEarlySignals } from '../../../src/cli/early-signals.js';
import { daemonSite, latch, until } from '../../helpers/daemon-site.js';

/** Timers alive in this process (node's own count): a stopped daemon must leave no more than it found. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** run() must settle within this bound once stopped (the stand-in children die at once). */
const BOUND_MS = 10_000;
const settled = <T>(p: Promise<T>, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: still running ${BOUND_MS} ms after SIGTERM`)), BOUND_MS).unref(),
    ),
  ]);

describe('the watch daemon stops at any moment', () => {
  it('a SIGTERM during a reload stops it; the reload starts nothing after, and nothing is left behind', async (t) => {
    const s = await daemonSite();
    const before = timers();
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    const monitor = d.monitorPid;
    assert.ok(alive(monitor), 'the link monitor runs');
    const held = latch();
    const reading = latch();
    s.holdBuilds(async () => {
      reading.open();
      await held.wait;
    });
    process.emit('SIGHUP', 'SIGHUP');
    await reading.wait;
    assert.equal(d.phase, 'reloading');
    process.emit('SIGTERM', 'SIGTERM');
    held.open();
    assert.equal(await settled(running, 'the daemon'), 0);
    assert.equal(d.phase, 'stopped');
    assert.equal(d.pendingTimers, 0, 'no timer of the daemon is left');
    assert.ok(timers() <= before, `timers before ${before}, after ${timers()}: one would keep the process alive`);
    await until('the monitor gone', () => !alive(monitor), 2000);
    const health = JSON.parse(await fs.readFile(path.join(s.stateDir, 'health.json'), 'utf8'));
    assert.ok(health.stoppedAt, 'the last health file says the daemon stopped');
  });

  it('a SIGTERM while the configuration is read at start: stopped, the bond untouched, nothing started', async (t) => {
    const s = await daemonSite();
    const before = timers();
    const held = latch();
    const reading = latch();
    s.holdBuilds(async () => {
      reading.open();
      await held.wait;
    });
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    await reading.wait;
    process.emit('SIGTERM', 'SIGTERM');
    held.open();
    assert.equal(await settled(running, 'the daemon'), 0);
    assert.equal(d.monitorPid, undefined, 'no link monitor was started');
    assert.equal(s.kernel.changes.length, 0, 'a daemon asked to stop does not bring the bond up');
    assert.equal(d.pendingTimers, 0);
    assert.ok(timers() <= before, `timers before ${before}, after ${timers()}`);
  });

  it('a SIGTERM during or just after the start-up `up`: stopped (`up` rolled back or done)', async (t) => {
    const s = await daemonSite();
    const before = timers();
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    // The moment `up` has attached the lines, before the monitor starts.
    await until('up applied', async () => (await s.slaveOf('eth2')) === 'teql0', BOUND_MS);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await settled(running, 'the daemon'), 0);
    assert.equal(d.phase, 'stopped');
    assert.equal(d.pendingTimers, 0);
    assert.ok(!alive(d.monitorPid), 'no link monitor outlives the daemon');
    assert.ok(timers() <= before, `timers before ${before}, after ${timers()}`);
  });

  it('a SIGHUP during the start is one reload once the daemon runs', async (t) => {
    const s = await daemonSite();
    const held = latch();
    s.holdBuilds(() => held.wait);
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    process.emit('SIGHUP', 'SIGHUP');
    process.emit('SIGHUP', 'SIGHUP');
    s.holdBuilds(undefined);
    held.open();
    await until('the reload after the start', () => s.builds() === 2 && d.phase === 'running');
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await settled(running, 'the daemon'), 0);
    assert.equal(s.builds(), 2, 'the start, then one reload for the SIGHUPs that came during it');
  });

  it("signals held while the program loads are the daemon's: a SIGHUP reloads, a SIGTERM stops", async (t) => {
    const s = await daemonSite();
    holdEarlySignals();
    process.emit('SIGHUP', 'SIGHUP');
    const d = s.daemon();
    const running = d.run();
    t.after(() => d.stop());
    await until('the reload after the start', () => s.builds() === 2 && d.phase === 'running');
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await settled(running, 'the daemon'), 0);
    // A SIGTERM before the daemon ran: it stops without bringing the bond up.
    const again = await daemonSite();
    holdEarlySignals();
    process.emit('SIGTERM', 'SIGTERM');
    const e = again.daemon();
    assert.equal(await settled(e.run(), 'the daemon'), 0);
    assert.equal(again.kernel.changes.length, 0);
    assert.deepEqual(takeEarlySignals(), [], 'the holding handlers are gone');
  });
});
