// wanbond watch in a real kernel: 4 T1 lines with saturating TCP through the bundle, each fault of
// the card simulator, the daemon taking the line out of TEQL's ring and putting it back. One lab and
// one daemon for all cases, in this order (the lab's boot and topology cost more than the cases).
// Bounds are generous: under TCG every process start costs ~60 ms; docs/BENCHMARKS.md has the figures.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  formatFigures,
  measureFault,
  stressCycles,
  useStressSettings,
  type FaultFigures,
} from '../../src/lab/faults.js';
import { Lab } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import { destroyTopology } from '../../src/lab/topology.js';
import { WatchProcess, type WatchEvent } from '../../src/lab/watch.js';

const LINES = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp', 'w4g1ppp'];
// A count of cycles, bounded by a generous time: a test never asserts how much work fits in a window
// (the rate is measured by `npm run bench`, docs/BENCHMARKS.md). 10 cycles took ~30 s here and 1.8x
// that on a slower machine of the same kind; 240 s is the bound of a hung cycle, not a rate.
const STRESS = Number(process.env['WANBOND_STRESS_CYCLES'] ?? 10);
const STRESS_SECONDS = Number(process.env['WANBOND_STRESS_SECONDS'] ?? 240);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lab: Lab;
let watch: WatchProcess;

const enslaved = () => lab.enslaved();
const readHealth = () => lab.readHealth();
const settled = () => lab.settled();

const figures: FaultFigures[] = [];
function report(f: FaultFigures): void {
  figures.push(f);
  process.stdout.write(`measured: ${formatFigures(f)}\n`);
}

before(async () => {
  lab = await Lab.create({ sample: 'aft-a104-4xt1-ppp' });
  watch = WatchProcess.start(lab);
  await watch.waitFor((e) => e.event === 'started', 90_000, 'start');
  // teql1 exists once the daemon's `up` loaded sch_teql: router B equalizes its ends with it.
  await lab.attachRouterB('teql1', ['10.0.0.1/31']);
});

after(async () => {
  await watch?.stop().catch(() => undefined);
  if (process.env['WANBOND_WATCH_DEBUG'])
    for (const l of watch.stderrText.split('\n')) process.stdout.write(`watch-log: ${l}\n`);
  await lab?.destroy().catch(() => undefined);
  await destroyTopology().catch(() => undefined);
});

describe('wanbond watch in a real kernel', () => {
  it("converges like up at start, probes every line through itself, and status shows each line's health", async () => {
    assert.match(watch.stdout, /teql0 \(w1g1ppp, w2g1ppp, w3g1ppp, w4g1ppp\): up \(\d+ changes\)/);
    await settled();
    // Lines start up; their probes' first answers reach the health file with its next write (every
    // 5 s): wait for that write, bounded, instead of racing it (it lost once in CI).
    type St = {
      watch: { running: boolean };
      lines: { name: string; health: { state: string; probe: string; rttMs: number } | null }[];
    }[];
    let st: St = [];
    for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
      st = JSON.parse((await lab.wanbond(['status', '--json', '--interval', '0s'])).out) as St; // health only
      if (st[0]?.lines.every((l) => typeof l.health?.rttMs === 'number')) break;
    }
    assert.equal(st[0]?.watch.running, true);
    assert.deepEqual(
      st[0]?.lines.map((l) => [l.name, l.health?.state, l.health?.probe]),
      LINES.map((n, i) => [n, 'up', `198.51.100.${i * 4 + 2}`]),
    );
    assert.ok(
      st[0]?.lines.every((l) => typeof l.health?.rttMs === 'number'),
      'every probe has answered',
    );
    const text = (await lab.wanbond(['status'])).out;
    assert.match(text, /watch: running \(pid \d+/);
    // The probes run bound to each line, never through teql0.
    const pings = (await watch.children()).filter((c) => c.args.includes('ping'));
    assert.deepEqual(pings.map((p) => /-I (\S+)/.exec(p.args)?.[1]).sort(), LINES);
  });

  it('driver-down: out of the ring at once, the other lines share the traffic, back after the hold-down', async () => {
    const f = await measureFault(lab, { kind: 'driver-down', line: 'w2g1ppp', device: 'wanpipe2', watch });
    report(f);
    assert.ok(f.outOfRingMs !== null && f.outOfRingMs < 5000, `out of the ring after ${f.outOfRingMs} ms`);
    assert.ok(f.ratio >= 0.75, `goodput while out ${f.ratio.toFixed(2)} of 3/4`);
    assert.ok(
      f.rejoinMs !== null && f.rejoinMs >= 3000 && f.rejoinMs < 15_000,
      `rejoined ${f.rejoinMs} ms after the line came back`,
    );
    await settled();
  });

  it('carrier loss: out of the ring at once, back after the hold-down', async () => {
    const f = await measureFault(lab, { kind: 'carrier-loss', line: 'w3g1ppp', device: 'wanpipe3', watch });
    report(f);
    assert.ok(f.outOfRingMs !== null && f.outOfRingMs < 5000, `out of the ring after ${f.outOfRingMs} ms`);
    assert.ok(f.ratio >= 0.75, `goodput while out ${f.ratio.toFixed(2)} of 3/4`);
    assert.ok(f.rejoinMs !== null && f.rejoinMs < 15_000, `rejoined after ${f.rejoinMs} ms`);
    await settled();
  });

  it('a silent black hole (no alarm, the interface up): the probe finds it and the line leaves the ring', async () => {
    const f = await measureFault(lab, { kind: 'blackhole', line: 'w4g1ppp', device: 'wanpipe4', watch });
    report(f);
    const down = watch.events
      .filter((e) => e.event === 'health' && e['line'] === 'w4g1ppp' && e['to'] === 'down')
      .pop();
    assert.equal(down?.['signal'], 'probe', JSON.stringify(down));
    assert.ok(f.outOfRingMs !== null && f.outOfRingMs < 6000, `out of the ring after ${f.outOfRingMs} ms`);
    assert.ok(f.ratio >= 0.75, `goodput while out ${f.ratio.toFixed(2)} of 3/4`);
    assert.ok(f.lostPackets > 0, 'the black hole ate packets before it was found');
    assert.ok(f.rejoinMs !== null && f.rejoinMs < 15_000, `rejoined after ${f.rejoinMs} ms`);
    await settled();
  });

  it('an interface recreated by a device restart rejoins the ring as a new interface, with its rp_filter', async () => {
    const f = await measureFault(lab, { kind: 'restart', line: 'w2g1ppp', device: 'wanpipe2', watch });
    report(f);
    assert.ok(f.rejoinMs !== null && f.rejoinMs < 20_000, `rejoined ${f.rejoinMs} ms after the interface came back`);
    await settled();
    assert.equal((await fs.readFile('/proc/sys/net/ipv4/conf/w2g1ppp/rp_filter', 'utf8')).trim(), '0');
  });

  it('the ip monitor child killed: restarted, the kernel read again, a fault meanwhile not missed', async () => {
    const mon = (await watch.children()).find((c) => c.args.includes('monitor'));
    assert.ok(mon, 'the daemon runs ip monitor');
    const from = watch.events.length;
    process.kill(mon.pid, 'SIGKILL');
    // The line fails while no monitor runs (the restart waits 100 ms).
    await sh('ip', ['link', 'set', 'w1g1ppp', 'down']);
    await watch.waitFor((e) => e.event === 'monitor-restarted', 20_000, 'the monitor restart', from);
    await watch.waitFor(
      (e) => e.event === 'ring' && (e['left'] as string[]).includes('w1g1ppp'),
      20_000,
      'w1g1ppp leaving',
      from,
    );
    assert.deepEqual(await enslaved(), ['w2g1ppp', 'w3g1ppp', 'w4g1ppp']);
    await sh('ip', ['link', 'set', 'w1g1ppp', 'up']);
    await settled();
    const again = (await watch.children()).find((c) => c.args.includes('monitor'));
    assert.ok(again && again.pid !== mon.pid);
  });

  it('flapping every 2 s: suppressed from the third flap, the bond keeps its goodput', async () => {
    const f = await measureFault(lab, { kind: 'flapping', line: 'w3g1ppp', device: 'wanpipe3', watch });
    report(f);
    const supp = watch.events.find((e) => e.event === 'suppressed' && e['line'] === 'w3g1ppp');
    assert.ok(supp, 'suppressed');
    assert.ok((supp['flaps'] as number) <= 3, `suppressed at flap ${supp['flaps']}`);
    assert.ok(f.ratio >= 0.6, `goodput while flapping ${f.ratio.toFixed(2)} of 3/4`);
    const h = await readHealth();
    assert.equal(h.bonds[0]?.lines.find((l) => l.line === 'w3g1ppp')?.state, 'probation');
    assert.deepEqual(await enslaved(), ['w1g1ppp', 'w2g1ppp', 'w4g1ppp']);
  });

  it(
    'a settings file that no longer parses is reported and the bond kept; ' + 'a good one is applied on SIGHUP',
    async () => {
      const from = watch.events.length;
      const good = await fs.readFile(lab.settingsFile, 'utf8');
      await fs.writeFile(lab.settingsFile, `${good}[watch]\nhold_down = soon\n`);
      await watch.waitFor((e) => e.event === 'reload-failed', 20_000, 'the failed reload', from);
      assert.deepEqual(await enslaved(), ['w1g1ppp', 'w2g1ppp', 'w4g1ppp'], 'the running bond is kept');
      // For the stress test: rejoin at once, never suppress; applied on SIGHUP.
      await useStressSettings(lab, watch);
      await settled();
    },
  );

  it('leave/rejoin cycles under saturating traffic: no crash, no line lost, memory flat', async () => {
    // A fixed count of cycles; how many fit in a time is the bench's figure (docs/BENCHMARKS.md).
    const f = await stressCycles(lab, watch, {
      line: 'w1g1ppp',
      cycles: STRESS,
      seconds: STRESS_SECONDS,
      memory: async () => (await readHealth()).memory,
    });
    await settled();
    const m = f.memory;
    process.stdout.write(
      `measured: stress: ${f.cycles} leave/rejoin cycles in ${f.seconds.toFixed(0)} s of traffic at ` +
        `${(f.rateBps / 1e6).toFixed(2)} Mbit/s; daemon heap ${m.map((x) => x.heapUsedKb).join(' -> ')} kB, rss ` +
        `${m.map((x) => x.rssKb).join(' -> ')} kB\n`,
    );
    assert.equal(f.cycles, STRESS, `${f.cycles} of ${STRESS} cycles done within the ${STRESS_SECONDS} s bound`);
    // Each leave and rejoin costs TCP the packets queued on the line; the flow must never stop.
    assert.ok(f.rateBps > 1.544e6, `traffic kept flowing: ${f.rateBps}`);
    assert.equal(f.stalls, 0, 'a 5 s stretch without traffic');
    const [first, ...rest] = m;
    assert.ok(
      rest.every((x) => x.heapUsedKb < (first?.heapUsedKb ?? 0) * 1.5 + 8192),
      `heap grew: ${m.map((x) => x.heapUsedKb).join(' -> ')} kB`,
    );
  });

  // A hostile site (issue 22): what months on a router bring, one after the other on this running
  // daemon. After each, within a stated bound, the kernel holds every healthy line in the ring and no
  // dead one, and the daemon runs or exited as asked.
  describe('a hostile site', () => {
    const left = (line: string) => (e: WatchEvent) =>
      e.event === 'ring' && (e['left'] as string[] | undefined)?.includes(line) === true;
    const healthy = (dead: string[] = []) => LINES.filter((l) => !dead.includes(l));
    /** The ring as intended, within `ms`: else what it was. */
    async function ringIs(want: string[], ms: number, what: string): Promise<void> {
      let got: string[] = [];
      for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
        got = await enslaved();
        if (got.join() === want.join()) return;
      }
      assert.deepEqual(got, want, `${what}: the ring after ${ms} ms`);
    }
    /** A daemon started anew, running once it says so. */
    async function restart(): Promise<void> {
      watch = WatchProcess.start(lab);
      await watch.waitFor((e) => e.event === 'started', 90_000, 'start');
    }

    it('`wanbond up` by hand while a line is held out keeps it out, and says so', async () => {
      const from = watch.events.length;
      await lab.sim('fault', 'w2g1ppp', 'blackhole');
      await watch.waitFor(left('w2g1ppp'), 20_000, 'w2g1ppp leaving', from);
      const up = await lab.wanbond(['up']);
      assert.equal(up.code, 0, up.err);
      assert.match(up.err, /w2g1ppp stays out of its bond: the watch daemon judged it unfit/);
      assert.deepEqual(await enslaved(), healthy(['w2g1ppp']), 'up did not put the dead line back');
    });

    it('kill -9, then a restart with that line still dead: the dead line is never put back', async () => {
      // The fault is cleared however this case ends: the next cases need the line back.
      try {
        await deadLineRestart();
      } finally {
        await lab.sim('clear', 'w2g1ppp');
      }
      await ringIs(LINES, 30_000, 'its far end answering again');
    });

    async function deadLineRestart(): Promise<void> {
      const killed = await watch.stop('SIGKILL');
      assert.equal(killed.signal, 'SIGKILL');
      watch = WatchProcess.start(lab);
      // Sampled through the whole start (its `up`, its first ring passes): never in the ring.
      let started = false;
      void watch
        .waitFor((e) => e.event === 'started', 90_000, 'start')
        .then(() => {
          started = true;
        });
      const seen = new Set<string>();
      for (const end = Date.now() + 90_000; Date.now() < end && !started; await sleep(100))
        for (const l of await enslaved()) seen.add(l);
      assert.ok(started, 'the new daemon started');
      for (let i = 0; i < 20; i++, await sleep(100)) for (const l of await enslaved()) seen.add(l);
      assert.ok(!seen.has('w2g1ppp'), `the dead line was in the ring during the restart: ${[...seen].join(', ')}`);
      const h = (await readHealth()).bonds[0]?.lines.find((l) => l.line === 'w2g1ppp');
      assert.equal(h?.state, 'down');
      // Held out from the start on the previous daemon's word, then on its own probe's silence.
      assert.match(h?.reason ?? '', /held out by the previous daemon \(pid \d+\)|no answer from 198\.51\.100\.6/);
      const held = watch.events.find((e) => e.event === 'health' && e['line'] === 'w2g1ppp' && e['to'] === 'up');
      assert.equal(held, undefined, 'the new daemon never judged the dead line up');
    }

    it('20 SIGHUPs and SIGTERMs at random moments, during reloads, ring changes and starts', async () => {
      // Seeded: a failure names the moment, and the next run repeats it.
      let seed = 22;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      for (let i = 0; i < 20; i++) {
        const ms = rnd(1500);
        if (i % 4 === 3) {
          // A SIGTERM at a random moment of a start: during its configuration read, its `up`, its first passes.
          await watch.stop();
          const early = WatchProcess.start(lab);
          watch = early;
          await sleep(ms);
          const r = await early.stop('SIGTERM', 30_000);
          // A daemon runs for the next cases, whatever this one found.
          await restart();
          // Before node runs a line of JavaScript, SIGTERM's default ends it: gone as asked too.
          assert.ok(
            r.code === 0 || (r.signal === 'SIGTERM' && early.stderrText === ''),
            `signal ${i}: SIGTERM ${ms} ms into a start: ${r.code} ${r.signal} ${early.stderrText.slice(-1500)}`,
          );
        } else {
          // A SIGHUP while a ring change is under way (a line failing), or while a reload runs.
          const from = watch.events.length;
          if (i % 2 === 0) await lab.sim('fault', 'w3g1ppp', 'if-down');
          else process.kill(watch.pid, 'SIGHUP');
          await sleep(ms);
          process.kill(watch.pid, 'SIGHUP');
          await watch.waitFor((e) => e.event === 'reloaded', 20_000, `signal ${i}: the reload`, from);
          if (i % 2 === 0) await lab.sim('clear', 'w3g1ppp');
          assert.equal(watch.proc.exitCode, null, `signal ${i}: the daemon still runs`);
        }
        await ringIs(LINES, 30_000, `signal ${i} (${ms} ms)`);
      }
    });

    it('the settings file deleted and created again: the bond is kept, then the file read again', async () => {
      const text = await fs.readFile(lab.settingsFile, 'utf8');
      const from = watch.events.length;
      await fs.rm(lab.settingsFile);
      await watch.waitFor((e) => e.event === 'reload-failed', 20_000, 'the reload without a file', from);
      assert.deepEqual(await enslaved(), LINES, 'the running bond is kept');
      const back = watch.events.length;
      await fs.writeFile(lab.settingsFile, text);
      await watch.waitFor((e) => e.event === 'reloaded', 20_000, 'the reload of the file created again', back);
      await ringIs(LINES, 10_000, 'after the file came back');
      assert.equal(watch.proc.exitCode, null);
    });
  });

  it('SIGTERM stops the daemon cleanly and leaves the bond up; status says no daemon runs', async () => {
    const r = await watch.stop();
    assert.equal(r.code, 0, watch.stderrText.slice(-2000));
    assert.deepEqual(await enslaved(), LINES);
    const st = (await lab.wanbond(['status'])).out;
    assert.match(st, /watch: not running \(the watch daemon stopped at/);
  });
});
