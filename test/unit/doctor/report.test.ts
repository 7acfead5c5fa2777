// The report: the router's findings first, then each bond; severity first; each finding as what,
// why, fix (one command a line) and what it interrupts; notes in one line; exit codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLinkKinds } from '../../../src/doctor/gather.js';
import { buildReport, exitCodeOf, formatReport } from '../../../src/doctor/report.js';
import { healthy } from './fixture.js';

const base = await healthy();

describe('doctor report', () => {
  it('groups by bond, severity first, what / why / fix / interrupts', () => {
    const x = structuredClone(base);
    x.daemon = { running: false, why: 'no watch daemon has run since boot (wanbond watch)', file: undefined };
    Object.assign(x.observed.qdiscs.find((q) => q.dev === 'w2g1ppp')!, { kind: 'pfifo_fast', handle: '0:' });
    x.observed.staleDrivers = [
      {
        device: 'wanpipe3',
        driver: { w3g1ppp: 'NO' },
        since: '2026-11-26T09:00:00.000Z',
        why: 'written while running',
      },
    ];
    x.observed.sysctls['net.ipv4.conf.w4g1ppp.rp_filter'] = '1';
    const r = buildReport(x, new Date('2026-11-26T10:00:00Z'));
    assert.equal(r.worst, 'error');
    assert.equal(exitCodeOf(r), 1);
    assert.deepEqual(
      r.findings.map((f) => f.id),
      ['watch.not-running'],
    );
    assert.deepEqual(
      r.bonds[0]?.findings.map((f) => [f.id, f.line ?? '']),
      [
        ['bond.slave-not-attached', 'w2g1ppp'],
        ['config.stale-driver', ''],
        ['sysctl.rp-filter', 'w4g1ppp'],
      ],
    );
    assert.equal(r.bonds[0]?.ok, false);
    const text = formatReport(r);
    assert.match(
      text,
      new RegExp(
        String.raw`^this router: 1 warning\n {2}WARNING {2}the watch daemon is not running: no watch ` +
          String.raw`daemon has run since boot \(wanbond watch\) {2}\[watch\.not-running\]\n {7}why: .*\n` +
          String.raw` {7}fix: # once, if systemd does not know the unit: wanbond install-units\n` +
          String.raw` {12}systemctl enable --now wanbond-watch\.service\n\nteql0: 3 errors\n`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        ' {2}ERROR {2}.*wanpipe3: the file says DYN_INTR_CFG = YES for ' +
          String.raw`w3g1ppp.*\[config\.stale-driver\]\n {7}why: a wanpipe driver reads its configuration ` +
          String.raw`only when its device starts.*\n {7}fix: wanbond up\n` +
          String.raw` {7}interrupts: wanpipe3's lines \(w3g1ppp\) leave the bond while the device restarts`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        String.raw` {2}ERROR {2}reverse-path filtering is strict on w4g1ppp \(all = 0, w4g1ppp = 1: the ` +
          String.raw`kernel applies the larger\) {2}\[sysctl\.rp-filter\]\n.*\n` +
          String.raw` {7}fix: sysctl -q -w net\/ipv4\/conf\/w4g1ppp\/rp_filter=0\n`,
      ),
    );
  });

  it('a bond with notes only is all good, and exit 0', () => {
    const x = structuredClone(base);
    x.observed.routes.push(
      ...structuredClone(base.observed.routes.filter((r) => r.dst === 'default')).map((r) => ({
        ...r,
        dst: '10.20.0.0/16',
        dev: 'eth0',
        gateway: '192.168.1.254',
        spec: undefined,
      })),
    );
    const r = buildReport(x);
    assert.equal(r.worst, 'info');
    assert.equal(exitCodeOf(r), 0);
    assert.equal(r.bonds[0]?.ok, true);
    assert.equal(
      formatReport(r),
      'teql0: all good: 4 lines up, equalizing both ways\n' +
        '  note: 10.20.0.0/16 via 192.168.1.254 dev eth0 takes 10.20.0.0/16 away from teql0  ' +
        '[routes.bypass]\n',
    );
  });

  it('counts lines that are up, and says when inbound could not be judged', () => {
    const x = structuredClone(base);
    x.after.links = structuredClone(x.before.links);
    if (x.daemon.running) Object.assign(x.daemon.file.bonds[0]!.lines[1]!, { state: 'probation', inRing: false });
    Object.assign(x.observed.qdiscs.find((q) => q.dev === 'w2g1ppp')!, { kind: 'pfifo_fast', handle: '0:' });
    const r = buildReport(x);
    assert.equal(
      r.bonds[0]?.summary,
      'teql0: all good: 3 of 4 lines up, equalizing outbound; inbound not judged ' +
        '(0 kB received in 2.0 s, too little to judge the far end)',
    );
  });

  it(
    'a line recreated between the two readings (new ifindex, counters from zero) ' + 'is not judged by its counters',
    () => {
      const x = structuredClone(base);
      x.after.links = x.after.links.map((l) =>
        l.name === 'w4g1ppp'
          ? { ...l, ifindex: 99, stats: { ...l.stats!, txDropped: 7, rxBytes: 10, txBytes: 10 } }
          : l,
      );
      assert.deepEqual(buildReport(x).bonds[0]?.findings, []);
    },
  );

  it('link kinds from ip -j -d link show', () => {
    assert.deepEqual(
      parseLinkKinds(
        '[{"ifindex":3,"ifname":"v0","linkinfo":{"info_kind":"veth"}},{"ifindex":4,"ifname":"w1g1ppp"},' +
          '{"ifname":"tap0","linkinfo":{"info_kind":"tun","info_data":{"type":"tap"}}}]',
      ),
      { v0: 'veth', w1g1ppp: '', tap0: 'tun' },
    );
    assert.deepEqual(parseLinkKinds(''), {});
  });
});
