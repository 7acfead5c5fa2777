// A weighted bond's weights from the wanpipe configuration and the settings' overrides.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSite } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { bondWeights } from '../../../src/bonds/weighted/rates.js';
import { parseSettings } from '../../../src/config/settings.js';
import { plan } from '../../../src/plan/diff.js';
import { desiredState } from '../../../src/state/desired.js';
import type { ObservedState } from '../../../src/state/types.js';

const emptyObserved = (): ObservedState => ({
  links: [],
  addrs: [],
  routes: [],
  qdiscs: [],
  sysctls: {},
  teql: { loaded: false, builtin: false },
  plug: true,
  wanrouterDevices: undefined,
  staleDrivers: [],
});
import { samplesDir } from '../../helpers/fs.js';

const bond = (rates: Record<string, number> = {}) => ({
  name: 'wbond0',
  rates,
  ratesLine: Object.keys(rates).length ? 4 : undefined,
  line: 1,
});

describe('weighted bonds: weights', () => {
  it('a T1, a T1 and a fractional T1 of 12 timeslots: 2, 2, 1 from ACTIVE_CH', async () => {
    const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
    const w = bondWeights(bond(), ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'], site, 'f');
    assert.deepEqual(
      w.lines.map((l) => [l.name, l.bps, l.weight]),
      [
        ['w1g1ppp', 1_536_000, 2],
        ['w2g1ppp', 768_000, 1],
        ['w3g1ppp', 1_536_000, 2],
      ],
    );
    assert.equal(w.shareError, 0);
    assert.match(w.lines[1]?.how ?? '', /ACTIVE_CH = 1-12.*wanpipe2\.conf:\d+/);
  });

  it("the settings' rate wins over the configuration's, and says where it came from", async () => {
    const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
    const w = bondWeights(bond({ w2g1ppp: 512_000 }), ['w1g1ppp', 'w2g1ppp'], site, 'f');
    assert.deepEqual(
      w.lines.map((l) => l.weight),
      [3, 1],
    );
    assert.equal(w.lines[1]?.how, 'rates in f:4');
  });

  it('a line whose rate nobody states: a configuration error with the line to write', () => {
    assert.throws(
      () => bondWeights(bond(), ['eth2', 'eth3'], undefined, 'f'),
      (e: unknown) =>
        e instanceof ConfigError && /rate of eth2 is unknown/.test(e.message) && /rates = eth2:1536k/.test(e.hint),
    );
  });
});

describe('weighted bonds: the desired state', () => {
  it('a [wbond0] over the mixed sample: its lines weighted 2, 1, 2; no TEQL equalizer asked for it', async () => {
    const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
    const d = desiredState(parseSettings('f', '[wbond0]\naddress = 10.0.0.0/31\n'), site);
    assert.deepEqual(
      d.bonds.map((b) => [b.name, b.kind, b.weights?.map((w) => w.weight)]),
      [['wbond0', 'weighted', [2, 1, 2]]],
    );
    assert.deepEqual(
      d.bonds[0]?.slaves.map((s) => s.name),
      ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'],
    );
  });

  it(
    'the whole plan for a weighted bond: no sch_teql, the dummy before its address, nothing attached as a ' +
      'TEQL slave',
    async () => {
      const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
      const d = desiredState(parseSettings('f', '[wbond0]\n'), site);
      const o = emptyObserved();
      o.links = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'].map((name, i) => ({
        name,
        ifindex: i + 2,
        flags: ['UP', 'LOWER_UP'],
        mtu: 1500,
        operstate: 'UP',
      }));
      o.wanrouterDevices = [1, 2, 3].map((n) => ({ name: `wanpipe${n}`, status: 'Connected' }));
      o.policy = { nftAvailable: true, nft: undefined, rules: [], tables: {} };
      const kinds = plan(d, o).steps.map((s) => s.kind);
      assert.ok(
        !kinds.includes('load-module') && !kinds.includes('attach-slave') && !kinds.includes('hold-bond'),
        kinds.join(' '),
      );
      for (const k of ['create-dummy', 'add-address', 'nft-table', 'add-rule'] as const)
        assert.ok(kinds.includes(k), `${k} missing: ${kinds.join(' ')}`);
      assert.ok(
        kinds.indexOf('create-dummy') < kinds.indexOf('add-address') &&
          kinds.indexOf('add-address') < kinds.indexOf('nft-table'),
        kinds.join(' '),
      );
    },
  );
});
