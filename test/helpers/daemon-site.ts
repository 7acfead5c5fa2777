// A site for the watch daemon's wiring tests: a settings file, the fake kernel, stand-ins for `ip
// monitor` (it says what a test appends to a file) and for ping, and the daemon built on them.
import { chmodSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { buildContext, type Context } from '../../src/cli/context.js';
import { silentLogger, type Log } from '../../src/log.js';
import { observe } from '../../src/observe/read.js';
import { WatchDaemon } from '../../src/watch/daemon.js';
import { FakeKernel } from './fake-kernel.js';
import { tmpDir } from './fs.js';

/**
 * A stand-in for iputils ping: -V names iputils; otherwise, bound to a line (-I), it answers every
 * 200 ms when its directory holds answer-<line>, and says "no answer yet" (-O) when it does not.
 */
const FAKE_PING = `#!/bin/sh
[ "$1" = -V ] && { echo 'ping from iputils 20240905'; exit 0; }
line=$4; seq=1; dir=$(dirname "$0")
while :; do
  if [ -e "$dir/answer-$line" ]; then echo "64 bytes from 192.0.2.9: icmp_seq=$seq ttl=64 time=1.0 ms"
  else echo "no answer yet for icmp_seq=$seq"; fi
  seq=$((seq + 1)); sleep 0.2
done
`;

/**
 * A stand-in for `ip monitor` that can also print on stderr: it follows monitor.log (from its size at start) and
 * writes each line to stdout, or to stderr when it begins with `STDERR:`. One process, so killing it ends it.
 */
const fakeMonitorIn = (log: string) => `#!/usr/bin/env node
const fs = require('node:fs');
let pos = fs.statSync(${JSON.stringify(log)}).size;
setInterval(() => {
  const size = fs.statSync(${JSON.stringify(log)}).size;
  if (size <= pos) return;
  const b = Buffer.alloc(size - pos);
  const fd = fs.openSync(${JSON.stringify(log)}, 'r');
  fs.readSync(fd, b, 0, b.length, pos);
  fs.closeSync(fd);
  pos = size;
  for (const l of b.toString().split('\\n').filter(Boolean)) {
    if (l.startsWith('STDERR:')) process.stderr.write(l.slice(7) + '\\n');
    else process.stdout.write(l + '\\n');
  }
}, 20);
`;

export const TWO_LINES = '[teql0]\nslaves = eth1, eth2\nrp_filter = 2\n';

export async function daemonSite(settingsText = TWO_LINES, lines = ['eth1', 'eth2']) {
  const dir = await tmpDir();
  const settings = path.join(dir, 'wanbond.conf');
  await fs.writeFile(settings, settingsText);
  const stateDir = path.join(dir, 'run');
  const kernel = new FakeKernel({ links: ['eth0', ...lines].map((name) => ({ name })) });
  const monitor = path.join(dir, 'ip-monitor');
  // What a test appends to monitor.log is what `ip monitor` says.
  await fs.writeFile(path.join(dir, 'monitor.log'), '');
  await fs.writeFile(monitor, `#!/bin/sh\nexec tail -n 0 -F '${path.join(dir, 'monitor.log')}'\n`);
  chmodSync(monitor, 0o755);
  const monitorWithStderr = path.join(dir, 'ip-monitor-stderr');
  await fs.writeFile(monitorWithStderr, fakeMonitorIn(path.join(dir, 'monitor.log')));
  chmodSync(monitorWithStderr, 0o755);
  const ping = path.join(dir, 'ping');
  await fs.writeFile(ping, FAKE_PING);
  chmodSync(ping, 0o755);
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
  /** stderr: the stand-in monitor writes `STDERR:` lines to its stderr (a node process; `tail` otherwise). */
  const daemon = (log: Log = silentLogger(), withPing = false, o: { stderr?: boolean } = {}) =>
    new WatchDaemon({
      build,
      io: { out: () => undefined, err: () => undefined },
      log,
      ip: o.stderr ? monitorWithStderr : monitor,
      ping: withPing ? ping : path.join(dir, 'no-ping'),
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
    /** A line as `ip -o monitor link address route` prints it. */
    monitorSays: (line: string) => fs.appendFile(path.join(dir, 'monitor.log'), `${line}\n`),
    /** From now on the line's far end answers (the stand-in ping looks for this file). */
    answer: (line: string) => fs.writeFile(path.join(dir, `answer-${line}`), ''),
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
