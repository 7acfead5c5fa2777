// A site for the watch daemon's wiring tests: a settings file, the fake kernel, a stand-in for
// `ip monitor` that only waits (the tests feed what they need), and the daemon built on them.
import { chmodSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { buildContext, type Context } from '../../src/cli/context.js';
import { silentLogger, type Log } from '../../src/log.js';
import { observe } from '../../src/observe/read.js';
import { WatchDaemon } from '../../src/watch/daemon.js';
import { FakeKernel } from './fake-kernel.js';
import { tmpDir } from './fs.js';

export const TWO_LINES = '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n';

export async function daemonSite(settingsText = TWO_LINES, lines = ['eth1', 'eth2']) {
  const dir = await tmpDir();
  const settings = path.join(dir, 'wanbond.conf');
  await fs.writeFile(settings, settingsText);
  const stateDir = path.join(dir, 'run');
  const kernel = new FakeKernel({ links: ['eth0', ...lines].map((name) => ({ name })) });
  const monitor = path.join(dir, 'ip-monitor');
  await fs.writeFile(monitor, '#!/bin/sh\nexec sleep 100000\n');
  chmodSync(monitor, 0o755);
  const opts = { confDir: path.join(dir, 'wanpipe'), settings, stateDir };
  const args = ['--conf-dir', opts.confDir, '--settings', settings, '--state-dir', stateDir];
  /** Each configuration read, before it reads; a test may hold one to stand for a slow read. */
  let gate: (() => Promise<void>) | undefined;
  let builds = 0;
  const build = async (): Promise<Context> => {
    builds++;
    await gate?.();
    return buildContext(opts, silentLogger(), kernel);
  };
  const daemon = (log: Log = silentLogger()) =>
    new WatchDaemon({
      build,
      io: { out: () => undefined, err: () => undefined },
      log,
      ip: monitor,
      ping: path.join(dir, 'no-ping'),
      watchFiles: false,
      counters: async () => undefined,
    });
  /** The bond each line is a slave of now, as the kernel says. */
  const slaveOf = async (line: string) => {
    const o = await observe(kernel, { sysctls: [], wanrouterProc: path.join(dir, 'no-proc') });
    return o.qdiscs.find((q) => q.dev === line && q.root)?.kind;
  };
  return {
    dir,
    settings,
    stateDir,
    kernel,
    args,
    daemon,
    slaveOf,
    builds: () => builds,
    holdBuilds: (g: (() => Promise<void>) | undefined) => {
      gate = g;
    },
  };
}

/** Resolves when `ok` holds, checked every 20 ms; fails after `ms` with what was waited for. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise and its release, for a test to hold a step where it wants the signal to land. */
export function latch(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}
