// Kernel output as iproute2 6.1 prints it (captured on a real system), parsed into ObservedState.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  moduleLoaded,
  parseAddrs,
  parseLinks,
  parseQdiscs,
  parseRoutes,
  parseWanrouterStatus,
  splitJsonDocs,
} from '../../../src/observe/parse.js';
import { toSlashKey } from '../../../src/net/ipv4.js';

describe('observe/parse', () => {
  it('splits what ip -j -batch prints into one document per command, brackets inside strings kept', () => {
    // As iproute2 6.1 printed it for link show / addr show / route show in an empty namespace.
    // Unbalanced brackets and an escaped quote inside a string: only a splitter that knows strings finds 3 documents.
    const lo = '{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"qdisc":"noop","ifalias":"a ]] \\" [ b"}';
    const docs = splitJsonDocs(`[${lo}]\n[${lo.slice(0, -1)},"addr_info":[]}]\n[]\n`);
    assert.equal(docs.length, 3);
    assert.equal(parseLinks(docs[0] as string)[0]?.name, 'lo');
    assert.deepEqual(parseAddrs(docs[1] as string), []);
    assert.deepEqual(parseRoutes(docs[2] as string), []);
    assert.deepEqual(splitJsonDocs(''), []);
    assert.throws(() => splitJsonDocs('[{"a":1}'), /unbalanced brackets/);
  });

  it('ip -j -s link', () => {
    const l = parseLinks(
      '[{"ifindex":3,"link":"v1","ifname":"v0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],' +
        '"mtu":1500,"qdisc":"noqueue","operstate":"UP","linkmode":"DEFAULT","group":"default",' +
        '"txqlen":1000,"link_type":"ether","address":"72:b5:a2:f7:d8:81","broadcast":"ff:ff:ff:ff:ff:ff",' +
        '"stats64":{"rx":{"bytes":90,"packets":1,"errors":0,"dropped":2,"over_errors":0,"multicast":0},' +
        '"tx":{"bytes":180,"packets":3,"errors":4,"dropped":5,"carrier_errors":0,"collisions":0}}}]',
    );
    assert.deepEqual(l, [
      {
        name: 'v0',
        ifindex: 3,
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu: 1500,
        operstate: 'UP',
        stats: {
          rxBytes: 90,
          rxPackets: 1,
          rxErrors: 0,
          rxDropped: 2,
          txBytes: 180,
          txPackets: 3,
          txErrors: 4,
          txDropped: 5,
        },
      },
    ]);
    assert.deepEqual(parseLinks(''), []);
  });

  it('ip -j addr keeps IPv4 and noprefixroute', () => {
    const a = parseAddrs(
      '[{"ifindex":3,"ifname":"v0","addr_info":[{"family":"inet","local":"10.0.0.0","prefixlen":31,' +
        '"scope":"global","noprefixroute":true,"label":"v0"},{"family":"inet","local":"10.1.0.1",' +
        '"prefixlen":24,"scope":"global","label":"v0"},{"family":"inet6","local":"fe80::1","prefixlen":64,' +
        '"scope":"link"}]}]',
    );
    assert.deepEqual(a, [
      { dev: 'v0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true },
      { dev: 'v0', local: '10.1.0.1', prefixlen: 24, noprefixroute: false },
    ]);
  });

  it('ip -j route', () => {
    const r = parseRoutes(
      '[{"dst":"default","dev":"v0","scope":"link","flags":[]},{"dst":"10.1.0.0/24","dev":"v0",' +
        '"protocol":"kernel","scope":"link","prefsrc":"10.1.0.1","flags":[]},{"dst":"192.0.2.0/24",' +
        '"gateway":"10.1.0.2","dev":"v0","metric":5,"flags":[]}]',
    );
    assert.deepEqual(
      r.map((x) => [x.dst, x.dev, x.gateway, x.protocol, x.metric]),
      [
        ['default', 'v0', undefined, undefined, undefined],
        ['10.1.0.0/24', 'v0', undefined, 'kernel', undefined],
        ['192.0.2.0/24', 'v0', '10.1.0.2', undefined, 5],
      ],
    );
  });

  it('tc -j qdisc: a teql slave and a default qdisc', () => {
    assert.deepEqual(
      parseQdiscs(
        '[{"kind":"teql0","handle":"8001:","dev":"wan0","root":true,"refcnt":2,"options":{}},' +
          '{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}}]',
      ),
      [
        { dev: 'wan0', kind: 'teql0', handle: '8001:', root: true },
        { dev: 'lo', kind: 'noqueue', handle: '0:', root: true },
      ],
    );
  });

  it('garbage from a tool is a bug report, not a crash later', () => {
    assert.throws(() => parseLinks('Object "link" is unknown'), /cannot parse ip -j link output/);
  });

  it('/proc/modules and /proc/net/wanrouter/status', () => {
    assert.equal(
      moduleLoaded('sch_teql 16384 0 - Live 0xffffffffc0a1b000\nveth 40960 0 - Live 0x0\n', 'sch_teql'),
      true,
    );
    assert.equal(moduleLoaded('sch_teqlx 1 0 - Live 0x0\n', 'sch_teql'), false);
    assert.equal(moduleLoaded(undefined, 'sch_teql'), false);
    assert.deepEqual(
      parseWanrouterStatus(
        'Device name | Protocol | Station | Status        |\nwanpipe1    | AFT TE1  | N/A     | ' +
          'Connected     |\nwanpipe2    | CHDLC    | N/A     | Disconnected  |\n',
      ),
      [
        { name: 'wanpipe1', status: 'Connected' },
        { name: 'wanpipe2', status: 'Disconnected' },
      ],
    );
    assert.equal(parseWanrouterStatus(undefined), undefined);
  });

  it('sysctl keys of interfaces with dots', () => {
    assert.equal(toSlashKey('net.ipv4.conf.eth0.100.rp_filter'), 'net/ipv4/conf/eth0.100/rp_filter');
    assert.equal(toSlashKey('net.ipv4.ip_forward'), 'net/ipv4/ip_forward');
  });
});
