// The daemon's signal handling from its first moment (issue 22 defect 2): a SIGHUP while it still
// reads its configuration is its own (kept for after the start), not the default that kills the
// process and that systemd's Restart=on-failure takes for a clean exit; a start that fails takes its
// handler with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from '../../../src/cli/context.js';
import { silentLogger } from '../../../src/log.js';
import { WatchDaemon } from '../../../src/watch/daemon.js';

describe('the daemon and SIGHUP at start', () => {
  it('handles SIGHUP before its configuration is read, and a failed start leaves no handler behind', async () => {
    const before = process.listenerCount('SIGHUP');
    let fail: (e: Error) => void = () => undefined;
    const build = () =>
      new Promise<Context>((_resolve, reject) => {
        fail = reject;
      });
    const daemon = new WatchDaemon({ build, io: { out: () => undefined, err: () => undefined }, log: silentLogger() });
    const running = daemon.run();
    assert.equal(
      process.listenerCount('SIGHUP'),
      before + 1,
      "a SIGHUP while the configuration is read is the daemon's",
    );
    // Delivered to the daemon's handler (a real signal without one would end this test process).
    process.emit('SIGHUP', 'SIGHUP');
    fail(new Error('the settings file is broken'));
    await assert.rejects(running, /the settings file is broken/);
    assert.equal(process.listenerCount('SIGHUP'), before, 'a failed start removes its handler');
  });
});
