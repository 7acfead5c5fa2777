// A firewall reload (`nft flush ruleset`, the first line of Debian's /etc/nftables.conf) removes
// wanbond's table `ip wanbond`. The daemon judges its bonds up from wanbond's record, not from that
// table: its periodic check sees what is missing and its ring change builds the table again, with
// each bond's chain, SNAT and draw, and the lines it holds out still out. On the fake kernel,
// through the daemon's own converge (lock, record, plan, apply, verify).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../../src/cli/context.js';
import { silentLogger } from '../../../src/log.js';
import { describe as say } from '../../../src/plan/steps.js';
import { converge, type Mode } from '../../../src/watch/converge.js';
import { initialHealth, type LineHealth } from '../../../src/watch/health.js';
import { markOf, pcMarkOf } from '../../../src/bonds/weighted/ruleset.js';
import { cliWith } from '../../helpers/cli.js';
import { FakeKernel } from '../../helpers/fake-kernel.js';
import { tmpDir } from '../../helpers/fs.js';

const SETTINGS = [
  '[pcbond0]',
  'uplink.eth1 = 100.64.1.2 via 100.64.1.1 weight 2',
  'uplink.eth2 = 100.64.2.2 via 100.64.2.1',
  '[wbond0]',
  'slaves = eth3, eth4, eth5',
  'rates = eth3:2M, eth4:1M, eth5:2M',
  'address = 10.0.0.0/31',
  'routes = 198.51.100.0/24',
  '',
].join('\n');
const LINES = ['eth1', 'eth2', 'eth3', 'eth4', 'eth5'];

async function site() {
  const dir = await tmpDir();
  const settings = path.join(dir, 'wanbond.conf');
  await fs.writeFile(settings, SETTINGS);
  const kernel = new FakeKernel({
    links: ['eth0', ...LINES].map((name) => ({ name })),
    addrs: [
      { dev: 'eth0', cidr: '10.9.0.1/24' },
      { dev: 'eth1', cidr: '100.64.1.2/30' },
      { dev: 'eth2', cidr: '100.64.2.2/30' },
    ],
  });
  const opts = { confDir: path.join(dir, 'none'), settings, stateDir: path.join(dir, 'run') };
  const args = ['--conf-dir', opts.confDir, '--settings', settings, '--state-dir', opts.stateDir];
  const ctx = await buildContext(opts, silentLogger(), kernel);
  const io = { out: () => undefined, err: () => undefined };
  const none = () => undefined;
  /** One change of the daemon's, as it runs it. */
  const step = (health: ReadonlyMap<string, LineHealth>, mode: Mode = 'ring') =>
    converge(ctx, { mode, health, removed: [], io, log: silentLogger(), decided: none, hold: none, release: none });
  return { kernel, ctx, step, run: (...a: string[]) => cliWith({ runner: kernel }, ...a, ...args) };
}

/** The lines judged down (out of their draws); the others up. */
const health = (...down: string[]) =>
  new Map(
    LINES.map((n) => {
      const h = initialHealth(n, 0, undefined);
      return [n, down.includes(n) ? { ...h, state: 'down' as const } : h];
    }),
  );
const marks = (draw: number[] | undefined) => [...new Set(draw)].sort((x, y) => x - y);

describe('the daemon after a firewall reload (nft flush ruleset)', () => {
  it("rebuilds the table: both bonds' chains, SNAT, draws, the lines held out still out; down restores", async () => {
    const { kernel, ctx, step, run } = await site();
    const before = kernel.dump();
    assert.equal((await run('up')).code, 0);
    // The daemon holds eth2 out of pcbond0's draw and eth5 out of wbond0's.
    const held = health('eth2', 'eth5');
    const out = await step(held);
    assert.deepEqual([...out.decision.out].sort(), ['eth2', 'eth5']);
    const drawn = kernel.dump();
    assert.deepEqual(out.lost, [], 'nothing missing');

    await kernel.change({ file: 'nft', args: ['flush', 'ruleset'] });
    assert.equal(JSON.parse(kernel.dump()).nft, null);

    const r = await step(held);
    assert.deepEqual(r.decision.skipped, [], "both bonds are up: wanbond's record says so, whatever the kernel lost");
    assert.deepEqual(r.lost, ['table ip wanbond'], 'the periodic change sees the table gone');
    assert.deepEqual(r.done.map(say), ['nftables: create table ip wanbond']);
    assert.deepEqual(
      [...(kernel.nft?.chains.keys() ?? [])].sort(),
      ['mss', 'out', 'pcbond0', 'post', 'pre', 'wbond0'],
      'with the MSS clamp of per-connection uplinks (defect 13)',
    );
    const post = kernel.nft?.chains.get('post')?.rules.map((x) => JSON.stringify(x.expr)) ?? [];
    const snat = post.map((x) => /"snat":\{"addr":"([\d.]+)"/.exec(x)?.[1]);
    assert.deepEqual(snat, ['100.64.1.2', '100.64.2.2'], "SNAT to each uplink's address");
    const draws = (await ctx.observe()).policy?.nft?.draws ?? {};
    assert.deepEqual(marks(draws['pcbond0']), [pcMarkOf(0, 0)], "eth2 still out of pcbond0's draw");
    assert.deepEqual(marks(draws['wbond0']), [markOf(0, 0), markOf(0, 1)], "eth5 still out of wbond0's draw");
    assert.equal(kernel.dump(), drawn, 'the kernel as the daemon had it before the reload');
    const again = await step(held);
    assert.deepEqual(again.done, [], 'converged');
    assert.deepEqual(again.lost, []);

    // The rebuilt table is in wanbond's record: down removes it with the rest.
    const down = await run('down');
    assert.equal(down.code, 0, down.err);
    assert.equal(kernel.dump(), before);
  });

  it('a line back while the table is gone: the table written whole with it drawn, no draw into nothing', async () => {
    const { kernel, ctx, step, run } = await site();
    assert.equal((await run('up')).code, 0);
    await step(health('eth5'));
    await kernel.change({ file: 'nft', args: ['flush', 'ruleset'] });
    const r = await step(health());
    assert.deepEqual(r.done.filter((s) => s.kind.startsWith('nft')).map(say), ['nftables: create table ip wanbond']);
    const draws = (await ctx.observe()).policy?.nft?.draws ?? {};
    assert.deepEqual(marks(draws['wbond0']), [markOf(0, 0), markOf(0, 1), markOf(0, 2)], 'eth5 drawn again');
    assert.deepEqual(marks(draws['pcbond0']), [pcMarkOf(0, 0), pcMarkOf(0, 1)]);
  });

  it('nft flush table (chains left, rules gone): the check names what is gone; the table written whole', async () => {
    const { kernel, step, run } = await site();
    assert.equal((await run('up')).code, 0);
    const up = kernel.dump();
    await kernel.change({ file: 'nft', args: ['flush', 'table', 'ip', 'wanbond'] });
    const r = await step(health());
    assert.deepEqual(r.lost, ['the rules of chain pre', 'the rules of chain out', 'the rules of chain post']);
    assert.deepEqual(r.done.map(say), ['nftables: replace table ip wanbond']);
    assert.equal(kernel.dump(), up);
  });

  it('bonds taken down by `wanbond down` stay down: not in the record, the daemon leaves them alone', async () => {
    const { kernel, step, run } = await site();
    assert.equal((await run('up')).code, 0);
    assert.equal((await run('down')).code, 0);
    const before = kernel.dump();
    for (const mode of ['ring', 'bond'] as const) {
      const r = await step(health(), mode);
      assert.deepEqual(r.lost, [], 'nothing of theirs is missed');
      assert.deepEqual(
        r.decision.skipped.map((s) => s.teql),
        ['pcbond0', 'wbond0'],
      );
      assert.match(r.decision.skipped[0]?.why ?? '', /not in wanbond's record of this boot/);
    }
    assert.equal(kernel.dump(), before);
  });
});
