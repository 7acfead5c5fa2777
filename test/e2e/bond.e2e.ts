// End-to-end in a real kernel with sch_teql (the qemu lab, or a host that has it): wanbond up/down
// against simulated T1 lines, with real ip, tc, modprobe, sysctl and TCP traffic.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { kernelDump, Lab } from '../../src/lab/lab.js';
import { destroyTopology, H_ADDR, H_ADDR2, T1_KBIT } from '../../src/lab/topology.js';

const T1 = T1_KBIT * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLab(o: Parameters<typeof Lab.create>[0], body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.create(o);
  try {
    await body(lab);
  } finally {
    await lab.destroy();
  }
}

function assertShares(tx: Record<string, number>, names: string[], lo: number, hi: number): void {
  const total = names.reduce((a, n) => a + (tx[n] ?? 0), 0);
  for (const n of names) {
    const share = (tx[n] ?? 0) / total;
    assert.ok(
      share >= lo && share <= hi,
      `${n} carried ${(share * 100).toFixed(1)}% of ${total} bytes (expected ${lo * 100}-${hi * 100}%): ` +
        `${JSON.stringify(tx)}`,
    );
  }
}

after(async () => {
  await destroyTopology().catch(() => undefined);
});

describe('wanbond in a real kernel', () => {
  // Every "down restores the kernel" compares the dump taken before `up` with the one right after
  // `down`, inside the lab: the lab's own teardown (which would put things back itself) runs later.
  it(
    'up from clean with 4 T1 lines: every line carries its share; a second up changes nothing; down restores the ' +
      'kernel',
    async () => {
      await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
        const pre = await kernelDump();
        const up = await lab.wanbond(['up']);
        assert.equal(up.code, 0, up.err);
        assert.equal(up.out, 'teql0 (w1g1ppp, w2g1ppp, w3g1ppp, w4g1ppp): up (15 changes)\n');
        const st = JSON.parse((await lab.wanbond(['status', '--json'])).out) as {
          teql: string;
          up: boolean;
          lines: { name: string; enslaved: boolean; carrier: boolean }[];
        }[];
        assert.deepEqual(
          st.map((b) => [b.teql, b.up, b.lines.map((l) => [l.name, l.enslaved, l.carrier])]),
          [['teql0', true, ['w1g1ppp', 'w2g1ppp', 'w3g1ppp', 'w4g1ppp'].map((n) => [n, true, true])]],
        );
        const converged = await kernelDump();
        const again = await lab.wanbond(['up']);
        assert.equal(again.out, 'teql0 (w1g1ppp, w2g1ppp, w3g1ppp, w4g1ppp): already up, nothing to change\n');
        assert.deepEqual(await kernelDump(), converged, 'a second up changed the kernel');

        await lab.attachRouterB('teql1', ['10.0.0.1/31']);
        const t = await lab.traffic(8);
        process.stdout.write(
          `measured: 4 x T1: ${(t.rateBps / 1e6).toFixed(3)} Mbit/s = ${(t.rateBps / (4 * T1)).toFixed(3)} of ` +
            `the lines' sum; per line ${JSON.stringify(t.lineBytes)}\n`,
        );
        assert.equal(t.sender.error, undefined);
        assert.ok(t.rateBps > 3 * T1, `the bundle carried ${t.rateBps} bit/s, not more than three T1s`);
        assertShares(t.lineBytes, lab.ifaces, 0.2, 0.3);
        await lab.detachRouterB();
        const down = await lab.wanbond(['down']);
        assert.equal(down.code, 0, down.err);
        assert.deepEqual(await kernelDump(), pre, 'down did not restore the pre-up kernel');
      });
    },
  );

  it('up with 2 S514 CHDLC lines: writes DYN_INTR_CFG = YES, bonds both, down restores', async () => {
    await withLab({ sample: 's514-chdlc-2xt1' }, async (lab) => {
      const pre = await kernelDump();
      assert.equal((await lab.wanbond(['config', 'check'])).code, 1);
      const up = await lab.wanbond(['up']);
      assert.equal(up.code, 0, up.err);
      assert.equal((await lab.wanbond(['config', 'check'])).code, 0, 'DYN_INTR_CFG fixed');
      assert.match(await fs.readFile(path.join(lab.confDir, 'wanpipe1.conf'), 'utf8'), /\nDYN_INTR_CFG\t= YES\n/);
      await lab.attachRouterB('teql1', ['10.0.0.1/31']);
      const t = await lab.traffic(6);
      process.stdout.write(
        `measured: 2 x T1: ${(t.rateBps / 1e6).toFixed(3)} Mbit/s = ${(t.rateBps / (2 * T1)).toFixed(3)} of the sum\n`,
      );
      assert.ok(t.rateBps > 1.5 * T1, `${t.rateBps} bit/s`);
      assertShares(t.lineBytes, lab.ifaces, 0.4, 0.6);
      await lab.detachRouterB();
      assert.equal((await lab.wanbond(['down'])).code, 0);
      assert.deepEqual(await kernelDump(), pre);
      const driver = JSON.parse(await lab.sim('driver')) as { starts: Record<string, number> };
      assert.deepEqual(
        driver.starts,
        { wanpipe1: 1, wanpipe2: 1 },
        'the cards were not running: up started them after the fix, no restart needed',
      );
    });
  });

  it('up --dry-run changes nothing, and its commands typed by hand reach the state up reaches', async () => {
    let byHand: unknown;
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      const pre = await kernelDump();
      const dry = await lab.wanbond(['up', '--dry-run']);
      assert.equal(dry.code, 0, dry.err);
      assert.deepEqual(await kernelDump(), pre, 'dry-run changed the kernel');
      const script = dry.out.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      assert.ok(
        script.includes('modprobe sch_teql max_equalizers=2') &&
          script.includes('tc qdisc replace dev w3g1ppp root teql0'),
        dry.out,
      );
      const r = await execa('bash', ['-e', '-c', script.join('\n')], {
        reject: false,
        env: { PATH: `${path.join(lab.dir, 'bin')}:${process.env['PATH']}` },
      });
      assert.equal(r.exitCode, 0, r.stderr);
      const plan = await lab.wanbond(['plan']);
      assert.equal(plan.out, 'teql0 (w1g1ppp, w2g1ppp, w3g1ppp, w4g1ppp): up to date, nothing to change\n');
      byHand = await kernelDump();
    });
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      assert.equal((await lab.wanbond(['up'])).code, 0);
      assert.deepEqual(await kernelDump(), byHand, 'the printed commands and up reached different states');
      assert.equal((await lab.wanbond(['down'])).code, 0);
    });
  });

  it('a command failing mid-apply rolls the kernel back to its pre-up state', async () => {
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      const pre = await kernelDump();
      // A sysctl that refuses ip_forward, as a hardened host might: every earlier step must be undone.
      const bin = path.join(lab.dir, 'fail-bin');
      await fs.mkdir(bin);
      await fs.writeFile(
        path.join(bin, 'sysctl'),
        '#!/bin/sh\ncase "$*" in *ip_forward=1*) echo "sysctl: permission denied on key ' +
          '\\"net.ipv4.ip_forward\\"" >&2; exit 255;; esac\nexec /usr/sbin/sysctl "$@"\n',
        { mode: 0o755 },
      );
      const up = await lab.wanbond(['up'], { PATH: `${bin}:${process.env['PATH']}` });
      assert.equal(up.code, 1);
      assert.match(
        up.err,
        new RegExp(
          String.raw`^error: command failed: sysctl -q -w net\/ipv4\/ip_forward=1[^:]*: ` +
            'sysctl: permission denied on key ' +
            String.raw`"net.ipv4.ip_forward"; rolled back \d+ steps, the system is as it was\nhint: `,
          'm',
        ),
      );
      assert.deepEqual(await kernelDump(), pre, 'rollback did not restore the kernel');
    });
  });

  it('two bonds at once: each carries its own routes over its own lines', async () => {
    const settings =
      '[global]\nmax_equalizers = 3\n\n[teql0]\nslaves = w1g1ppp, w2g1ppp\n\n[teql1]\nslaves = w3g1ppp, ' +
      'w4g1ppp\naddress = 10.0.1.0/31\nroutes = 10.78.0.0/24\n';
    await withLab({ sample: 'aft-a104-4xt1-ppp', settings }, async (lab) => {
      const pre = await kernelDump();
      const up = await lab.wanbond(['up']);
      assert.equal(up.code, 0, up.err);
      await lab.attachRouterB('teql2', ['10.0.0.1/31', '10.0.1.1/31']);
      const t0 = await lab.traffic(5, undefined, H_ADDR);
      const t1 = await lab.traffic(5, undefined, H_ADDR2, 5002);
      process.stdout.write(
        `measured: teql0: ${(t0.rateBps / 1e6).toFixed(3)} Mbit/s ${JSON.stringify(t0.lineBytes)}; teql1: ` +
          `${(t1.rateBps / 1e6).toFixed(3)} Mbit/s ${JSON.stringify(t1.lineBytes)}\n`,
      );
      assertShares(t0.lineBytes, ['w1g1ppp', 'w2g1ppp'], 0.4, 0.6);
      assertShares(t1.lineBytes, ['w3g1ppp', 'w4g1ppp'], 0.4, 0.6);
      assert.ok(
        (t0.lineBytes['w3g1ppp'] ?? 0) + (t0.lineBytes['w4g1ppp'] ?? 0) < 0.02 * t0.bytes,
        'teql0 traffic leaked onto teql1 lines',
      );
      assert.ok(
        (t1.lineBytes['w1g1ppp'] ?? 0) + (t1.lineBytes['w2g1ppp'] ?? 0) < 0.02 * t1.bytes,
        'teql1 traffic leaked onto teql0 lines',
      );
      assert.ok(t0.rateBps > 1.5 * T1 && t1.rateBps > 1.5 * T1);
      await lab.detachRouterB();
      assert.equal((await lab.wanbond(['down'])).code, 0);
      assert.deepEqual(await kernelDump(), pre);
    });
  });

  // What a failure costs is measured here, not assumed (docs/LAB.md): the flow must carry on and TEQL
  // must hand the dead line nothing. The simulator does not make that true by itself: a veth whose
  // own end is down still delivers what it is handed (its peer is up), so the line's bytes show it
  // for interface-down; with carrier lost the peer is down and the veth would drop what it is handed,
  // so its tx_dropped shows it there. How soon TEQL uses the line again is reported, not asserted:
  // putting a line back is `wanbond watch`'s job.
  for (const fault of ['line-down', 'carrier-loss'] as const) {
    it(
      `a line failing while traffic flows (${fault}): ` + `the flow carries on and TEQL hands the dead line nothing`,
      async () => {
        await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
          assert.equal((await lab.wanbond(['up'])).code, 0);
          await lab.attachRouterB('teql1', ['10.0.0.1/31']);
          let during: Record<string, number> = {};
          let handed = { txPackets: 0, txDropped: 0 };
          let faultAt = 0;
          let rejoinedAfterMs = -1;
          const t0 = Date.now();
          const t = await lab.traffic(
            30,
            async () => {
              await sleep(4000);
              faultAt = Date.now() - t0;
              await lab.sim('fault', 'w2g1ppp', fault);
              // Linkwatch takes up to a second to act on a carrier change: measure after it has.
              await sleep(1500);
              const a = await lab.lineBytes();
              const sa = await lab.linkStats('w2g1ppp');
              await sleep(3000);
              const b = await lab.lineBytes();
              const sb = await lab.linkStats('w2g1ppp');
              during = Object.fromEntries(Object.entries(b).map(([n, v]) => [n, v - (a[n] ?? 0)]));
              handed = { txPackets: sb.txPackets - sa.txPackets, txDropped: sb.txDropped - sa.txDropped };
              const st = JSON.parse((await lab.wanbond(['status', '--json'])).out) as {
                lines: { name: string; admin: string; carrier: boolean; enslaved: boolean }[];
              }[];
              const w2 = st[0]?.lines.find((l) => l.name === 'w2g1ppp');
              assert.ok(
                w2?.enslaved && (w2.admin === 'down' || !w2.carrier),
                `status does not show the failed line: ${JSON.stringify(w2)}`,
              );
              await lab.sim('clear', 'w2g1ppp');
              const cleared = Date.now();
              const base = (await lab.lineBytes())['w2g1ppp'] ?? 0;
              while (Date.now() - cleared < 10_000) {
                await sleep(250);
                if (((await lab.lineBytes())['w2g1ppp'] ?? 0) - base > 20_000) {
                  rejoinedAfterMs = Date.now() - cleared;
                  break;
                }
              }
              // A second of the recovered bundle, then the run ends (the lab's time).
              await sleep(1000);
            },
            undefined,
            undefined,
            { stopWhenDone: true },
          );
          const kb = t.buckets.map((x) => Math.round(x / 1000));
          const faultBucket = Math.ceil(faultAt / t.bucketMs);
          const duringRate = (Object.values(during).reduce((x, y) => x + y, 0) * 8) / 3;
          process.stdout.write(
            `measured: ${fault}: during the fault ${(duringRate / 1e6).toFixed(3)} Mbit/s over ` +
              `${JSON.stringify(during)}; handed to the dead slave ${JSON.stringify(handed)}; line used again ` +
              `${rejoinedAfterMs >= 0 ? `after ${rejoinedAfterMs} ms` : 'not within 10 s'} of coming back; KB per ` +
              `250 ms ${JSON.stringify(kb)}\n`,
          );
          assert.equal(t.sender.error, undefined, 'the TCP connection broke');
          assert.ok((during['w2g1ppp'] ?? 0) < 5000, `the failed line still got ${during['w2g1ppp']} bytes`);
          assert.equal(
            handed.txDropped,
            0,
            `TEQL handed the dead slave packets that it dropped: ${JSON.stringify(handed)}`,
          );
          assert.ok(duringRate > 0.8 * T1, `the bundle carried ${duringRate} bit/s during the fault`);
          assert.ok(t.rateBps > 1.5 * T1, `the flow's rate over the run: ${t.rateBps} bit/s`);
          // No second without data after the fault: TCP never stalled into a retransmission timeout.
          const afterFault = t.buckets.slice(faultBucket + 1, -2);
          const perSecond = Math.round(1000 / t.bucketMs);
          for (let k = 0; k + perSecond <= afterFault.length; k++) {
            assert.ok(
              afterFault.slice(k, k + perSecond).some((b) => b > 0),
              `the flow stalled for a second after the fault: ${JSON.stringify(kb)}`,
            );
          }
          await lab.detachRouterB();
          assert.equal((await lab.wanbond(['down'])).code, 0);
        });
      },
    );
  }

  it('a flapping line: the flow survives five drops in five seconds and the bundle recovers', async () => {
    await withLab({ sample: 'aft-a104-4xt1-ppp' }, async (lab) => {
      assert.equal((await lab.wanbond(['up'])).code, 0);
      await lab.attachRouterB('teql1', ['10.0.0.1/31']);
      let usedAgainMs = -1;
      let after: Record<string, number> = {};
      const t = await lab.traffic(
        30,
        async () => {
          await sleep(3000);
          assert.match(await lab.sim('flap', 'w3g1ppp', '5', '1000'), /w3g1ppp: flapped 5 times \(if-down\)/);
          const calm = Date.now();
          const base = (await lab.lineBytes())['w3g1ppp'] ?? 0;
          while (Date.now() - calm < 12_000 && usedAgainMs < 0) {
            await sleep(250);
            if (((await lab.lineBytes())['w3g1ppp'] ?? 0) - base > 20_000) usedAgainMs = Date.now() - calm;
          }
          const a = await lab.lineBytes();
          await sleep(3000);
          const b = await lab.lineBytes();
          after = Object.fromEntries(Object.entries(b).map(([n, v]) => [n, v - (a[n] ?? 0)]));
        },
        undefined,
        undefined,
        { stopWhenDone: true },
      );
      const kb = t.buckets.map((x) => Math.round(x / 1000));
      const afterRate = (Object.values(after).reduce((x, y) => x + y, 0) * 8) / 3;
      process.stdout.write(
        `measured: flapping: ${(t.rateBps / 1e6).toFixed(3)} Mbit/s over the run; the flapped line carried ` +
          `traffic again ${usedAgainMs >= 0 ? `${usedAgainMs} ms` : 'not within 12 s'} after the last flap; then ` +
          `${(afterRate / 1e6).toFixed(3)} Mbit/s over ${JSON.stringify(after)}; KB per 250 ms ` +
          `${JSON.stringify(kb)}\n`,
      );
      assert.equal(t.sender.error, undefined, 'the TCP connection broke');
      // Recovered: the flapped line carries traffic again, and the bundle is back above three lines' worth.
      assert.ok(usedAgainMs >= 0, 'the flapped line was not used again within 12 s of the last flap');
      assert.ok(afterRate > 3 * T1, `after the flaps the bundle carried ${afterRate} bit/s: ${JSON.stringify(after)}`);
      const st = JSON.parse((await lab.wanbond(['status', '--json'])).out) as {
        lines: { name: string; admin: string; enslaved: boolean }[];
      }[];
      assert.deepEqual(
        st[0]?.lines.map((l) => [l.name, l.admin, l.enslaved]),
        lab.ifaces.map((n) => [n, 'up', true]),
        'a line lost its place in the bond',
      );
      await lab.detachRouterB();
      assert.equal((await lab.wanbond(['down'])).code, 0);
    });
  });
});
