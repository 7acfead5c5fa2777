// `down` of a weighted bond: the inverse of every recorded step, where the kernel still shows it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSite } from '../../../src/config/load.js';
import { parseSettings } from '../../../src/config/settings.js';
import { plan } from '../../../src/plan/diff.js';
import { describe as say } from '../../../src/plan/steps.js';
import { recordedTables, recordsWeighted, teardown } from '../../../src/plan/teardown.js';
import { mergeSteps } from '../../../src/state/merge.js';
import { desiredState } from '../../../src/state/desired.js';
import type { ObservedState } from '../../../src/state/types.js';
import { policyRules, tableOf } from '../../../src/bonds/weighted/policy.js';
import { samplesDir } from '../../helpers/fs.js';

const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
const d = desiredState(parseSettings('f', '[wbond0]\nslaves = w1g1ppp, w2g1ppp\naddress = 10.0.0.0/31\n'), site);
const link = (name: string) => ({ name, ifindex: 1, flags: ['UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP' });
const before = (): ObservedState => ({
  links: ['w1g1ppp', 'w2g1ppp'].map(link),
  addrs: [],
  routes: [],
  qdiscs: [],
  sysctls: {
    'net.ipv4.ip_forward': '1',
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
    'net.ipv4.conf.w1g1ppp.rp_filter': '0',
    'net.ipv4.conf.w2g1ppp.rp_filter': '0',
  },
  teql: { loaded: false, builtin: false },
  plug: true,
  wanrouterDevices: [1, 2, 3].map((n) => ({ name: `wanpipe${n}`, status: 'Connected' })),
  staleDrivers: [],
  policy: { nftAvailable: true, nft: undefined, rules: [], tables: {} },
});

describe('weighted bonds: down', () => {
  const steps = plan(d, before()).steps;
  const record = mergeSteps([], steps);

  it("the record keeps every per-line route apart from main's (each has its own key)", () => {
    assert.equal(record.filter((s) => s.kind === 'replace-route').length, 3, 'two per-line tables and main');
    assert.deepEqual(recordedTables(record), [tableOf(0, 0), tableOf(0, 1)]);
    assert.ok(recordsWeighted(record));
  });

  it("undoes it all, newest first: main's route, the rules, the tables, the nft table, the address, the dummy", () => {
    const after = before();
    after.links.push(link('wbond0'));
    after.addrs.push({ dev: 'wbond0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true });
    after.routes.push({
      dst: 'default',
      dev: undefined,
      gateway: undefined,
      protocol: undefined,
      scope: undefined,
      metric: undefined,
      type: undefined,
      spec: { to: 'default', src: '10.0.0.0', nexthops: [{ dev: 'w1g1ppp', weight: 2 }, { dev: 'w2g1ppp' }] },
    });
    after.policy = {
      nftAvailable: true,
      nft: { sets: {}, chains: {}, draws: {} },
      // As the kernel shows them (test/fixtures/weighted/ip-rule-iproute2-6.1.json): with their suppress_prefixlen.
      rules: policyRules([{ index: 0, lines: ['w1g1ppp', 'w2g1ppp'] }]).map((r) => ({
        priority: r.priority,
        fwmark: r.fwmark,
        mask: r.mask,
        table: String(r.table),
        ...(r.suppressPrefixlength !== undefined ? { suppressPrefixlength: r.suppressPrefixlength } : {}),
      })),
      tables: Object.fromEntries(
        [0, 1].map((k) => [
          tableOf(0, k),
          [
            {
              dst: 'default',
              dev: k ? 'w2g1ppp' : 'w1g1ppp',
              gateway: undefined,
              protocol: undefined,
              scope: undefined,
              metric: undefined,
              type: undefined,
              spec: undefined,
            },
          ],
        ]),
      ),
    };
    const kinds = teardown(record, after).map((s) => s.kind);
    for (const k of ['del-route', 'del-rule', 'nft-delete-table', 'del-address', 'delete-link'] as const)
      assert.ok(kinds.includes(k), `${k} missing: ${kinds.join(' ')}`);
    assert.equal(kinds.filter((k) => k === 'del-rule').length, 5);
    assert.equal(kinds.filter((k) => k === 'del-route').length, 3);
    assert.ok(kinds.lastIndexOf('del-address') < kinds.indexOf('delete-link'), 'the address before its device');
    assert.ok(kinds.indexOf('nft-delete-table') < kinds.indexOf('delete-link'));
  });

  it('what someone else already removed is left alone', () => {
    const after = before(); // nothing of wanbond's there
    assert.deepEqual(
      teardown(record, after)
        .map(say)
        .filter((x) => !/rp_filter|ip_forward/.test(x)),
      [],
    );
  });

  it(
    'a rule at our priority, mark and table that is not the one up added (no suppress_prefixlength) is ' + 'left alone',
    () => {
      const after = before();
      const ours = policyRules([{ index: 0, lines: ['w1g1ppp', 'w2g1ppp'] }]);
      const other = ours.find((r) => r.suppressPrefixlength !== undefined && r.table !== 'main')!;
      after.policy!.rules = [
        { priority: other.priority, fwmark: other.fwmark, mask: other.mask, table: String(other.table) },
      ];
      assert.deepEqual(
        teardown(record, after).filter((s) => s.kind === 'del-rule'),
        [],
      );
    },
  );
});
