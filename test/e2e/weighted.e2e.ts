// Weighted bonds in a real kernel: nftables draws each packet's line by weight, one routing table
// per line, fwmark rules. A T1, a fractional T1 of 12 timeslots and a T1 (the mixed sample, each
// line shaped to its configured rate); router B equalizes its side with TEQL as today.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { kernelDump, Lab } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import { destroyTopology } from '../../src/lab/topology.js';

after(async () => { await destroyTopology().catch(() => undefined); });

describe('weighted bonds in a real kernel', () => {
  it('a T1, a half T1 and a T1: up as planned, a second up changes nothing, packets split 2:1:2, down leaves the kernel as before', async () => {
    const lab = await Lab.create({ sample: 'aft-a104-t1-ft1-mixed', settings: '[wbond0]\naddress = 10.0.0.0/31\n' });
    try {
      // Router B's teql1: A's weighted bond needs no TEQL, so the test loads it for B.
      await sh('modprobe', ['sch_teql', 'max_equalizers=2']);
      await lab.attachRouterB('teql1', ['10.0.0.1/31']);
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
      const again = await lab.wanbond(['up']);
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /already up, nothing to change/, again.out + again.err);

      const r = await lab.traffic(10);
      const names = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'];
      const total = names.reduce((a, n) => a + (r.lineBytes[n] ?? 0), 0);
      const shares = names.map((n) => (r.lineBytes[n] ?? 0) / total);
      console.log(`# measured: weighted 1544+768+1544: ${(r.rateBps / 1e6).toFixed(3)} Mbit/s; shares ${shares.map((x) => x.toFixed(3)).join(' ')} (want 0.400 0.200 0.400)`);
      for (const [i, want] of [0.4, 0.2, 0.4].entries()) assert.ok(Math.abs((shares[i] as number) - want) < 0.05, `${names[i]}: ${shares[i]} of the bytes, want ${want}: ${JSON.stringify(r.lineBytes)}`);

      const down = await lab.wanbond(['down']);
      assert.equal(down.code, 0, down.err);
      assert.deepEqual(await kernelDump(), pre);
    } finally {
      await lab.destroy();
    }
  });
});
