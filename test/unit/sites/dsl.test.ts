// The DSL-router site (issue 12, part 1) on the fake kernel: Ethernet slaves to routers that share one
// LAN address, the ISP's block on teql0 as a real address (its prefix routed), the default route via
// the shared address, rp_filter 2.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/errors.js';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';

const DSL = '[teql0]\nslaves = eth2, eth3, eth4, eth5\naddress = 203.0.113.10/29\ngateway = 203.0.113.9\nrp_filter = 2\n';

async function site(settings = DSL) {
  const dir = await tmpDir();
  await fs.writeFile(path.join(dir, 'wanbond.conf'), settings);
  const kernel = new FakeKernel({ links: ['eth2', 'eth3', 'eth4', 'eth5'].map((name) => ({ name })) });
  const args = ['--conf-dir', path.join(dir, 'none'), '--settings', path.join(dir, 'wanbond.conf'), '--state-dir', path.join(dir, 'run')];
  return { kernel, run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args) };
}

describe('DSL routers on Ethernet: settings', () => {
  it('a gateway inside the bond\'s real prefix', () => {
    const b = parseSettings('f', DSL).bonds[0];
    assert.deepEqual([b?.address, b?.gateway, b?.rpFilter], ['203.0.113.10/29', '203.0.113.9', 2]);
  });

  it('a gateway outside the prefix, the bond\'s own address, or not an address: an error at its line', () => {
    const err = (text: string) => { try { parseSettings('/etc/wanbond/wanbond.conf', text); } catch (e) { assert.ok(e instanceof ConfigError); return e.message; } assert.fail('no error'); };
    assert.match(err('[teql0]\nslaves = eth2\naddress = 203.0.113.10/29\ngateway = 203.0.113.17\n'), /:4: gateway 203\.0\.113\.17 is not another address of 203\.0\.113\.10\/29's network/);
    assert.match(err('[teql0]\nslaves = eth2\naddress = 203.0.113.10/29\ngateway = 203.0.113.10\n'), /:4: gateway 203\.0\.113\.10 is not another address/);
    assert.match(err('[teql0]\nslaves = eth2\ngateway = router1\n'), /:3: gateway: expected an IPv4 address/);
    assert.match(err('[wbond0]\nslaves = eth2, eth3\nrates = eth2:8M, eth3:4M\ngateway = 10.0.0.1\n'), /gateway in \[wbond0\]/);
  });
});

describe('DSL routers on Ethernet: up and down', () => {
  it('the block\'s prefix stays routed on teql0, the default goes via the shared address, a second up changes nothing, down restores', async () => {
    const { kernel, run } = await site();
    const before = kernel.dump();
    const up = await run('up');
    assert.equal(up.code, 0, up.err);
    const c = kernel.changes.map((x) => x.join(' '));
    assert.ok(c.includes('ip addr add 203.0.113.10/29 dev teql0'), `a real address, without noprefixroute:\n${c.join('\n')}`);
    assert.ok(!c.some((x) => /^ip route del 203\.0\.113\.8\/29/.test(x)), 'the prefix route is the way to the gateway');
    assert.ok(c.some((x) => /^ip route replace default dev teql0 via 203\.0\.113\.9$|^ip route replace default via 203\.0\.113\.9 dev teql0$/.test(x)), c.join('\n'));
    for (const s of ['eth2', 'eth3', 'eth4', 'eth5']) assert.equal(kernel.sysctls.get(`net.ipv4.conf.${s}.rp_filter`), '2');
    const n = kernel.changes.length;
    const again = await run('up');
    assert.equal(again.code, 0, again.err);
    assert.equal(kernel.changes.length, n, `a second up changed: ${kernel.changes.slice(n).map((x) => x.join(' ')).join('; ')}`);
    const down = await run('down');
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });

  it('doctor takes the route via the gateway for the bond\'s, and the real block for no fake /31', async () => {
    const { run } = await site();
    assert.equal((await run('up')).code, 0);
    const d = await run('doctor', '--json', '--window', '0s');
    assert.doesNotMatch(d.out, /"routes\./, d.out);
  });
});
