import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { completedBeforeFailure, groupSteps } from '../../../src/apply/batch.js';
import { parseTap } from '../../../src/lab/e2e.js';
import { inverse, shellQuote, toCommand, type Step } from '../../../src/plan/steps.js';
import { teardown } from '../../../src/plan/teardown.js';
import type { ObservedState } from '../../../src/state/types.js';
import { projectRoot } from '../../helpers/fs.js';

const steps: Step[] = [
  { kind: 'load-module', maxEqualizers: 1 },
  { kind: 'attach-slave', dev: 'wan0', teql: 'teql0' },
  { kind: 'attach-slave', dev: 'wan1', teql: 'teql0' },
  { kind: 'add-address', dev: 'teql0', cidr: '10.0.0.0/31' },
  { kind: 'set-link-up', dev: 'teql0' },
  {
    kind: 'replace-route',
    route: { to: 'default', dev: 'teql0' },
    was: { to: 'default', dev: 'eth0', gateway: '192.0.2.1', protocol: 'dhcp', metric: 0 },
  },
  { kind: 'set-sysctl', key: 'net.ipv4.conf.wan0.rp_filter', value: '0', was: '1' },
  { kind: 'set-sysctl', key: 'net.ipv4.conf.wan1.rp_filter', value: '0', was: '1' },
];

describe('steps', () => {
  it('every forward step has an inverse; undoing a value change twice gives the step back', () => {
    for (const s of steps) {
      const inv = inverse(s);
      assert.ok(inv, s.kind);
      if (s.kind === 'set-sysctl' || s.kind === 'set-mtu' || s.kind === 'attach-slave')
        assert.deepEqual(inverse(inv), s);
      else assert.throws(() => inverse(inv), /is itself an undo step/);
    }
    assert.deepEqual(toCommand(inverse(steps[5]!)!), {
      file: 'ip',
      args: ['route', 'replace', 'default', 'via', '192.0.2.1', 'dev', 'eth0', 'proto', 'dhcp'],
    });
  });

  it('groups consecutive ip/tc/sysctl commands into one process each', () => {
    const g = groupSteps(steps, true);
    assert.deepEqual(
      g.map((x) => [x.command?.file, x.command?.args.join(' '), x.steps.length]),
      [
        ['modprobe', 'sch_teql max_equalizers=1', 1],
        ['tc', '-batch -', 2],
        ['ip', '-batch -', 3],
        ['sysctl', '-q -w net/ipv4/conf/wan0/rp_filter=0 net/ipv4/conf/wan1/rp_filter=0', 2],
      ],
    );
    assert.equal(
      g[2]?.command?.input,
      'addr add 10.0.0.0/31 dev teql0 noprefixroute\nlink set dev teql0 up\nroute replace default dev teql0\n',
    );
    assert.equal(groupSteps(steps, false).length, steps.length);
    assert.equal(completedBeforeFailure('RTNETLINK answers: File exists\nCommand failed -:3\n'), 2);
    assert.equal(completedBeforeFailure('boom'), undefined);
  });

  it('teardown undoes only what the kernel still shows as wanbond made it', () => {
    const o: ObservedState = {
      links: [
        { name: 'teql0', ifindex: 5, flags: ['UP'], mtu: 1500, operstate: 'UNKNOWN' },
        { name: 'wan0', ifindex: 6, flags: ['UP'], mtu: 1500, operstate: 'UP' },
      ],
      addrs: [{ dev: 'teql0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true }],
      routes: [
        {
          dst: 'default',
          dev: 'teql0',
          gateway: undefined,
          protocol: undefined,
          scope: 'link',
          metric: undefined,
          type: undefined,
          spec: { to: 'default', dev: 'teql0', scope: 'link' },
        },
      ],
      qdiscs: [{ dev: 'wan0', kind: 'teql0', handle: '8001:', root: true }],
      sysctls: { 'net.ipv4.conf.wan0.rp_filter': '0', 'net.ipv4.conf.wan1.rp_filter': '2' },
      teql: { loaded: true, builtin: false },
      plug: true,
      wanrouterDevices: [],
      staleDrivers: [],
    };
    assert.deepEqual(
      teardown(steps, o).map((s) => toCommand(s)?.args.join(' ')),
      [
        '-q -w net/ipv4/conf/wan0/rp_filter=1', // wan1 was changed by the operator since: left alone
        'route replace default via 192.0.2.1 dev eth0 proto dhcp',
        'link set dev teql0 down',
        'addr del 10.0.0.0/31 dev teql0',
        'qdisc del dev wan0 root teql0', // wan1 is gone
        '-r sch_teql',
      ],
    );
  });

  it('shell quoting for --dry-run output', () => {
    assert.equal(shellQuote(['ip', 'link', 'set', 'dev', 'eth0.100', 'up']), 'ip link set dev eth0.100 up');
    assert.equal(shellQuote(['echo', "it's $x"]), `echo 'it'\\''s $x'`);
  });
});

describe('batches', () => {
  it("a command with a word iproute2's batch reader would reinterpret runs as its own process", async () => {
    const { batchSafe } = await import('../../../src/apply/batch.js');
    assert.equal(batchSafe({ file: 'ip', args: ['route', 'replace', 'default', 'dev', 'teql0'] }), true);
    for (const bad of ['eth0#1', "it's", '"x"', 'a\\', 'two words', ''])
      assert.equal(batchSafe({ file: 'ip', args: ['link', 'set', 'dev', bad, 'up'] }), false, bad);
    const mixed: Step[] = [
      { kind: 'set-link-up', dev: 'eth1' },
      { kind: 'del-route', route: { to: 'default', dev: 'eth2', protocol: 'we ird' } },
      { kind: 'set-link-up', dev: 'eth3' },
    ];
    const g = groupSteps(mixed, true);
    assert.deepEqual(
      g.map((x) => [x.command?.args[0], x.steps.length]),
      [
        ['link', 1],
        ['route', 1],
        ['link', 1],
      ],
    );
    assert.deepEqual(g[1]?.command?.args, ['route', 'del', 'default', 'dev', 'eth2', 'proto', 'we ird']);
  });

  it("a failing batch line is named with the kernel's message", async () => {
    const { CommandError } = await import('../../../src/errors.js');
    const e = new CommandError(
      ['tc', '-batch', '-'],
      1,
      'RTNETLINK answers: Invalid argument\nCommand failed -:2\n',
      'h',
      { input: 'qdisc replace dev a root teql0\nqdisc replace dev b root teql0\n' },
    );
    assert.equal(
      e.message,
      'command failed: tc -batch -, line 2 `qdisc replace dev b root teql0`: RTNETLINK answers: Invalid argument',
    );
    assert.deepEqual(e.failedLine, { no: 2, text: 'qdisc replace dev b root teql0' });
  });
});

describe('lab plumbing', () => {
  it("a flow that died shows as zero buckets up to the sender's end, never as missing ones", async () => {
    const { alignBuckets } = await import('../../../src/lab/traffic.js');
    assert.deepEqual(
      alignBuckets({ bytes: 30, buckets: [10, 20], bucketMs: 250, firstAt: 1000 }, { startAt: 990, endAt: 2000 }),
      [10, 20, 0, 0],
    );
    assert.deepEqual(
      alignBuckets({ bytes: 0, buckets: [], bucketMs: 250, firstAt: null }, { startAt: 1000, endAt: 1500 }),
      [0, 0],
    );
  });

  it('reads leaf results from node TAP output, suites left out', () => {
    const tap =
      'TAP version 13\n# Subtest: suite\n    # Subtest: a\n    ok 1 - a\n      ---\n      duration_ms: ' +
      '1\n      ...\n    # Subtest: b\n    not ok 2 - b\n      ---\n      duration_ms: 2\n      error: ' +
      "'boom'\n      ...\n    ok 3 - c # SKIP no lab\n    1..3\nnot ok 1 - suite\n  ---\n  duration_ms: " +
      "3\n  type: 'suite'\n  ...\n";
    assert.deepEqual(
      parseTap(tap).map((r) => [r.name, r.ok, r.skip]),
      [
        ['a', true, false],
        ['b', false, false],
        ['c', true, true],
      ],
    );
    assert.match(parseTap(tap)[1]!.detail, /error: 'boom'/);
  });
});

describe('pure modules', () => {
  const pure = [
    'src/config/lex.ts',
    'src/config/wanpipe.ts',
    'src/config/rc.ts',
    'src/config/site.ts',
    'src/config/fix.ts',
    'src/config/diff.ts',
    'src/config/settings.ts',
    'src/state/types.ts',
    'src/state/desired.ts',
    'src/observe/parse.ts',
    'src/plan/steps.ts',
    'src/plan/diff.ts',
    'src/plan/teardown.ts',
    'src/apply/batch.ts',
    'src/cli/table.ts',
    'src/cli/commands/status.ts',
    'src/lab/cpio.ts',
    'src/text.ts',
  ];
  for (const f of pure) {
    it(`${f} does no I/O`, async () => {
      const text = await fs.readFile(path.join(projectRoot, f), 'utf8');
      const imports = text.split('\n').filter((l) => /^import /.test(l) && !/^import type /.test(l));
      for (const l of imports)
        assert.doesNotMatch(
          l,
          /node:child_process|node:fs|'execa'|'pino'|exec\/runner\.js'|observe\/read\.js'/,
          `${f}: ${l}`,
        );
    });
  }
});
