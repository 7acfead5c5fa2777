// Weighted bonds in a real kernel: nftables draws each packet's line by weight, one routing table
// per line, fwmark rules. A T1, a fractional T1 of 12 timeslots and a T1 (the mixed sample, each
// line shaped to its configured rate); router B equalizes its side with TEQL as today.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kernelDump, Lab } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import { destroyTopology } from '../../src/lab/topology.js';
import { WatchProcess } from '../../src/lab/watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every line of the daemon's first bond up and in its ring (a weighted bond has no TEQL slaves to count). */
async function healthy(lab: Lab, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    const h = await lab.readHealth().catch(() => undefined);
    last = JSON.stringify(h?.bonds[0]?.lines.map((l) => [l.line, l.state, l.inRing]));
    if (h && h.bonds[0]?.lines.length && h.bonds[0].lines.every((l) => l.state === 'up' && l.inRing)) return;
    await sleep(250);
  }
  throw new Error(`the weighted bond did not settle: ${last}`);
}

let lab: Lab;

// One lab for both cases (the CI's time): router B's teql1 loaded and attached once, since A's
// weighted bond itself loads no TEQL.
before(async () => {
  lab = await Lab.create({ sample: 'aft-a104-t1-ft1-mixed', settings: '[wbond0]\naddress = 10.0.0.0/31\n' });
  await sh('modprobe', ['sch_teql', 'max_equalizers=2']);
  await lab.attachRouterB('teql1', ['10.0.0.1/31']);
});

after(async () => {
  await lab?.destroy().catch(() => undefined);
  await destroyTopology().catch(() => undefined);
});

describe('weighted bonds in a real kernel', () => {
  it('a T1, a half T1 and a T1: up as planned, a second up changes nothing, packets split 2:1:2, down leaves the kernel as before', async () => {
    {
      const pre = await kernelDump();
      const up = await lab.wanbond(['up']);
      if (up.code !== 0) {
        // What the kernel shows after the rollback, and what it shows for such a rule.
        await sh('ip', ['rule', 'add', 'priority', '7762', 'fwmark', '0x77620001/0xffffffff', 'lookup', '77620001', 'suppress_prefixlength', '0']);
        console.log(`# ip-rule-json-probe: ${(await sh('ip', ['-j', 'rule', 'show'])).trim()}`);
        await sh('ip', ['rule', 'del', 'priority', '7762', 'fwmark', '0x77620001/0xffffffff', 'lookup', '77620001', 'suppress_prefixlength', '0']);
      }
      assert.equal(up.code, 0, up.err);
      // The shapes the observation parses, as this kernel's nft and ip print them (for the unit fixtures).
      console.log(`# nft-json: ${(await sh('nft', ['-j', 'list', 'table', 'ip', 'wanbond'])).trim()}`);
      console.log(`# ip-rule-json: ${(await sh('ip', ['-j', 'rule', 'show'])).trim()}`);
      console.log(`# ip-route-main: ${(await sh('ip', ['-j', 'route', 'show'])).trim()}`);
      console.log(`# ip-route-all: ${(await sh('ip', ['route', 'show', 'table', 'all'])).split('\n').filter((l) => /7762|default/.test(l)).join(' | ')}`);
      const again = await lab.wanbond(['up']);
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /already up, nothing to change/, again.out + again.err);

      // doctor: no TEQL check misjudges the weighted bond; a flushed nft table is found and `up` fixes it.
      const ids = async () => (JSON.parse((await lab.wanbond(['doctor', '--json', '--window', '0s'])).out) as { findings: { id: string; severity: string }[]; bonds: { findings: { id: string; severity: string }[] }[] });
      const problems = (r: Awaited<ReturnType<typeof ids>>) => [...r.findings, ...r.bonds.flatMap((b) => b.findings)].filter((f) => f.severity !== 'info').map((f) => f.id);
      assert.deepEqual(problems(await ids()).filter((id) => id !== 'watch.not-running'), []);
      await sh('nft', ['delete', 'table', 'ip', 'wanbond']);
      assert.ok(problems(await ids()).includes('bond.weighted-not-applied'));
      assert.equal((await lab.wanbond(['up'])).code, 0);
      assert.deepEqual(problems(await ids()).filter((id) => id !== 'watch.not-running'), []);

      const r = await lab.traffic(8);
      const names = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'];
      const total = names.reduce((a, n) => a + (r.lineBytes[n] ?? 0), 0);
      const shares = names.map((n) => (r.lineBytes[n] ?? 0) / total);
      console.log(`# measured: weighted 1544+768+1544: ${(r.rateBps / 1e6).toFixed(3)} Mbit/s; shares ${shares.map((x) => x.toFixed(3)).join(' ')} (want 0.400 0.200 0.400)`);
      for (const [i, want] of [0.4, 0.2, 0.4].entries()) assert.ok(Math.abs((shares[i] as number) - want) < 0.05, `${names[i]}: ${shares[i]} of the bytes, want ${want}: ${JSON.stringify(r.lineBytes)}`);

      const down = await lab.wanbond(['down']);
      assert.equal(down.code, 0, down.err);
      assert.deepEqual(await kernelDump(), pre);
    }
  });

  it('a silent black hole on the half T1: the daemon stops drawing it (it sends nothing but its probes), and draws it again once healthy', async () => {
    {
      // The daemon brings the bond up itself, as it converges like `up` at its start.
      const w = WatchProcess.start(lab);
      try {
        await w.waitFor((e) => e.event === 'started', 90_000, 'start');
        await healthy(lab);
        let leftAt = 0, sent = 0, others = 0;
        const t = await lab.traffic(16, async () => {
          await sleep(3000);
          const n = w.events.length;
          await lab.sim('fault', 'w2g1ppp', 'blackhole');
          leftAt = (await w.waitFor((e) => e.event === 'ring' && (e['left'] as string[] | undefined)?.includes('w2g1ppp') === true, 20_000, 'w2g1ppp leaving', n)).time;
          await sleep(500);
          const a0 = await lab.linkStats('w2g1ppp'), b0 = await lab.linkStats('w1g1ppp');
          await sleep(3000);
          const a1 = await lab.linkStats('w2g1ppp'), b1 = await lab.linkStats('w1g1ppp');
          sent = a1.txPackets - a0.txPackets;
          others = b1.txPackets - b0.txPackets;
        });
        console.log(`# measured: weighted, w2g1ppp black-holed: out of the draw; in 3 s it sent ${sent} packets (probes) while w1g1ppp sent ${others}; ${(t.rateBps / 1e6).toFixed(3)} Mbit/s over the run`);
        assert.ok(leftAt > 0);
        // A T1 carries at most 128 full-size packets a second: 384 in 3 s.
        assert.ok(others > 200, `the flow went on over the other lines: w1g1ppp sent ${others} packets in 3 s`);
        assert.ok(sent < 40, `w2g1ppp still drawn after leaving: ${sent} packets in 3 s`);
        const n = w.events.length;
        await lab.sim('clear', 'w2g1ppp');
        await w.waitFor((e) => e.event === 'ring' && (e['joined'] as string[] | undefined)?.includes('w2g1ppp') === true, 30_000, 'w2g1ppp rejoining', n);
        const r = await lab.traffic(6);
        assert.ok((r.lineBytes['w2g1ppp'] ?? 0) > 0.1 * (r.lineBytes['w1g1ppp'] ?? 0), `w2g1ppp drawn again: ${JSON.stringify(r.lineBytes)}`);
      } finally {
        await w.stop();
      }
      const down = await lab.wanbond(['down']);
      assert.equal(down.code, 0, down.err);
    }
  });
});
