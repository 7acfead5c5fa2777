import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSettings } from '../../../src/config/settings.js';
import { networkOf } from '../../../src/net/ipv4.js';
import { ConfigError } from '../../../src/errors.js';

const err = (text: string) => {
  try {
    parseSettings('/etc/wanbond/wanbond.conf', text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('no error');
};

describe('settings', () => {
  it('defaults without bond sections', () => {
    const s = parseSettings('f', '[global]\nslave_wait = 500ms\nconfig_fix = no\n');
    assert.deepEqual(
      [s.slaveWaitMs, s.configFix, s.bonds.map((b) => [b.name, b.address, b.routes, b.rpFilter])],
      [500, false, [['teql0', '10.0.0.0/31', ['default'], 0]]],
    );
  });

  it("an empty settings file is refused with a settings file's hint, not a wanpipe file's (issue 22 defect 12)", () => {
    for (const text of ['', '\n\n', ' \r\n']) {
      try {
        parseSettings('/etc/wanbond/wanbond.conf', text);
        assert.fail('an empty file was taken');
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.message, '/etc/wanbond/wanbond.conf:1: file is empty');
        assert.match(e.hint, /write the bonds \(e\.g\. '\[teql0\]'/);
        assert.match(e.hint, /or remove \/etc\/wanbond\/wanbond\.conf to use the built-in default/);
        assert.doesNotMatch(e.hint, /\[devices\]/);
      }
    }
  });

  it('several bonds, prefixes, loose rp_filter, mtu', () => {
    const s = parseSettings(
      'f',
      '[teql0]\nslaves = eth1, eth2 ; two DSL routers\nrp_filter = 2\nmtu = 1492\n[teql1]\nslaves = ' +
        'wan0\naddress = 10.0.1.0/31\nroutes = 192.0.2.0/24, 198.51.100.0/25\n',
    );
    assert.deepEqual(
      s.bonds.map((b) => [b.name, b.slaves, b.address, b.routes, b.rpFilter, b.mtu]),
      [
        ['teql0', ['eth1', 'eth2'], '10.0.0.0/31', ['default'], 2, 1492],
        ['teql1', ['wan0'], '10.0.1.0/31', ['192.0.2.0/24', '198.51.100.0/25'], 0, undefined],
      ],
    );
  });

  it('[watch]: timings, damping and per-line probe targets', () => {
    const s = parseSettings(
      'f',
      '[watch]\nprobe_interval = 100ms\ndown_after = 1s\nhold_down = 10s\nhalf_life = 60s\nsuppress = ' +
        '3000\ndown_loss = 40%\nprobe.wan0 = 192.0.2.2\nprobe.eth2 = none\n',
    );
    assert.deepEqual(
      [
        s.watch.health.probeIntervalMs,
        s.watch.health.downAfterMs,
        s.watch.health.holdDownMs,
        s.watch.health.halfLifeMs,
        s.watch.health.suppressAt,
        s.watch.health.downLoss,
        s.watch.health.suspectAfterMs,
      ],
      [100, 1000, 10_000, 60_000, 3000, 0.4, 400],
    );
    assert.deepEqual(s.watch.probes, { wan0: '192.0.2.2', eth2: null });
    assert.equal(parseSettings('f', '[global]\n').watch.health.downAfterMs, 700);
  });

  it('[watch] metrics: loopback port 15440 by default, off, IPv4 and bracketed IPv6 addresses', () => {
    const m = (v: string) => parseSettings('f', `[watch]\nmetrics = ${v}\n`).watch.metrics;
    assert.deepEqual(parseSettings('f', '[global]\n').watch.metrics, { host: '127.0.0.1', port: 15440 });
    assert.deepEqual(m('off'), null);
    assert.deepEqual(m('OFF'), null);
    assert.deepEqual(m('[::1]:9737'), { host: '::1', port: 9737 });
    assert.deepEqual(m('[2001:DB8::1]:80'), { host: '2001:db8::1', port: 80 });
    assert.deepEqual(m('[::]:15440'), { host: '::', port: 15440 });
    assert.deepEqual(m('0.0.0.0:9737'), { host: '0.0.0.0', port: 9737 });
    assert.deepEqual(m('192.0.2.1:65535'), { host: '192.0.2.1', port: 65535 });
    assert.deepEqual(m('127.0.0.1:1 ; a comment'), { host: '127.0.0.1', port: 1 });
  });

  it('networkOf', () => {
    assert.equal(networkOf('10.0.0.1/31'), '10.0.0.0/31');
    assert.equal(networkOf('192.0.2.77/24'), '192.0.2.0/24');
    assert.equal(networkOf('0.0.0.0/0'), '0.0.0.0/0');
  });

  const cases: [string, string, string][] = [
    [
      'unknown section',
      '[bond0]\nslaves = eth1\n',
      '1: unknown section [bond0]: expected [global], [watch] or a bond named [teql0], [teql1], ... ' +
        '(TEQL), [wbond0], ... (weighted) or [pcbond0], ... (per-connection)',
    ],
    [
      'unknown key',
      '[teql0]\nslave = eth1\n',
      "2: unknown setting 'slave' in [teql0]: expected one of slaves, address, gateway, routers, routes, " +
        'rp_filter, mtu, mode, rates',
    ],
    [
      'bad address',
      '[teql0]\naddress = 10.0.0.300/31\n',
      "2: address: expected an IPv4 address with prefix length such as 10.0.0.0/31, found '10.0.0.300/31'",
    ],
    [
      'host bits in a route',
      '[teql0]\nroutes = 192.0.2.1/24\n',
      "2: routes: expected 'default' or a network prefix such as 192.0.2.0/24, found '192.0.2.1/24'",
    ],
    ['strict rp_filter', '[teql0]\nrp_filter = 1\n', "2: rp_filter: expected 0 (off) or 2 (loose), found '1'"],
    [
      'a slave in two bonds',
      '[teql0]\nslaves = eth1\n[teql1]\nslaves = eth1\n',
      '4: slaves: eth1 is already a slave of teql0',
    ],
    [
      'a hostile interface name',
      '[teql0]\nslaves = eth1, $(reboot)\n',
      "2: slaves: invalid interface name '$(reboot)'",
    ],
    ['a teql as slave', '[teql0]\nslaves = teql1\n', "2: slaves: invalid interface name 'teql1'"],
    [
      'two default routes',
      '[teql0]\nslaves = a\n[teql1]\nslaves = b\nroutes = default\n',
      '3: teql1: a default route is already set on teql0',
    ],
    [
      'several bonds without slaves',
      '[teql0]\n[teql1]\nslaves = b\n',
      "1: [teql0] has no 'slaves =' line: with several bonds each must list its slaves",
    ],
    ['mtu out of range', '[teql0]\nmtu = 9\n', "2: mtu: expected 68 to 65535, found '9'"],
    [
      'bad duration',
      '[global]\nslave_wait = soon\n',
      "2: slave_wait: expected a duration such as 10s or 500ms, found 'soon'",
    ],
    [
      'a watch duration without unit',
      '[watch]\ndown_after = 700\n',
      "2: down_after: expected a duration with its unit such as 700ms or 3s, found '700'",
    ],
    [
      'suspect after down',
      '[watch]\nsuspect_after = 900ms\n',
      '2: suspect_after (900 ms) must be shorter than down_after (700 ms)',
    ],
    ['reuse above suppress', '[watch]\nreuse = 2500\n', '2: reuse (2500) must be below suppress (2000)'],
    [
      'a probe target that is no address',
      '[watch]\nprobe.wan0 = far-end\n',
      "2: probe.wan0: expected the IPv4 address of the line's far end, or none, found 'far-end'",
    ],
    [
      'a hostile probe interface',
      '[watch]\nprobe.$(reboot) = 192.0.2.2\n',
      "2: probe.$(reboot): '$(reboot)' is not an interface name",
    ],
    [
      'an unknown watch key',
      '[watch]\nholddown = 3s\n',
      "2: unknown setting 'holddown' in [watch]: expected one of probe_interval, probe_timeout, never_answered, " +
        'suspect_after, down_after, hold_down, half_life, alarm_poll, flap_penalty, suppress, reuse, ' +
        'max_penalty, loss_window, suspect_loss, down_loss, metrics, probe.<ifname>',
    ],
    [
      'metrics: a port alone',
      '[watch]\nmetrics = 15440\n',
      "2: metrics: expected an address and a port such as 127.0.0.1:15440, found only '15440'",
    ],
    [
      'metrics: a host name',
      '[watch]\nmetrics = localhost:15440\n',
      "2: metrics: 'localhost' is a name: an IPv4 or IPv6 address is needed (the daemon never waits for a resolver)",
    ],
    [
      'metrics: no port',
      '[watch]\nmetrics = 127.0.0.1\n',
      "2: metrics: expected address:port such as 127.0.0.1:15440 or [::1]:15440, or off, found '127.0.0.1'",
    ],
    ['metrics: port 0', '[watch]\nmetrics = 127.0.0.1:0\n', '2: metrics: port 0 is out of range'],
    ['metrics: port above 65535', '[watch]\n\nmetrics = 127.0.0.1:65536\n', '3: metrics: port 65536 is out of range'],
    [
      'metrics: a bad IPv4 address',
      '[watch]\nmetrics = 127.0.0.300:15440\n',
      "2: metrics: '127.0.0.300' is not an IPv4 address",
    ],
    [
      'metrics: IPv6 without brackets',
      '[watch]\nmetrics = ::1:15440\n',
      "2: metrics: an IPv6 address must be in brackets before its port, found '::1:15440'",
    ],
    ['metrics: a bad IPv6 address', '[watch]\nmetrics = [::g]:15440\n', "2: metrics: '::g' is not an IPv6 address"],
    [
      'metrics: an IPv6 zone',
      '[watch]\nmetrics = [fe80::1%eth0]:15440\n',
      "2: metrics: 'fe80::1%eth0' is not an IPv6 address",
    ],
    [
      'metrics: a URL',
      '[watch]\nmetrics = http://127.0.0.1:15440/metrics\n',
      '2: metrics: expected address:port such as 127.0.0.1:15440 or [::1]:15440, or off, found ' +
        "'http://127.0.0.1:15440/metrics'",
    ],
    [
      'metrics: yes',
      '[watch]\nmetrics = yes\n',
      "2: metrics: expected address:port such as 127.0.0.1:15440 or [::1]:15440, or off, found 'yes'",
    ],
    [
      'too few equalizers',
      '[global]\nmax_equalizers = 1\n[teql0]\nslaves = a\n[teql1]\nslaves = b\n',
      '2: max_equalizers = 1 is too few for teql1',
    ],
  ];
  for (const [name, text, msg] of cases)
    it(`error: ${name}`, () => assert.equal(err(text), `/etc/wanbond/wanbond.conf:${msg}`));

  it('a metrics error says how to write it', () => {
    try {
      parseSettings('f', '[watch]\nmetrics = localhost:15440\n');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(
        e.hint,
        "write e.g. 'metrics = 127.0.0.1:15440' (an IPv4 address, or an IPv6 address in brackets such as " +
          "[::1]:15440), or 'metrics = off'",
      );
    }
    try {
      parseSettings('f', '[watch]\nmetrics = 127.0.0.1:99999\n');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.hint, "write a port from 1 to 65535, e.g. 'metrics = 127.0.0.1:15440'");
    }
  });
});

describe('settings: weighted bonds', () => {
  it('[wbondN] is a weighted bond; mode = weighted may say so; rates override per line', () => {
    const s = parseSettings(
      'f',
      '[wbond0]\nmode = weighted\nslaves = w1g1ppp, w2g1ppp\nrates = w2g1ppp:768k\n[teql1]\nslaves = ' +
        'eth2, eth3\naddress = 10.0.1.0/31\n',
    );
    assert.deepEqual(
      s.bonds.map((b) => [b.name, b.kind, b.index, b.rates]),
      [
        ['wbond0', 'weighted', 0, { w2g1ppp: 768_000 }],
        ['teql1', 'teql', 1, {}],
      ],
    );
    assert.deepEqual(parseSettings('f', '[wbond3]\nslaves = a, b\nrates = a:1.536M, b:64000\n').bonds[0]?.rates, {
      a: 1_536_000,
      b: 64_000,
    });
  });

  it('a weighted bond does not count toward max_equalizers', () => {
    assert.equal(
      parseSettings('f', '[global]\nmax_equalizers = 1\n[wbond5]\nslaves = a, b\n').bonds[0]?.kind,
      'weighted',
    );
  });

  it('mistakes name the line and the fix', () => {
    assert.match(err('[teql0]\nmode = weighted\n'), /wanbond\.conf:2: mode = weighted in \[teql0\]/);
    assert.match(err('[wbond0]\nmode = teql\n'), /mode = teql in \[wbond0\]/);
    assert.match(err('[wbond0]\nmode = fast\n'), /mode: expected teql, weighted or per-connection/);
    assert.match(
      err('[teql0]\nslaves = a, b\nrates = a:1M\n'),
      /rates in \[teql0\]: TEQL hands every line the same number/,
    );
    assert.match(err('[wbond0]\nslaves = a, b\nrates = c:1M\n'), /c is not a slave of \[wbond0\]/);
    assert.match(err('[wbond0]\nslaves = a, b\nrates = a:fast\n'), /rates: expected line:rate/);
    assert.match(err('[wbond0]\nslaves = a, b\nrates = a:1k\n'), /rates: expected line:rate/, 'below 8 kbit/s');
    assert.match(err('[bond0]\n'), /unknown section \[bond0\]/);
  });

  it('what two bonds cannot share, and an MTU a weighted bond cannot set, are errors at their line', () => {
    assert.match(
      err('[teql0]\nslaves = a\n[wbond0]\nslaves = b\nroutes = none\n'),
      /^\/etc\/wanbond\/wanbond.conf:3: \[wbond0\]: address 10\.0\.0\.0\/31 is already \[teql0\]'s/,
    );
    assert.match(
      err('[teql0]\nslaves = a\nroutes = 192.0.2.0/24\n[teql1]\nslaves = b\nroutes = 192.0.2.0/24\n'),
      /:4: \[teql1\]: the route 192\.0\.2\.0\/24 is already another bond's/,
    );
    assert.match(
      err('[wbond0]\nslaves = a, b\nmtu = 1400\n'),
      /:3: mtu in \[wbond0\]: a weighted bond sends each packet by one line as it is/,
    );
    assert.doesNotThrow(() =>
      parseSettings(
        'f',
        '[teql0]\nslaves = a\nmtu = 1400\n[wbond1]\nslaves = b, c\naddress = 10.0.1.0/31\nroutes = 192.0.2.0/24\n',
      ),
    );
  });
});
