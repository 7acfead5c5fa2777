// A line failing leaves the ring without a read of the kernel first: the daemon plans from its last read,
// kept true by `ip monitor`'s link events, and only steps the kernel refuses when that read went stale
// (a hold that is an `add`, a detach that names its bond). A read gone stale costs a failed change and a
// fresh read, never a wrong change. Fake kernel, the daemon's converge; monitor lines as iproute2 6.1
// prints them (parse.test.ts has the captures).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../../src/cli/context.js';
import type { Command } from '../../../src/exec/runner.js';
import type { Lock } from '../../../src/exec/lock.js';
import { makeLoggerTo, silentLogger } from '../../../src/log.js';
import type { ObservedState } from '../../../src/state/types.js';
import { converge } from '../../../src/watch/converge.js';
import { DRIFT_CHECK_MS } from '../../../src/watch/daemon.js';
import { MONITOR_SUBSCRIBES_MS } from '../../../src/watch/ring-driver.js';
import { initialHealth } from '../../../src/watch/health.js';
import { parseMonitorLine } from '../../../src/watch/parse.js';
import { patched, ReadCache } from '../../../src/watch/read-cache.js';
import { RecordCache } from '../../../src/watch/record-cache.js';
import { cliWith } from '../../helpers/cli.js';
import { daemonSite, until } from '../../helpers/daemon-site.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';

const read = (links: ObservedState['links'], qdiscs: ObservedState['qdiscs'], lean = true): ObservedState => ({
  links,
  addrs: [],
  routes: [],
  qdiscs,
  sysctls: {},
  teql: { loaded: true, builtin: false },
  plug: true,
  wanrouterDevices: undefined,
  staleDrivers: [],
  ...(lean ? { lean: true as const } : {}),
});
const eth1 = { name: 'eth1', ifindex: 3, flags: ['BROADCAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP' };
const enslaved = [{ dev: 'eth1', kind: 'teql0', handle: '8001:', root: true }];
const lineSays = (flags: string, rest = 'mtu 1500 qdisc teql0 state DOWN') =>
  `3: eth1: <${flags}> ${rest} group default \\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff`;

/** A monitor line, parsed as the daemon parses it before it reaches the cache. */
const patch = (o: ObservedState, line: string) => patched(o, line, parseMonitorLine(line));
const event = (c: ReadCache, line: string) => c.event(line, parseMonitorLine(line));

describe('the cached read: what a monitor line does to it', () => {
  it("a known link's carrier or admin state moving is applied to the read", () => {
    const o = patch(read([eth1], enslaved), lineSays('NO-CARRIER,BROADCAST,UP'));
    assert.deepEqual(o?.links[0]?.flags, ['NO-CARRIER', 'BROADCAST', 'UP']);
    assert.equal(o?.links[0]?.operstate, 'DOWN');
  });

  it('anything else the read holds, changed, drops it', () => {
    const o = read([eth1], enslaved);
    assert.equal(patch(o, lineSays('BROADCAST,UP', 'mtu 1400 qdisc teql0 state UP')), undefined, 'an MTU');
    assert.equal(patch(o, lineSays('BROADCAST,UP', 'mtu 1500 qdisc pfifo_fast state UP')), undefined, 'a qdisc');
    assert.equal(patch(o, `Deleted ${lineSays('BROADCAST')}`), undefined, 'deleted');
    assert.equal(patch(o, lineSays('BROADCAST').replace('eth1', 'wan1')), undefined, 'renamed');
    assert.equal(patch(o, lineSays('BROADCAST').replace('3:', '9:')), undefined, 'a link it never saw');
  });

  it('an address or route line leaves a lean read as it was (it holds neither), and drops a whole one', () => {
    const addr = '3: eth1    inet 100.64.2.9/30 scope global eth1\\       valid_lft forever preferred_lft forever';
    const lean = read([eth1], enslaved);
    assert.equal(patch(lean, addr), lean);
    assert.equal(patch(lean, 'default via 100.64.2.10 dev eth1'), lean);
    assert.equal(patch(read([eth1], enslaved, false), addr), undefined);
  });

  it('a read under way is kept with the lines meanwhile applied, unless a clear or blind moment overlaps', async () => {
    const c = new ReadCache();
    await c.read(1, async () => {
      event(c, lineSays('NO-CARRIER,BROADCAST,UP'));
      return read([eth1], enslaved);
    });
    assert.deepEqual(c.get(1)?.links[0]?.flags, ['NO-CARRIER', 'BROADCAST', 'UP'], 'replayed on the result');
    assert.equal(c.get(2), undefined, 'another tenure');
    await c.read(1, async () => {
      c.clear();
      return read([eth1], enslaved);
    });
    assert.equal(c.get(1), undefined, 'a clear during the read');
    c.blind(Date.now() + 60_000);
    await c.read(1, async () => read([eth1], enslaved));
    assert.equal(c.get(1), undefined, 'the monitor may not have seen what followed');
    c.blind(0);
    await c.read(1, async () => read([eth1], enslaved));
    event(c, lineSays('BROADCAST,UP', 'mtu 1400 qdisc teql0 state UP'));
    assert.equal(c.get(1), undefined, 'dropped by an event it cannot be patched for');
  });
});

async function teqlSite() {
  const dir = await tmpDir();
  const settings = path.join(dir, 'wanbond.conf');
  await fs.writeFile(settings, '[teql0]\nslaves = eth1, eth2\n');
  const kernel = new FakeKernel({ links: ['eth0', 'eth1', 'eth2'].map((name) => ({ name })) });
  const opts = { confDir: path.join(dir, 'none'), settings, stateDir: path.join(dir, 'run') };
  const args = ['--conf-dir', opts.confDir, '--settings', settings, '--state-dir', opts.stateDir];
  assert.equal((await cliWith({ runner: kernel }, 'up', ...args)).code, 0);
  const ctx = await buildContext(opts, silentLogger(), kernel);
  /** Everything the change ran, reads and changes, in order. */
  const ran: string[] = [];
  const kread = kernel.read.bind(kernel);
  kernel.read = async (c: Command) => {
    ran.push(`read ${c.file} ${c.args.join(' ')}`);
    return kread(c);
  };
  const kchange = kernel.change.bind(kernel);
  kernel.change = async (c: Command) => {
    ran.push(`change ${c.file} ${c.args.join(' ')} ${c.input ?? ''}`.trim());
    return kchange(c);
  };
  const records = new RecordCache();
  const reads = new ReadCache();
  const warned: string[] = [];
  const log = silentLogger();
  log.warn = ((o: { event?: string }) => warned.push(o.event ?? '')) as typeof log.warn;
  const none = () => undefined;
  const change = (eth1Down: boolean) => {
    const h = initialHealth('eth1', 0, undefined);
    const health = new Map([
      ['eth1', eth1Down ? { ...h, state: 'down' as const } : h],
      ['eth2', initialHealth('eth2', 0, undefined)],
    ]);
    const lock = async (): Promise<Lock> => ({ tenure: 1, release: async () => undefined });
    ran.length = 0;
    return converge(ctx, {
      ...{ mode: 'ring' as const, health, removed: [], io: { out: none, err: none }, log },
      ...{ decided: none, hold: none, release: none, lock, records, reads },
    });
  };
  return { kernel, change, ran, warned, reads };
}

describe("a line leaving the ring from the daemon's cached read", () => {
  it('reads nothing before the change: the first command is the batch that takes the line out', async () => {
    const s = await teqlSite();
    const first = await s.change(false);
    assert.deepEqual([first.done.length, first.readWhy], [0, 'none kept'], 'the drift check: nothing to do, kept');
    assert.ok(s.reads.get(1), 'kept');
    const r = await s.change(true);
    assert.equal(r.cached, true);
    assert.match(s.ran[0] ?? '', /^change tc -batch - qdisc add dev teql0 root handle eb0d: plug\n/);
    assert.match(s.ran[0] ?? '', /\nqdisc del dev eth1 root teql0\n/);
    assert.equal(s.kernel.qdiscs.get('eth1'), undefined, 'out of the ring');
    assert.ok(
      s.ran.slice(1).some((x) => x.startsWith('read ip -j link show')),
      'the verify still reads',
    );
  });

  it('a slave given another root qdisc by hand (no monitor event): the named detach is refused', async () => {
    const s = await teqlSite();
    await s.change(false);
    await s.kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'eth1', 'root', 'handle', '1:', 'plug'] });
    const r = await s.change(true);
    assert.deepEqual([r.cached, r.readWhy], [false, 'stale']);
    assert.deepEqual(r.done, [], "not wanbond's to change: nothing more to do");
    assert.deepEqual(s.warned, ['stale-read']);
    assert.deepEqual(s.kernel.qdiscs.get('eth1'), { kind: 'plug', handle: '1:' }, "someone's qdisc is kept");
    assert.ok(s.kernel.qdiscs.get('eth2')?.kind === 'teql0' && s.kernel.qdiscs.get('teql0') === undefined);
  });

  it('a slave taken out by hand: the refused detach is not undone (that would attach it); a read decides', async () => {
    const s = await teqlSite();
    await s.change(false);
    await s.kernel.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'eth1', 'root'] });
    const r = await s.change(true);
    assert.equal(r.cached, false);
    assert.deepEqual(r.done, [], 'already out');
    assert.equal(s.kernel.qdiscs.get('eth1'), undefined);
    assert.equal(s.kernel.qdiscs.get('teql0'), undefined, 'the hold released');
  });

  it('a qdisc set on the bond since: the hold is refused instead of replacing it, and it stays', async () => {
    const s = await teqlSite();
    await s.change(false);
    await s.kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'teql0', 'root', 'handle', '1:', 'plug'] });
    const r = await s.change(true);
    assert.equal(r.cached, false);
    assert.deepEqual(s.warned, ['stale-read']);
    assert.deepEqual(s.kernel.qdiscs.get('teql0'), { kind: 'plug', handle: '1:' }, "someone's qdisc is kept");
    assert.equal(s.kernel.qdiscs.get('eth1'), undefined, 'and the line is out all the same');
  });

  it('a read that saw no way to hold the bond (a qdisc on it, removed since) is not planned from', async () => {
    const s = await teqlSite();
    await s.kernel.change({ file: 'tc', args: ['qdisc', 'replace', 'dev', 'teql0', 'root', 'handle', '1:', 'plug'] });
    await s.change(false);
    await s.kernel.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'teql0', 'root', 'handle', '1:'] });
    const r = await s.change(true);
    assert.equal(r.cached, false, 'the detach would have run without the hold');
    assert.deepEqual(s.kernel.unguarded, []);
    assert.equal(s.kernel.qdiscs.get('eth1'), undefined);
  });

  it('a batch child that died after the hold took effect: the hold counts as done, and is released', async () => {
    const s = await teqlSite();
    await s.change(false);
    s.kernel.dieAfterWhen = (a) => a.startsWith('tc qdisc add dev teql0 root handle eb0d: plug');
    await assert.rejects(s.change(true));
    s.kernel.dieAfterWhen = undefined;
    assert.equal(s.kernel.qdiscs.get('teql0'), undefined, 'the bond not left plugged');
    assert.deepEqual(s.warned, [], 'not taken for a stale read');
  });

  it('a line coming back is never planned from the cache (an attach replaces whatever root is there)', async () => {
    const s = await teqlSite();
    await s.change(true);
    const r = await s.change(false);
    assert.deepEqual([r.cached, r.readWhy], [false, 'a plan it cannot make']);
    assert.equal(s.kernel.qdiscs.get('eth1')?.kind, 'teql0');
  });
});

describe("the daemon's wiring of the cached read", () => {
  it('ip monitor keeps it: a line losing its carrier leaves from it; after a link it never saw, a read', async (t) => {
    const s = await daemonSite('[teql0]\nslaves = eth1, eth2, eth3\n', ['eth1', 'eth2', 'eth3']);
    const said: { event?: string; cached?: boolean; left?: string[] }[] = [];
    const d = s.daemon(makeLoggerTo('watch', (l) => said.push(JSON.parse(l) as (typeof said)[number]), 'info'));
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    // Past the monitor's first second (no read kept while it may still miss events), and a drift check after.
    await new Promise((r) => setTimeout(r, MONITOR_SUBSCRIBES_MS + 2 * DRIFT_CHECK_MS));
    /** The line loses its carrier, said by the monitor after `before` in the same write (no read between). */
    const loses = async (name: string, before = '') => {
      const l = s.kernel.links.get(name);
      assert.ok(l);
      l.flags.delete('LOWER_UP');
      await s.monitorSays(
        `${before}${l.ifindex}: ${name}: <NO-CARRIER,POINTOPOINT,NOARP,MULTICAST,UP> mtu 1500 qdisc teql0 ` +
          'state DOWN group default',
      );
      await until(`${name} out of the ring`, async () => (await s.slaveOf(name)) !== 'teql0');
      return said.find((x) => x.event === 'ring' && x.left?.includes(name))?.cached;
    };
    assert.equal(await loses('eth1'), true, 'no read before the change');
    const ppp9 = '99: ppp9: <POINTOPOINT,NOARP> mtu 1500 qdisc noop state DOWN group default\n';
    assert.equal(await loses('eth2', ppp9), false, 'a link the read never saw: read again');
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });

  it('events the monitor lost (ENOBUFS, on stderr) are read from the kernel: a line dead since leaves', async (t) => {
    const s = await daemonSite();
    const said: { event?: string }[] = [];
    const d = s.daemon(
      makeLoggerTo('watch', (l) => said.push(JSON.parse(l) as (typeof said)[number]), 'info'),
      false,
      {
        stderr: true,
      },
    );
    const running = d.run();
    t.after(() => d.stop());
    await until('the daemon running', () => d.phase === 'running');
    // Past the start's second read of the links, which would see it too.
    await new Promise((r) => setTimeout(r, MONITOR_SUBSCRIBES_MS + 500));
    s.kernel.links.get('eth1')?.flags.delete('LOWER_UP');
    await s.monitorSays('STDERR:netlink receive error No buffer space available (105)');
    await until('eth1 out of the ring', async () => (await s.slaveOf('eth1')) !== 'teql0');
    assert.ok(said.some((x) => x.event === 'monitor-overrun'));
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
  });
});
