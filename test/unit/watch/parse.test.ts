// What `wanbond watch` reads. The `ip monitor` and `ping` lines were captured verbatim on a real system
// (iproute2 6.1, iputils 20221126, kernel 6.18, veth pairs wbt0..wbt5); the /proc/net/wanrouter files are
// built with printf from the formats in wanproc.c and sdla_8te1.c / sdla_te1.c, and from what the lab's
// wanrouter-sim writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseAddressLine,
  parseDeviceProc,
  parseMonitorLine,
  parsePingLine,
  routeDevOf,
} from '../../../src/watch/parse.js';

describe('watch/parse: ip -o monitor link', () => {
  it('a veth pair is created: peer first (@NONE), then the link (@peer), both down', () => {
    assert.deepEqual(
      parseMonitorLine(
        String.raw`5: wbt3@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \    ` +
          'link/ether 7e:d3:5f:f0:63:d4 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 5, name: 'wbt3', up: false, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        String.raw`6: wbt2@wbt3: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \    ` +
          'link/ether c6:7a:1d:d2:81:79 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 6, name: 'wbt2', up: false, carrier: false },
    );
  });

  it('set up: admin up without carrier, then carrier (LOWER_UP), including the NO-CARRIER+LOWER_UP moment', () => {
    assert.deepEqual(
      parseMonitorLine(
        '6: wbt2@wbt3: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state ' +
          String.raw`LOWERLAYERDOWN group default \    link/ether c6:7a:1d:d2:81:79 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 6, name: 'wbt2', up: true, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        '5: wbt3@wbt2: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state ' +
          String.raw`LOWERLAYERDOWN group default \    link/ether 7e:d3:5f:f0:63:d4 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 5, name: 'wbt3', up: true, carrier: true },
    );
    assert.deepEqual(
      parseMonitorLine(
        '6: wbt2@wbt3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default ' +
          String.raw`\    link/ether c6:7a:1d:d2:81:79 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 6, name: 'wbt2', up: true, carrier: true },
    );
  });

  it('rename: same ifindex, new name', () => {
    assert.deepEqual(
      parseMonitorLine(
        String.raw`8: wbt0@wbt1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \    ` +
          'link/ether 7a:9a:0d:e2:6b:84 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 8, name: 'wbt0', up: false, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        String.raw`8: wbt5@wbt1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \    ` +
          'link/ether 7a:9a:0d:e2:6b:84 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 8, name: 'wbt5', up: false, carrier: false },
    );
  });

  it('carrier loss (peer set down) and link set down', () => {
    // wbt1 (the peer) down: wbt5 stays admin up, loses LOWER_UP
    assert.deepEqual(
      parseMonitorLine(
        String.raw`7: wbt1@wbt0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \    ` +
          'link/ether c6:cd:bc:3d:e7:79 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 7, name: 'wbt1', up: false, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        '8: wbt5@wbt1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state ' +
          String.raw`LOWERLAYERDOWN group default \    link/ether 7a:9a:0d:e2:6b:84 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 8, name: 'wbt5', up: true, carrier: false },
    );
    // wbt5 itself set down (mtu change while down follows, same state)
    assert.deepEqual(
      parseMonitorLine(
        String.raw`8: wbt5@wbt1: <BROADCAST,MULTICAST> mtu 1400 qdisc noqueue state DOWN group default \    ` +
          'link/ether 7a:9a:0d:e2:6b:84 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 8, name: 'wbt5', up: false, carrier: false },
    );
  });

  it('peer in another namespace: name@ifN, link-netns at the end', () => {
    assert.deepEqual(
      parseMonitorLine(
        '11: wbt0@if10: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group ' +
          String.raw`default \    link/ether 62:53:4a:a2:3a:1a brd ff:ff:ff:ff:ff:ff link-netns wbtns`,
      ),
      { deleted: false, ifindex: 11, name: 'wbt0', up: true, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        '11: wbt0@if10: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default ' +
          String.raw`\    link/ether 62:53:4a:a2:3a:1a brd ff:ff:ff:ff:ff:ff link-netns wbtns`,
      ),
      { deleted: false, ifindex: 11, name: 'wbt0', up: true, carrier: true },
    );
  });

  it('deleted, and moved to another namespace (gone from this one)', () => {
    assert.deepEqual(
      parseMonitorLine(
        String.raw`Deleted 8: wbt5@NONE: <BROADCAST,MULTICAST> mtu 1400 qdisc noop state DOWN group default \    ` +
          'link/ether 7a:9a:0d:e2:6b:84 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: true, ifindex: 8, name: 'wbt5', up: false, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        String.raw`Deleted 12: wbtbr0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \    ` +
          'link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: true, ifindex: 12, name: 'wbtbr0', up: false, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        'Deleted 10: wbt1@wbt0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group ' +
          String.raw`default \    link/ether 62:2b:72:0d:31:ef brd ff:ff:ff:ff:ff:ff new-netns wbtns new-ifindex 10`,
      ),
      { deleted: true, ifindex: 10, name: 'wbt1', up: false, carrier: false },
    );
  });

  it('a link without @ (bridge), with "event FEATURE CHANGE"', () => {
    assert.deepEqual(
      parseMonitorLine(
        '12: wbtbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN group ' +
          String.raw`default event FEATURE CHANGE \    link/ether ce:50:0b:b1:8a:dd brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 12, name: 'wbtbr0', up: true, carrier: true },
    );
  });

  it('bridge-family port messages are not link events (a Deleted one comes with nomaster, the link stays)', () => {
    assert.equal(
      parseMonitorLine(
        String.raw`14: wbt2@wbt3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master wbtbr0 state UP \    ` +
          'link/ether aa:3e:63:78:27:4d',
      ),
      undefined,
    );
    assert.equal(
      parseMonitorLine(
        'Deleted 14: wbt2@wbt3: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 master wbtbr0 state ' +
          String.raw`LOWERLAYERDOWN \    link/ether aa:3e:63:78:27:4d`,
      ),
      undefined,
    );
    // while the link's own message about the same port is one
    assert.deepEqual(
      parseMonitorLine(
        '14: wbt2@wbt3: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue master wbtbr0 ' +
          String.raw`state LOWERLAYERDOWN group default \    link/ether aa:3e:63:78:27:4d brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 14, name: 'wbt2', up: true, carrier: false },
    );
  });

  it('ip -o -ts monitor link: the ISO timestamp prefix', () => {
    assert.deepEqual(
      parseMonitorLine(
        '[2026-11-26T11:51:11.726550] 8: wbt5@wbt1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 ' +
          String.raw`qdisc noqueue state LOWERLAYERDOWN group default \    link/ether 7a:9a:0d:e2:6b:84 brd ` +
          'ff:ff:ff:ff:ff:ff',
      ),
      { deleted: false, ifindex: 8, name: 'wbt5', up: true, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        '[2026-11-26T11:51:13.601470] Deleted 7: wbt1@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop ' +
          String.raw`state DOWN group default \    link/ether c6:cd:bc:3d:e7:79 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: true, ifindex: 7, name: 'wbt1', up: false, carrier: false },
    );
  });

  it('ip -o -t monitor link: the Timestamp line is not an event, the next line is', () => {
    assert.equal(parseMonitorLine('Timestamp: Thu Nov 26 11:51:01 2026 228473 usec'), undefined);
    assert.deepEqual(
      parseMonitorLine(
        String.raw`Deleted 5: wbt3@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \    ` +
          'link/ether 7e:d3:5f:f0:63:d4 brd ff:ff:ff:ff:ff:ff',
      ),
      { deleted: true, ifindex: 5, name: 'wbt3', up: false, carrier: false },
    );
  });

  it('ip -o monitor all: [LINK] tags are read, other objects and families are not events', () => {
    assert.deepEqual(
      parseMonitorLine(
        '[LINK]32: wbt0@wbt1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state ' +
          String.raw`LOWERLAYERDOWN group default \    link/ether a6:64:fd:ad:72:34 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: false, ifindex: 32, name: 'wbt0', up: true, carrier: false },
    );
    assert.deepEqual(
      parseMonitorLine(
        '[2026-11-26T11:53:58.386955] [LINK]Deleted 32: wbt0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc ' +
          String.raw`noop state DOWN group default \    link/ether a6:64:fd:ad:72:34 brd ff:ff:ff:ff:ff:ff`,
      ),
      { deleted: true, ifindex: 32, name: 'wbt0', up: false, carrier: false },
    );
    for (const other of [
      '[NETCONF]inet wbt1 forwarding off rp_filter off mc_forwarding off proxy_neigh off ' +
        'ignore_routes_with_linkdown off ',
      'inet6 wbt3 forwarding off mc_forwarding off proxy_neigh off ignore_routes_with_linkdown off ',
      String.raw`6: wbt2    inet 192.0.2.1/30 scope global wbt2\       valid_lft forever preferred_lft forever`,
      String.raw`Deleted 5: wbt3    inet6 fe80::7cd3:5fff:fef0:63d4/64 scope link tentative \       valid_lft ` +
        'forever preferred_lft forever',
      'multicast ff00::/8 dev wbt3 table local proto kernel metric 256 pref medium',
      'Deleted ff02::16 dev wbt2 lladdr 33:33:00:00:00:16 NOARP ',
      'Deleted inet wbt2 ',
      '',
    ])
      assert.equal(parseMonitorLine(other), undefined, other);
  });

  it('a name with @ in it keeps it, up to the link suffix', () => {
    assert.equal(
      parseMonitorLine(
        '34: wb@x@wbt1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group ' +
          String.raw`default qlen 1000\    link/ether 72:19:af:24:bf:42 brd ff:ff:ff:ff:ff:ff`,
      )?.name,
      'wb@x',
    );
  });
});

describe("watch/parse: ip -o monitor link address (issue 21: a per-connection uplink's address)", () => {
  // Captured with iproute2 6.1 on a veth pair: the links' lines as before, then the addresses'.
  const captured = [
    String.raw`3: wbt0@wbt1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \    ` +
      'link/ether 02:b7:c4:11:27:b6 brd ff:ff:ff:ff:ff:ff',
    String.raw`3: wbt0    inet 100.64.2.9/30 scope global wbt0\       valid_lft forever preferred_lft forever`,
    String.raw`3: wbt0    inet6 2001:db8::1/64 scope global nodad \       valid_lft forever preferred_lft forever`,
    String.raw`Deleted 3: wbt0    inet 100.64.2.9/30 scope global wbt0\       valid_lft forever preferred_lft forever`,
  ];

  it('an address added or deleted is an address event, never a link event; a link line is no address event', () => {
    assert.deepEqual(
      captured.map(parseMonitorLine).map((e) => e?.name),
      ['wbt0', undefined, undefined, undefined],
    );
    assert.deepEqual(captured.map(parseAddressLine), [
      undefined,
      { deleted: false, ifindex: 3, name: 'wbt0', family: 'inet', cidr: '100.64.2.9/30' },
      { deleted: false, ifindex: 3, name: 'wbt0', family: 'inet6', cidr: '2001:db8::1/64' },
      { deleted: true, ifindex: 3, name: 'wbt0', family: 'inet', cidr: '100.64.2.9/30' },
    ]);
    assert.equal(parseAddressLine(`[ADDR]${captured[1]!}`)?.cidr, '100.64.2.9/30', 'as ip monitor all tags it');
  });
});

describe('watch/parse: ping -n -O', () => {
  it('replies, with and without -D, fast and slow', () => {
    assert.deepEqual(parsePingLine('64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.202 ms'), {
      kind: 'reply',
      seq: 1,
      rttMs: 0.202,
    });
    assert.deepEqual(parsePingLine('64 bytes from 198.51.100.2: icmp_seq=9 ttl=64 time=2028 ms'), {
      kind: 'reply',
      seq: 9,
      rttMs: 2028,
    });
    assert.deepEqual(parsePingLine('[1795693904.894522] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.010 ms'), {
      kind: 'reply',
      seq: 1,
      rttMs: 0.01,
    });
    assert.deepEqual(parsePingLine('[1795693938.208574] 64 bytes from 198.51.100.2: icmp_seq=18 ttl=64 time=192 ms'), {
      kind: 'reply',
      seq: 18,
      rttMs: 192,
    });
    // not captured here (needs a duplicating path): iputils appends (DUP!)
    assert.deepEqual(parsePingLine('64 bytes from 198.51.100.2: icmp_seq=7 ttl=64 time=12.5 ms (DUP!)'), {
      kind: 'reply',
      seq: 7,
      rttMs: 12.5,
    });
  });

  it('no answer yet (-O) is pending, with and without -D', () => {
    assert.deepEqual(parsePingLine('no answer yet for icmp_seq=9'), { kind: 'pending', seq: 9 });
    assert.deepEqual(parsePingLine('[1795693936.384265] no answer yet for icmp_seq=9'), { kind: 'pending', seq: 9 });
    assert.deepEqual(parsePingLine('[1795693916.928622] no answer yet for icmp_seq=20'), { kind: 'pending', seq: 20 });
  });

  it('From X icmp_seq=N Destination Host Unreachable is an error, the line kept whole', () => {
    assert.deepEqual(parsePingLine('From 198.51.100.1 icmp_seq=1 Destination Host Unreachable'), {
      kind: 'error',
      text: 'From 198.51.100.1 icmp_seq=1 Destination Host Unreachable',
    });
    assert.deepEqual(parsePingLine('[1795694016.800415] From 198.51.100.1 icmp_seq=12 Destination Host Unreachable'), {
      kind: 'error',
      text: 'From 198.51.100.1 icmp_seq=12 Destination Host Unreachable',
    });
    // not captured here (iputils pr_icmph texts)
    assert.deepEqual(parsePingLine('From 10.9.0.1 icmp_seq=3 Time to live exceeded'), {
      kind: 'error',
      text: 'From 10.9.0.1 icmp_seq=3 Time to live exceeded',
    });
    assert.equal(parsePingLine('From 10.9.0.1: icmp_seq=4 Redirect Host(New nexthop: 10.9.0.2)'), undefined);
  });

  it('ping: ... on stderr is an error', () => {
    // captured: starting on a link that is down, or missing
    assert.deepEqual(parsePingLine('ping: connect: Network is unreachable'), {
      kind: 'error',
      text: 'ping: connect: Network is unreachable',
    });
    assert.deepEqual(parsePingLine('ping: SO_BINDTODEVICE wbt0: No such device'), {
      kind: 'error',
      text: 'ping: SO_BINDTODEVICE wbt0: No such device',
    });
    // not printed by iputils 20221126 here (its sendto failed with ENETUNREACH and ENODEV silently), the
    // format older iputils and error(3) give
    assert.deepEqual(parsePingLine('ping: sendmsg: Network is down'), {
      kind: 'error',
      text: 'ping: sendmsg: Network is down',
    });
    assert.deepEqual(parsePingLine('[1795693940.668300] ping: sendmsg: No such device'), {
      kind: 'error',
      text: 'ping: sendmsg: No such device',
    });
  });

  it('banner, statistics and blank lines are not events', () => {
    for (const other of [
      'PING 198.51.100.2 (198.51.100.2) from 198.51.100.1 wbt0: 56(84) bytes of data.',
      'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.',
      '',
      '--- 198.51.100.2 ping statistics ---',
      '45 packets transmitted, 30 received, 33.3333% packet loss, time 8973ms',
      '21 packets transmitted, 0 received, +12 errors, 100% packet loss, time 4878ms',
      'rtt min/avg/max/mdev = 0.008/369.645/2028.043/623.070 ms, pipe 10',
      'pipe 12',
      '64 bytes from 198.51.100.2: icmp_seq=3 ttl=64', // payload under 16 bytes: no time, not captured
    ])
      assert.equal(parsePingLine(other), undefined, other);
  });

  it('a captured run: carrier lost at seq 9, replies come back late', () => {
    const run = [
      'PING 198.51.100.2 (198.51.100.2) from 198.51.100.1 wbt0: 56(84) bytes of data.',
      '64 bytes from 198.51.100.2: icmp_seq=8 ttl=64 time=0.059 ms',
      'no answer yet for icmp_seq=9',
      'no answer yet for icmp_seq=10',
      '64 bytes from 198.51.100.2: icmp_seq=9 ttl=64 time=2028 ms',
      '64 bytes from 198.51.100.2: icmp_seq=10 ttl=64 time=1824 ms',
      '64 bytes from 198.51.100.2: icmp_seq=19 ttl=64 time=0.051 ms',
    ].map(parsePingLine);
    assert.deepEqual(run, [
      undefined,
      { kind: 'reply', seq: 8, rttMs: 0.059 },
      { kind: 'pending', seq: 9 },
      { kind: 'pending', seq: 10 },
      { kind: 'reply', seq: 9, rttMs: 2028 },
      { kind: 'reply', seq: 10, rttMs: 1824 },
      { kind: 'reply', seq: 19, rttMs: 0.051 },
    ]);
  });
});

describe('watch/parse: /proc/net/wanrouter/wanpipeN', () => {
  const none = { RED: false, AIS: false, LOF: false, LOS: false, RAI: false, ALOS: false };

  it('AFT DS-chip T1 (wanproc.c stats, sdla_8te1.c alarms and PMON)', () => {
    const text = [
      '         total rx packets:    1234567          total tx packets:    7654321',
      '           total rx bytes: 98765432109            total tx bytes:         12',
      '           bad rx packets:          3        packet tx problems:          0',
      '        rx frames dropped:          4         tx frames dropped:          5',
      '     multicast rx packets:          0             tx collisions:          0',
      '         rx length errors:          6         rx overrun errors:          7',
      '               CRC errors:     284284              abort frames:         17',
      '          rx fifo overrun:          0          rx missed packet:          1',
      '        aborted tx frames:          2',
      '=============================== T1 Alarms ===============================',
      '                     ALOS:        OFF                       LOS:         ON',
      '                      RED:         ON                       AIS:        OFF',
      '                      RAI:        OFF                       LOF:         ON',
      '=========================== T1 PMON counters ============================',
      '      Line Code Violation:         12                Bit Errors:         34',
      '      Out of Frame Errors:         56                          :          0',
      '',
    ].join('\n');
    assert.deepEqual(parseDeviceProc(text), {
      alarms: { RED: true, AIS: false, LOF: true, LOS: true, RAI: false, ALOS: false },
      counters: {
        'total rx packets': 1234567,
        'total tx packets': 7654321,
        'total rx bytes': 98765432109,
        'total tx bytes': 12,
        'bad rx packets': 3,
        'packet tx problems': 0,
        'rx frames dropped': 4,
        'tx frames dropped': 5,
        'multicast rx packets': 0,
        'tx collisions': 0,
        'rx length errors': 6,
        'rx overrun errors': 7,
        'CRC errors': 284284,
        'abort frames': 17,
        'rx fifo overrun': 0,
        'rx missed packet': 1,
        'aborted tx frames': 2,
        'Line Code Violation': 12,
        'Bit Errors': 34,
        'Out of Frame Errors': 56,
      },
    });
  });

  it('what the lab wanrouter-sim writes, line down and line up', () => {
    assert.deepEqual(
      parseDeviceProc(
        '=============================== T1 Alarms ===============================\n                     ' +
          'ALOS:         ON                       LOS:         ON\n                      RED:         ON   ' +
          '                    AIS:        OFF\n                      RAI:        OFF                      ' +
          ' LOF:         ON\n',
      ),
      { alarms: { RED: true, AIS: false, LOF: true, LOS: true, RAI: false, ALOS: true }, counters: {} },
    );
    assert.deepEqual(
      parseDeviceProc(
        '=============================== T1 Alarms ===============================\n                     ' +
          'ALOS:        OFF                       LOS:        OFF\n                      RED:        OFF   ' +
          '                    AIS:        OFF\n                      RAI:        OFF                      ' +
          ' LOF:        OFF\n',
      ),
      { alarms: none, counters: {} },
    );
  });

  it('older PMC chip (sdla_te1.c): YEL is RAI on T1; E1 lists no RAI and pads with an empty pair', () => {
    assert.deepEqual(
      parseDeviceProc(
        [
          '=============================== T1 Alarms ===============================',
          '                     ALOS:        OFF                       LOS:        OFF',
          '                      RED:        OFF                       AIS:        OFF',
          '                      YEL:         ON                       LOF:        OFF',
          '=========================== T1 PMON counters ============================',
          '        Framing Bit Error:          1       Line Code Violation:          2',
          '      Out of Frame Errors:          3                Bit Errors:          4',
          '',
        ].join('\n'),
      ),
      {
        alarms: { ...none, RAI: true },
        counters: { 'Framing Bit Error': 1, 'Line Code Violation': 2, 'Out of Frame Errors': 3, 'Bit Errors': 4 },
      },
    );
    assert.deepEqual(
      parseDeviceProc(
        [
          '=============================== E1 Alarms ===============================',
          '                     ALOS:        OFF                       LOS:        OFF',
          '                      RED:        OFF                       AIS:         ON',
          '                      LOF:        OFF                          :           ',
          '',
        ].join('\n'),
      ),
      { alarms: { ...none, AIS: true }, counters: {} },
    );
  });

  it('no alarm block: stats only, a device not started, an empty file', () => {
    assert.deepEqual(
      parseDeviceProc(
        '               CRC errors:          9              abort frames:          1\n        aborted tx ' +
          'frames:          0\n',
      ),
      { alarms: undefined, counters: { 'CRC errors': 9, 'abort frames': 1, 'aborted tx frames': 0 } },
    );
    assert.deepEqual(parseDeviceProc('device is not configured!\n'), { alarms: undefined, counters: {} });
    assert.deepEqual(parseDeviceProc('Device is busy!\n'), { alarms: undefined, counters: {} });
    assert.deepEqual(parseDeviceProc(''), { alarms: undefined, counters: {} });
  });

  it('the device of an ip monitor route line, and nothing for a link or address line', () => {
    assert.equal(routeDevOf('default via 10.0.0.1 dev teql0 metric 10 '), 'teql0');
    assert.equal(routeDevOf('Deleted 198.51.100.0/24 dev teql0 scope link '), 'teql0');
    assert.equal(routeDevOf('[ROUTE]10.0.0.0/31 dev teql0 proto kernel scope link src 10.0.0.0 '), 'teql0');
    assert.equal(routeDevOf('local 10.0.0.0 dev teql0 table local proto kernel scope host src 10.0.0.0 '), 'teql0');
    assert.equal(routeDevOf('3: eth2    inet 100.64.2.9/30 scope global eth2\\       valid_lft forever'), undefined);
    assert.equal(routeDevOf('4: w1g1: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1500 qdisc teql0 state UNKNOWN'), undefined);
    assert.equal(routeDevOf('fe80::/64 dev eth1 proto kernel metric 256 pref medium'), undefined);
  });
});
