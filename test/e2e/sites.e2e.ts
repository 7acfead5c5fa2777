// The other sites of issue 12 in a real kernel. The DSL-router site: four Ethernet slaves to four
// DSL routers sharing one LAN address, the ISP's block on teql0 (a real address), the default route
// via the shared address, rp_filter 2 (src/lab/dsl-topology.ts). Its ISP routes back the block
// only, by whichever router its hash picks: a probe is answered only from the bond's address, and
// maybe by another slave (issue 22 defect 10).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createDslTopology,
  destroyDslTopology,
  DSL_ADDRESS,
  DSL_FAR,
  DSL_GATEWAY,
  DSL_ISP,
  dslDown,
  dslRouter,
  dslSlave,
  dslUp,
} from '../../src/lab/dsl-topology.js';
import { WatchProcess } from '../../src/lab/watch.js';
import { HEALTH_FILE, type HealthFile } from '../../src/watch/health-file.js';
import { kernelDump, tcpRun } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import { siteCli } from '../../src/lab/site-cli.js';
import { probeMarkOf } from '../../src/bonds/teql/probe-routes.js';

const LINES = 4,
  RATE_KBIT = 1024;
const slaves = Array.from({ length: LINES }, (_, i) => dslSlave(i + 1));
let dir = '';

const { wanbond, startWanbond } = siteCli(() => dir);
const site = { startWanbond };

/** A ping as the daemon sends line k's probe (0-based): marked for the line's table (iputils takes -m in decimal). */
const probe = (k: number) =>
  sh('ping', ['-n', '-c', '2', '-i', '0.2', '-W', '2', '-m', String(probeMarkOf(0, k)), DSL_FAR], { allowFail: true });

/** The slaves whose root qdisc is teql0, as the kernel shows them. */
const enslaved = async () =>
  (JSON.parse(await sh('tc', ['-j', 'qdisc', 'show'])) as { dev: string; kind: string; root?: boolean }[])
    .filter((q) => q.root && q.kind === 'teql0')
    .map((q) => q.dev);

const txBytes = async () =>
  Object.fromEntries(
    await Promise.all(
      slaves.map(
        async (s) =>
          [s, Number((await fs.readFile(`/sys/class/net/${s}/statistics/tx_bytes`, 'utf8')).trim())] as const,
      ),
    ),
  );

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-dsl-'));
  await fs.writeFile(
    path.join(dir, 'wanbond.conf'),
    `[teql0]\nslaves = ${slaves.join(', ')}\naddress = ${DSL_ADDRESS}\ngateway = ${DSL_GATEWAY}\nrp_filter = 2\n` +
      `[watch]\nmetrics = off\n${slaves.map((s) => `probe.${s} = ${DSL_FAR}\n`).join('')}`,
  );
  await createDslTopology(LINES, RATE_KBIT);
});

after(async () => {
  await wanbond('down').catch(() => undefined);
  await destroyDslTopology(LINES);
  await sh('modprobe', ['-r', 'sch_teql'], { allowFail: true });
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the DSL-router site in a real kernel', () => {
  it(
    'four Ethernet slaves to four routers sharing one address: up, each slave resolves the shared gateway to its ' +
      'own router, traffic over all four, a second up changes nothing, down restores',
    async () => {
      const pre = await kernelDump();
      const up = await wanbond('up');
      assert.equal(up.code, 0, up.err);
      const t = await tcpRun({ sinkNs: DSL_ISP, dst: DSL_FAR, port: 5001, seconds: 6, lineBytes: txBytes });
      const total = Object.values(t.lineBytes).reduce((a, b) => a + b, 0);
      const shares = slaves.map((s) => (t.lineBytes[s] ?? 0) / total);
      process.stdout.write(
        `measured: DSL site, ${LINES} x ${RATE_KBIT} kbit/s: ${(t.rateBps / 1e6).toFixed(3)} Mbit/s = ` +
          `${(t.rateBps / (LINES * RATE_KBIT * 1000)).toFixed(3)} of the lines' sum; shares ` +
          `${shares.map((x) => x.toFixed(3)).join(' ')}\n`,
      );
      assert.equal(t.sender.error, undefined);
      for (const [i, s] of slaves.entries())
        assert.ok((shares[i] as number) > 0.2, `${s} carried ${shares[i]} of the bytes`);
      // More than one line could carry: the bundle aggregates. How close it comes to the lines' sum is a
      // measurement (printed above), not a pass mark: under TCG it ranged 0.72-0.93 of the sum from run to run.
      assert.ok(t.rateBps > 1.5 * RATE_KBIT * 1000, `the bundle carried ${t.rateBps} bit/s`);
      // TEQL resolves the one gateway on each slave: four neighbours, four routers' MACs.
      const neigh = JSON.parse(await sh('ip', ['-j', 'neigh', 'show', DSL_GATEWAY])) as {
        dev: string;
        lladdr?: string;
      }[];
      assert.deepEqual(neigh.map((n) => n.dev).sort(), [...slaves].sort());
      assert.equal(new Set(neigh.map((n) => n.lladdr)).size, LINES);
      // Each slave's probe route: marked as the daemon marks it, a ping leaves by that slave's router from the
      // bond's address, and is answered by whichever router the ISP returns the block by.
      for (const [k, s] of slaves.entries()) assert.match(await probe(k), / 0% packet loss/, `a probe marked for ${s}`);

      const again = await wanbond('up');
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /already up, nothing to change/);
      const doctor = JSON.parse((await wanbond('doctor', '--json', '--window', '0s')).out) as {
        bonds: { findings: { id: string; severity: string }[] }[];
        findings: { id: string; severity: string }[];
      };
      const found = [...doctor.findings, ...doctor.bonds.flatMap((b) => b.findings)].map(
        (f) => `${f.id}:${f.severity}`,
      );
      process.stdout.write(`measured: DSL site, doctor: ${JSON.stringify(found)}\n`);
      assert.deepEqual(
        found.filter((f) => /:error$/.test(f) || /^routes\./.test(f)),
        [],
        'the bond as up made it is no error',
      );
      // A router that lost the shared address: its line's ARP for the gateway fails, and doctor says which line.
      await sh('ip', ['-n', dslRouter(3), 'addr', 'del', `${DSL_GATEWAY}/29`, 'dev', 'lan']);
      await sh('ip', ['neigh', 'flush', 'dev', dslSlave(3), 'to', DSL_GATEWAY]);
      await sh('ping', ['-n', '-c', '12', '-i', '0.2', '-W', '1', DSL_FAR], { allowFail: true });
      const broken = JSON.parse((await wanbond('doctor', '--json', '--window', '0s')).out) as {
        bonds: { findings: { id: string; line?: string; fix: string[] }[] }[];
      };
      const gw = broken.bonds.flatMap((b) => b.findings).filter((f) => f.id === 'routes.gateway-unresolved');
      process.stdout.write(
        `measured: DSL site, router 3 without the shared address: doctor ` +
          `${JSON.stringify(gw.map((f) => [f.line, f.fix]))}\n`,
      );
      assert.deepEqual(
        gw.map((f) => f.line),
        [dslSlave(3)],
      );
      await sh('ip', ['-n', dslRouter(3), 'addr', 'add', `${DSL_GATEWAY}/29`, 'dev', 'lan']);
      const flush = gw[0]?.fix.find((l) => l.startsWith('ip neigh flush')) as string;
      await sh('ip', flush.split(' ').slice(1));
      await sh('ping', ['-n', '-c', '12', '-i', '0.2', '-W', '1', DSL_FAR], { allowFail: true });
      const fixed = JSON.parse((await wanbond('doctor', '--json', '--window', '0s')).out) as {
        bonds: { findings: { id: string }[] }[];
      };
      assert.deepEqual(
        fixed.bonds.flatMap((b) => b.findings).filter((f) => f.id === 'routes.gateway-unresolved'),
        [],
      );
      // A probe rule deleted by hand: doctor names the line, and its fix (wanbond up) puts it back.
      await sh('ip', ['rule', 'del', 'priority', '7765', 'fwmark', `${probeMarkOf(0, 3)}`]);
      const noRule = JSON.parse((await wanbond('doctor', '--json', '--window', '0s')).out) as {
        bonds: { findings: { id: string; line?: string; fix: string[] }[] }[];
      };
      assert.deepEqual(
        noRule.bonds
          .flatMap((b) => b.findings)
          .filter((f) => f.id === 'routes.probe-route-missing')
          .map((f) => [f.line, f.fix]),
        [[dslSlave(4), ['wanbond up']]],
      );
      assert.equal((await wanbond('up')).code, 0);
      assert.match(await probe(3), / 0% packet loss/, 'the probe route is back');
      const down = await wanbond('down');
      assert.equal(down.code, 0, down.err);
      assert.deepEqual(await kernelDump(), pre);
    },
  );

  it(
    'a DSL line dies behind its router (its Ethernet up): the probe that leaves by that router from the ' +
      "bond's address finds it within 2 s, the line leaves the ring, the flow goes on; back after the hold-down",
    async () => {
      const pre = await kernelDump();
      const w = WatchProcess.start(site);
      try {
        await w.waitFor((e) => e.event === 'started', 90_000, 'start');
        // Every line up in the daemon's eyes (its probes answered by the far host) before the fault.
        const end = Date.now() + 60_000;
        let last = '';
        for (;;) {
          const h = JSON.parse(
            await fs.readFile(path.join(dir, 'run', HEALTH_FILE), 'utf8').catch(() => '{"bonds":[]}'),
          ) as HealthFile;
          // A line whose probe was never answered is up too (it has not proved anything): an answer is asked for.
          last = JSON.stringify(h.bonds[0]?.lines.map((l) => [l.line, l.state, l.inRing, l.rttMs]));
          if (
            h.bonds[0]?.lines.length === LINES &&
            h.bonds[0].lines.every((l) => l.state === 'up' && l.inRing && typeof l.rttMs === 'number')
          )
            break;
          assert.ok(Date.now() < end, `the lines did not settle: ${last}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        const victim = slaves[1] as string;
        let faultAt = 0,
          leftAt = 0,
          kernelOutAt = 0,
          downAt = 0,
          ringMs = 0,
          operstate = '';
        let left: unknown;
        let timeline = '';
        let othersLeft: string[] = [];
        const t = await tcpRun({
          sinkNs: DSL_ISP,
          dst: DSL_FAR,
          port: 5002,
          seconds: 30,
          stopWhenDone: true,
          lineBytes: txBytes,
          during: async () => {
            await new Promise((r) => setTimeout(r, 3000));
            const n = w.events.length;
            faultAt = Date.now();
            await dslDown(2);
            // The kernel read back: the slave's root qdisc is no longer teql0 (bounded, polled).
            while (Date.now() - faultAt < 20_000 && (await enslaved()).includes(victim))
              await new Promise((r) => setTimeout(r, 50));
            kernelOutAt = Date.now();
            const ev = await w.waitFor(
              (e) => e.event === 'ring' && (e['left'] as string[] | undefined)?.includes(victim) === true,
              20_000,
              `${victim} leaving`,
              n,
            );
            leftAt = ev.time;
            left = ev['left'];
            timeline = w.events
              .slice(n)
              .filter((e) => e.time <= leftAt)
              .map((e) => `${e.time - faultAt} ms ${e.event ?? ''}: ${e.msg}`)
              .join('; ');
            ringMs = Number(ev['ms']);
            downAt =
              w.events.slice(n).find((e) => e.event === 'health' && e['line'] === victim && e['to'] === 'down')?.time ??
              NaN;
            operstate = (await fs.readFile(`/sys/class/net/${victim}/operstate`, 'utf8')).trim();
            await new Promise((r) => setTimeout(r, 3000));
            // The other lines' probes are answered all along (by whichever router the ISP returns them).
            othersLeft = w.events
              .slice(n)
              .flatMap((e) => (e.event === 'ring' ? ((e['left'] as string[] | undefined) ?? []) : []))
              .filter((l) => l !== victim);
          },
        });
        process.stdout.write(
          `measured: DSL site, a DSL line dead behind router 2: judged down ${downAt - faultAt} ms after, out of ` +
            `the ring ${leftAt - faultAt} ms after (the change took ${ringMs} ms; the kernel read back: ` +
            `${kernelOutAt - faultAt} ms; its Ethernet ${operstate}); ` +
            `${(t.rateBps / 1e6).toFixed(3)} Mbit/s over the run\n`,
        );
        assert.equal(operstate, 'up', 'the Ethernet link to the router stayed up');
        assert.deepEqual(left, [victim]);
        assert.deepEqual(othersLeft, [], 'no other line left the ring');
        // Issue 22's bound is on the probe: the daemon judges a DSL line dead behind its router within 2 s (it did
        // in 584-909 ms here). The ring change that follows starts no process after the daemon's first (0.2-0.7 s
        // under TCG with a flow), but a bound on it would assert how fast a shared machine is: the kernel read-back
        // gets the lab's generous bound; docs/BENCHMARKS.md has the figures.
        assert.ok(downAt - faultAt < 2000, `judged down after ${downAt - faultAt} ms; the daemon: ${timeline}`);
        assert.ok(
          kernelOutAt - faultAt < 6000,
          `out of teql0 in the kernel after ${kernelOutAt - faultAt} ms; the daemon: ${timeline}`,
        );
        assert.equal(t.sender.error, undefined, 'the flow broke');
        const n = w.events.length;
        const upAt = Date.now();
        await dslUp(2);
        const joinedAt = (
          await w.waitFor(
            (e) => e.event === 'ring' && (e['joined'] as string[] | undefined)?.includes(victim) === true,
            30_000,
            `${victim} rejoining`,
            n,
          )
        ).time;
        assert.ok((await enslaved()).includes(victim), `${victim} is in teql0 again`);
        process.stdout.write(`measured: DSL site, the DSL line back: in the ring again ${joinedAt - upAt} ms after\n`);
      } finally {
        await w.stop();
      }
      const down = await wanbond('down');
      assert.equal(down.code, 0, down.err);
      assert.deepEqual(await kernelDump(), pre);
    },
  );
});
