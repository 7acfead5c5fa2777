// wanbond's nftables table as nft itself parses it (`nft -c`: checked, never committed). The fake
// kernel reads the table wanbond writes, not nft's grammar: a chain named after an nft keyword
// (`fwd`) passed every unit test and was refused by the lab's nft. Skipped where nft is not installed
// (CI installs it).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { bondRulesOf } from '../../../src/bonds/weighted/plan.js';
import { tableRuleset } from '../../../src/bonds/weighted/ruleset.js';
import { parseSettings } from '../../../src/config/settings.js';
import { desiredState } from '../../../src/state/desired.js';

const SITE =
  '[wbond0]\nslaves = eth5, eth6\naddress = 10.0.0.0/31\nrates = eth5:1536k, eth6:768k\nroutes = 192.0.2.0/24\n' +
  '[pcbond0]\nuplink.eth1 = 100.64.1.2 via 100.64.1.1 weight 2\nuplink.eth2 = 100.64.2.2 via 100.64.2.1\n' +
  '[pcbond1]\nroutes = 10.0.0.0/8, 198.51.100.0/24\n' +
  'uplink.eth3 = 100.64.3.2 via 100.64.3.1\nuplink.eth4 = 100.64.4.2 via 100.64.4.1\n';

function nftCheck(input: string): Promise<{ code: number; err: string } | undefined> {
  return new Promise((resolve) => {
    const c = execFile('nft', ['-c', '-f', '-'], (e, _out, err) => {
      if (e && (e as NodeJS.ErrnoException).code === 'ENOENT') resolve(undefined);
      else resolve({ code: e ? 1 : 0, err });
    });
    c.stdin?.end(input);
  });
}

describe('the nftables table as nft parses it', () => {
  it("weighted and per-connection bonds, with prefixes and the site's interfaces: nft -c accepts it", async (t) => {
    const bonds = desiredState(parseSettings('f', SITE), undefined).bonds.map((b) =>
      bondRulesOf(b, new Set(), ['guest0']),
    );
    const text = tableRuleset(bonds);
    const r = await nftCheck(text);
    if (!r) return t.skip('nft is not installed');
    // Without netlink (an unprivileged sandbox) nft cannot check against the kernel: its grammar is all we need.
    if (r.code !== 0 && /Operation not permitted|Could not process rule: No such file/.test(r.err)) {
      return t.skip(`nft -c cannot reach the kernel here: ${r.err.split('\n')[0]}`);
    }
    assert.equal(r.code, 0, `${r.err}\n${text}`);
  });

  it('the check fails on a chain named after a keyword', async (t) => {
    const r = await nftCheck('add table ip wbtest\nadd chain ip wbtest fwd { type filter hook forward priority 0; }\n');
    if (!r) return t.skip('nft is not installed');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /syntax error, unexpected fwd/);
  });
});
