// The status table's arithmetic: each line's share of what the bond sent, only over enslaved lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bondStatus, formatStatus } from '../../../src/cli/commands/status.js';
import type { DesiredState, LinkState, ObservedState } from '../../../src/state/types.js';

const stats = (tx: number, rx = 0) => ({ rxBytes: rx, rxPackets: rx / 100, rxErrors: 1, rxDropped: 0, txBytes: tx, txPackets: tx / 100, txErrors: 2, txDropped: 3 });
const link = (name: string, tx: number, flags = ['UP', 'LOWER_UP']): LinkState => ({ name, ifindex: 1, flags, mtu: 1500, operstate: 'UP', stats: stats(tx) });

describe('status', () => {
  it('shares are of the bond\'s enslaved lines only; errors and drops add both directions', () => {
    const d: DesiredState = {
      bonds: [{ teql: 'teql0', index: 0, slaves: ['w1', 'w2', 'w3', 'w4'].map((name) => ({ name, device: 'wanpipe1', where: 'x' })), address: '10.0.0.0/31', routes: [{ to: 'default' }], rpFilter: 0, mtu: undefined }],
      maxEqualizers: 1, wanpipeDevices: [], configFix: [], slaveWaitMs: 1000, settingsFile: 'f',
    };
    const o: ObservedState = {
      links: [link('teql0', 0), link('w1', 3000), link('w2', 1000), link('w3', 0, ['UP']), link('w4', 9000)],
      addrs: [{ dev: 'teql0', local: '10.0.0.0', prefixlen: 31, noprefixroute: true }], routes: [],
      qdiscs: ['w1', 'w2', 'w3'].map((dev) => ({ dev, kind: 'teql0', handle: '8001:', root: true })),
      sysctls: {}, teql: { loaded: true, builtin: false }, plug: true, wanrouterDevices: [{ name: 'wanpipe1', status: 'Connected' }],
      staleDrivers: [{ device: 'wanpipe1', driver: { w1: 'NO' }, since: '2026-11-26T09:00:00.000Z', why: 'w' }],
    };
    const [b] = bondStatus(d, o);
    assert.deepEqual(b?.lines.map((l) => [l.name, l.enslaved, l.share, l.carrier, l.errors, l.dropped]), [
      ['w1', true, 0.75, true, 3, 3], ['w2', true, 0.25, true, 3, 3], ['w3', true, 0, false, 3, 3], ['w4', false, null, true, 3, 3]]);
    assert.deepEqual(b?.lines[0]?.driverConfig, { stale: true, dynIntrCfgInDriver: 'NO', since: '2026-11-26T09:00:00.000Z' });
    const text = formatStatus(bondStatus(d, o));
    assert.match(text, /^w1\*\s+up\s+UP\s+yes\s+yes\s+30\s+3000\s+75\.0%/m);
    assert.match(text, /^w4\*\s+up\s+UP\s+yes\s+NO\s+90\s+9000\s+-/m);
    assert.match(text, /w1: its driver still runs the configuration it read before 2026-11-26T09:00:00.000Z \(DYN_INTR_CFG NO there\)/);
  });
});
