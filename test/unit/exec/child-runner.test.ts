import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { completedBeforeFailure } from '../../../src/apply/batch.js';
import { ChildRunner, routeOf } from '../../../src/exec/child-runner.js';
import { CommandError } from '../../../src/errors.js';
import { ExecaRunner, type Command, type Runner } from '../../../src/exec/runner.js';
import { silentLogger } from '../../../src/log.js';
import { fakeBatch } from '../../helpers/fake-batch.js';

const log = silentLogger();

test('what goes to a batch child: ip and tc with JSON reads, plain changes and their batches', () => {
  assert.deepEqual(routeOf({ file: 'ip', args: ['-j', 'link', 'show'] }, true), {
    key: 'ip -j',
    file: 'ip',
    options: ['-j'],
    lines: ['link show'],
  });
  assert.equal(routeOf({ file: 'tc', args: ['qdisc', 'del', 'dev', 'w1g1', 'root'] }, false)?.key, 'tc ');
  assert.deepEqual(
    routeOf({ file: 'tc', args: ['-batch', '-'], input: 'qdisc del dev a root\n\nqdisc add dev b root teql0\n' }, false)
      ?.lines,
    ['qdisc del dev a root', 'qdisc add dev b root teql0'],
  );
  assert.equal(routeOf({ file: 'ip', args: ['-j', '-s', '-batch', '-'], input: 'link show\n' }, true)?.key, 'ip -j -s');
  // Each of these keeps a process of its own.
  const own: [Command, boolean][] = [
    [{ file: 'ip', args: ['link', 'show'] }, true], // a read without JSON has no end to read
    [{ file: 'ip', args: ['-j', 'link', 'set', 'a', 'up'] }, false],
    [{ file: 'ip', args: ['-6', '-j', 'route', 'show'] }, true], // an option the children do not carry
    [{ file: 'ip', args: ['link', 'set', 'dev', 'a b', 'up'] }, false], // a word the batch reader would split
    [{ file: 'tc', args: ['-batch', '-'], input: 'qdisc del dev a root # gone\n' }, false],
    [{ file: 'tc', args: ['-batch', 'file'] }, false],
    [{ file: 'nft', args: ['-j', 'list', 'ruleset'] }, true],
    [{ file: 'tc', args: ['-j', 'qdisc', 'show', 'dev', 'w1g1'] }, true], // tc keeps the dev filter for good
    [{ file: 'ip', args: ['-j', '-batch', '-'], input: 'link show\nroute show table all\n' }, true],
    [{ file: 'sysctl', args: ['-w', 'a=1'] }, false],
  ];
  for (const [c, reading] of own) assert.equal(routeOf(c, reading), undefined, c.args.join(' '));
});

async function site(t: { after: (f: () => Promise<void>) => void }) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-children-'));
  const fake = await fakeBatch(dir);
  const inner: Runner & { seen: Command[] } = {
    seen: [],
    started: 7,
    async read(c) {
      this.seen.push(c);
      return 'inner';
    },
    async change(c) {
      this.seen.push(c);
    },
    readFile: async () => undefined,
  };
  const r = new ChildRunner(inner, log, { ip: fake, tc: fake });
  t.after(async () => {
    await r.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const lines = async () =>
    (await fs.readFile(path.join(dir, 'lines'), 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l !== '' && l !== 'wanbond-sentinel');
  return { r, inner, lines, dir };
}

test('a batch stops at its first failing line and names it as `-batch -` does', async (t) => {
  const { r, lines } = await site(t);
  const input = 'qdisc del dev a root\nfail qdisc add dev b root teql0\nqdisc add dev c root teql0\n';
  const e = await r.change({ file: 'tc', args: ['-batch', '-'], input }).then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof CommandError);
  assert.equal(e.exitCode, 1);
  assert.equal(completedBeforeFailure(e.stderr), 1, 'the apply counts the first line done');
  assert.deepEqual(e.failedLine, { no: 2, text: 'fail qdisc add dev b root teql0' });
  assert.match(e.message, /RTNETLINK answers: File exists/);
  assert.deepEqual(await lines(), ['qdisc del dev a root', 'fail qdisc add dev b root teql0'], 'line 3 never ran');
});

test('one failing command is the tool failing alone; reads come back whole; the rest runs as before', async (t) => {
  const { r, inner } = await site(t);
  await assert.rejects(
    r.change({ file: 'ip', args: ['fail', 'link', 'set', 'a', 'up'] }),
    (e) => e instanceof CommandError && e.exitCode === 2 && e.failedLine === undefined,
  );
  assert.equal(await r.read({ file: 'ip', args: ['-j', 'addr', 'show'] }), '[{"ifname":"lo","n":1}]\n');
  assert.equal(await r.read({ file: 'ip', args: ['link', 'show'] }), 'inner');
  assert.deepEqual(
    inner.seen.map((c) => c.args.join(' ')),
    ['link show'],
  );
  assert.equal(r.started, 7 + 2, "the inner runner's processes and one child per program and options");
});

test("against this machine's ip: the children read what a process of its own reads", async (t) => {
  const real = new ExecaRunner(log);
  const r = new ChildRunner(real, log);
  t.after(() => r.close());
  const names = (text: string) => (JSON.parse(text) as { ifname: string }[]).map((l) => l.ifname).sort();
  const cmd: Command = { file: 'ip', args: ['-j', 'link', 'show'] };
  const alone = await real.read(cmd);
  const before = real.started;
  assert.deepEqual(names(await r.read(cmd)), names(alone));
  assert.deepEqual(names(await r.read(cmd)), names(alone));
  assert.equal(r.started - before, 1, 'two reads, one process');
  const n = r.started;
  await assert.rejects(
    r.read({ file: 'ip', args: ['-j', 'link', 'show', 'dev', 'wanbond-none0'] }),
    (e) => e instanceof CommandError && /does not exist/.test(e.message),
  );
  assert.equal(r.started, n + 1, "a read of one device is not a child's (iproute2 keeps some list filters)");
  assert.deepEqual(names(await r.read(cmd)), names(alone));
});

test("a device the child's name cache holds stale is tried once more on a fresh child", async (t) => {
  const { r, lines } = await site(t);
  await r.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'a', 'root'] });
  const before = r.started;
  await r.change({
    file: 'tc',
    args: ['-batch', '-'],
    input: 'qdisc del dev b root\nstale qdisc add dev c root teql0\n',
  });
  assert.equal(r.started - before, 1, 'one fresh child');
  assert.deepEqual((await lines()).slice(-3), [
    'qdisc del dev b root',
    'stale qdisc add dev c root teql0',
    'stale qdisc add dev c root teql0',
  ]);
});

/** The kernel's links now ('name:ifindex ...'), as `ip -j link show` prints them, for the fake batch program. */
function writeLinks(dir: string, spec: string): Promise<void> {
  const all = spec.split(' ').map((x) => ({ ifname: x.split(':')[0], ifindex: Number(x.split(':')[1]) }));
  return fs.writeFile(path.join(dir, 'links'), `${JSON.stringify(all)}\n`);
}

test('a link read that shows a name or an ifindex moved renews every child', async (t) => {
  const { r, dir } = await site(t);
  const links = (spec: string) => writeLinks(dir, spec);
  const read = () => r.read({ file: 'ip', args: ['-j', 'link', 'show'] });
  const del = (dev: string) => r.change({ file: 'tc', args: ['qdisc', 'del', 'dev', dev, 'root'] });
  await links('w1g1:5 w2g1:6');
  await read();
  await del('w1g1');
  const n = r.started;
  await links('w1g1:5 w2g1:6 w3g1:7');
  await read();
  await del('w1g1');
  assert.equal(r.started, n, 'a new interface alone: the cache resolves new names itself');
  await links('w1g1:5 w3g1:7');
  await read();
  await links('w1g1:5 w2g1:9 w3g1:7');
  await read();
  await del('w2g1');
  assert.equal(r.started, n + 1, 'w2g1 recreated: the tc child is a new one (the reader, at its next read)');
  // Renamed: the index keeps its interface, under another name (tc would list it under the old one).
  await links('w1g1:5 w2g1:9 w3x:7');
  await r.read({ file: 'ip', args: ['-j', '-batch', '-'], input: 'link show\naddr show\n' });
  await del('w2g1');
  assert.equal(r.started, n + 3, 'a batch read that starts with the links counts too (a reader, then tc)');
});

test('warmed: the changing children start ahead, and again at each renewal; not after the close', async (t) => {
  const { r, dir } = await site(t);
  const links = (spec: string) => writeLinks(dir, spec);
  const read = () => r.read({ file: 'ip', args: ['-j', 'link', 'show'] });
  const changes = async () => {
    await r.change({ file: 'tc', args: ['qdisc', 'del', 'dev', 'w1g1', 'root'] });
    await r.change({ file: 'ip', args: ['link', 'set', 'dev', 'w1g1', 'up'] });
  };
  const base = r.started;
  r.warm();
  assert.equal(r.started, base + 2, 'ip and tc started before any change');
  await changes();
  assert.equal(r.started, base + 2, 'the changes started no process');
  await links('w1g1:5');
  await read();
  assert.equal(r.started, base + 3, 'the reader');
  await links('w1g1:6');
  await read();
  assert.equal(r.started, base + 5, 'w1g1 recreated: the changing children started again at once');
  await changes();
  assert.equal(r.started, base + 5);
  await r.close();
  assert.equal(r.started, base + 5, 'nothing started at the close');
});
