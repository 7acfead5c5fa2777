// Which lines the daemon keeps in each ring and the engine plan that makes it so, applied to the
// fake kernel: a line judged down leaves under a hold, routes stay, it rejoins; every line down
// keeps them all; a bond taken down is left alone; a recreated interface is attached again with its
// rp_filter; a reload that drops a line takes it out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply } from '../../../src/apply/apply.js';
import { desiredState } from '../../../src/state/desired.js';
import { parseSettings } from '../../../src/config/settings.js';
import { silentLogger } from '../../../src/log.js';
import { observe } from '../../../src/observe/read.js';
import { plan, sysctlKeys } from '../../../src/plan/diff.js';
import { planFor, ringDecision, ringPlan } from '../../../src/watch/ring.js';
import { initialHealth, step, type LineHealth } from '../../../src/watch/health.js';
import type { DesiredState } from '../../../src/state/types.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';

const SETTINGS = '[teql0]\nslaves = eth1, eth2, eth3\nrp_filter = 2\n';
const desired = (text = SETTINGS) => desiredState(parseSettings('/etc/wanbond/wanbond.conf', text), undefined);

async function upKernel(d: DesiredState): Promise<FakeKernel> {
  const k = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }, { name: 'eth3' }] });
  const o = await observe(k, { sysctls: sysctlKeys(d), wanrouterProc: '/nonexistent' });
  await apply(
    plan(d, o),
    deps(k, d, (obs) => plan(d, obs, { afterWait: true })),
  );
  return k;
}

function deps(k: FakeKernel, d: DesiredState, replan: Parameters<typeof apply>[1]['replan']) {
  return {
    runner: k,
    log: silentLogger(),
    observe: () => observe(k, { sysctls: sysctlKeys(d), wanrouterProc: '/nonexistent' }),
    replan,
    fixConfig: async () => undefined,
  };
}

const down = (name: string): LineHealth =>
  step(initialHealth(name, 0), { kind: 'link', present: true, ifindex: 1, up: false, carrier: false }, 1).next;
const health = (...bad: string[]) =>
  new Map(['eth1', 'eth2', 'eth3'].map((n) => [n, bad.includes(n) ? down(n) : initialHealth(n, 0)]));

async function ring(k: FakeKernel, d: DesiredState, h: Map<string, LineHealth>) {
  const dd = deps(k, d, () => ({ version: 1, steps: [] }));
  const o = await dd.observe();
  const r = ringPlan(d, h, o);
  const done = await apply(r.plan, { ...dd, replan: (obs) => planFor(d, r.decision, obs) });
  return { ...r, done };
}

const slaves = (k: FakeKernel) =>
  [...k.qdiscs]
    .filter(([, q]) => q.kind === 'teql0')
    .map(([dev]) => dev)
    .sort();

describe('the ring the daemon keeps', () => {
  it('a line judged down leaves under a hold, the routes stay, and it rejoins when healthy', async () => {
    const d = desired();
    const k = await upKernel(d);
    const routes = JSON.stringify(k.routes);
    const from = k.changes.length;
    const r = await ring(k, d, health('eth2'));
    assert.deepEqual([...r.decision.out], ['eth2']);
    assert.deepEqual(
      r.plan.steps.map((s) => s.kind),
      ['hold-bond', 'detach-slave', 'release-bond'],
    );
    assert.ok(k.changes.length > from);
    assert.deepEqual(slaves(k), ['eth1', 'eth3']);
    assert.deepEqual(k.unguarded, [], 'the slave list changed only with the bond held');
    assert.equal(JSON.stringify(k.routes), routes, 'routes untouched');
    const back = await ring(k, d, health());
    assert.deepEqual(
      back.done.filter((s) => s.kind === 'attach-slave').map((s) => (s as { dev: string }).dev),
      ['eth2'],
    );
    assert.deepEqual(slaves(k), ['eth1', 'eth2', 'eth3']);
    assert.deepEqual(k.unguarded, []);
    // Converged: nothing more to do.
    assert.equal((await ring(k, d, health())).plan.steps.length, 0);
  });

  it('never changes admin state: an Ethernet slave that is down stays down, out of the ring', async () => {
    const d = desired();
    const k = await upKernel(d);
    k.links.get('eth3')!.flags.delete('UP');
    k.links.get('eth3')!.flags.delete('LOWER_UP');
    const from = k.changes.length;
    await ring(k, d, health('eth3'));
    assert.ok(!k.changes.slice(from).some((c) => c.join(' ').includes('link set')), k.changes.slice(from).join('\n'));
    assert.deepEqual(slaves(k), ['eth1', 'eth2']);
    // Every line down: all go back into the ring, eth3 too, and still nobody brings it up.
    await ring(k, d, health('eth1', 'eth2', 'eth3'));
    assert.deepEqual(slaves(k), ['eth1', 'eth2', 'eth3']);
    assert.ok(!k.changes.slice(from).some((c) => c.join(' ').includes('link set')), k.changes.slice(from).join('\n'));
    assert.equal(k.links.get('eth3')!.flags.has('UP'), false);
  });

  it('with every line down, all stay in the ring', async () => {
    const d = desired();
    const k = await upKernel(d);
    await ring(k, d, health('eth1'));
    assert.deepEqual(slaves(k), ['eth2', 'eth3']);
    const r = await ring(k, d, health('eth1', 'eth2', 'eth3'));
    assert.deepEqual(r.decision.allDown, ['teql0']);
    assert.deepEqual([...r.decision.out], []);
    assert.deepEqual(slaves(k), ['eth1', 'eth2', 'eth3'], 'the one taken out is back: TEQL skips the dead ones itself');
  });

  it('a bond that is down (wanbond down ran) is left alone', async () => {
    const d = desired();
    const k = new FakeKernel({ links: [{ name: 'eth1' }, { name: 'eth2' }, { name: 'eth3' }] });
    const o = await deps(k, d, () => ({ version: 1, steps: [] })).observe();
    const r = ringPlan(d, health('eth1'), o);
    assert.deepEqual(r.decision.skipped, [{ teql: 'teql0', why: 'teql0 does not exist' }]);
    assert.deepEqual(
      r.plan.steps.filter((s) => s.kind !== 'set-sysctl'),
      [],
    );
  });

  it(
    'an interface recreated (new ifindex, no qdisc, rp_filter from default) is attached again with its ' + 'rp_filter',
    async () => {
      const d = desired();
      const k = await upKernel(d);
      // What a driver reload does to eth2: gone, and back as a new interface with the default settings.
      k.qdiscs.delete('eth2');
      k.sysctls.set('net.ipv4.conf.eth2.rp_filter', '1');
      const r = await ring(k, d, health());
      assert.deepEqual(
        r.plan.steps.map((s) => s.kind),
        ['hold-bond', 'attach-slave', 'release-bond', 'set-sysctl'],
      );
      assert.equal(k.sysctls.get('net.ipv4.conf.eth2.rp_filter'), '2');
      assert.deepEqual(slaves(k), ['eth1', 'eth2', 'eth3']);
    },
  );

  it(
    'a reload that removes a line from the bond takes it out of the ring; ' + 'one that adds a line puts it in',
    async () => {
      const d = desired();
      const k = await upKernel(d);
      const d2 = desired('[teql0]\nslaves = eth1, eth3\nrp_filter = 2\n');
      const dd = deps(k, d2, () => ({ version: 1, steps: [] }));
      const o = await dd.observe();
      const decision = ringDecision(d2, health(), o);
      const p = planFor(d2, decision, o, [{ teql: 'teql0', name: 'eth2' }]);
      await apply(p, { ...dd, replan: (obs) => planFor(d2, decision, obs, [{ teql: 'teql0', name: 'eth2' }]) });
      assert.deepEqual(slaves(k), ['eth1', 'eth3']);
      assert.deepEqual(k.unguarded, []);
      const back = await ring(k, d, health());
      assert.deepEqual(back.done.filter((s) => s.kind === 'attach-slave').length, 1);
      assert.deepEqual(slaves(k), ['eth1', 'eth2', 'eth3']);
    },
  );

  it('a line with a root qdisc wanbond did not set is left alone, and does not block the other lines', async () => {
    const d = desired();
    const k = await upKernel(d);
    k.qdiscs.set('eth3', { kind: 'tbf', handle: '1:' });
    const r = await ring(k, d, health('eth2'));
    assert.deepEqual(r.decision.foreign, [
      { line: 'eth3', teql: 'teql0', why: "its root qdisc is tbf 1:, not wanbond's" },
    ]);
    assert.deepEqual(slaves(k), ['eth1']);
    assert.equal(k.qdiscs.get('eth3')?.kind, 'tbf', 'untouched');
  });

  it('a line moved to another bond by a reload leaves the first, then joins the second on the next pass', async () => {
    const two =
      '[global]\nmax_equalizers = 2\n[teql0]\nslaves = eth1, eth2, eth3\nrp_filter = 2\n[teql1]\nslaves ' +
      '= eth4\naddress = 10.0.1.0/31\nroutes = none\nrp_filter = 2\n';
    const d = desired(two);
    const k = new FakeKernel({ links: ['eth1', 'eth2', 'eth3', 'eth4'].map((name) => ({ name })) });
    const o0 = await observe(k, { sysctls: sysctlKeys(d), wanrouterProc: '/nonexistent' });
    await apply(
      plan(d, o0),
      deps(k, d, (obs) => plan(d, obs, { afterWait: true })),
    );
    const d2 = desired(
      two.replace('slaves = eth1, eth2, eth3', 'slaves = eth1, eth2').replace('slaves = eth4', 'slaves = eth3, eth4'),
    );
    const removed = [{ teql: 'teql0', name: 'eth3' }];
    const h = new Map(['eth1', 'eth2', 'eth3', 'eth4'].map((n) => [n, initialHealth(n, 0)]));
    const pass = async () => {
      const dd = deps(k, d2, () => ({ version: 1, steps: [] }));
      const o = await dd.observe();
      const decision = ringDecision(d2, h, o, removed);
      await apply(planFor(d2, decision, o, removed), { ...dd, replan: (obs) => planFor(d2, decision, obs, removed) });
      return decision;
    };
    const first = await pass();
    assert.deepEqual(
      first.foreign.map((f) => [f.line, f.teql, f.why]),
      [['eth3', 'teql1', 'still a slave of teql0']],
    );
    assert.equal(k.qdiscs.get('eth3'), undefined, 'eth3 left teql0');
    await pass();
    assert.equal(k.qdiscs.get('eth3')?.kind, 'teql1');
    assert.deepEqual(k.unguarded, []);
  });
});
