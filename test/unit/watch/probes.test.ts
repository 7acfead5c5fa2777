// How the daemon's pings leave (issue 22 defect 10): bound to their line, or, at a DSL-router site,
// marked for the line's own probe table, so an answer that the ISP returns by another line still
// reaches the ping. A stand-in ping writes down its arguments.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings } from '../../../src/config/settings.js';
import { kindOf } from '../../../src/bonds/registry.js';
import { silentLogger } from '../../../src/log.js';
import { desiredState } from '../../../src/state/desired.js';
import { Probes } from '../../../src/watch/probes.js';
import { tmpDir } from '../../helpers/fs.js';

const DSL = '[teql0]\nslaves = eth2, eth3\naddress = 203.0.113.10/29\ngateway = 203.0.113.9\n';
const PLAIN = '[teql0]\nslaves = eth2, eth3\naddress = 10.9.0.0/31\n';

/** The argv each line's ping was started with, as the daemon starts it for the bond these settings give. */
async function pingArgs(settings: string): Promise<Record<string, string[]>> {
  const dir = await tmpDir();
  const ping = path.join(dir, 'ping');
  await fs.writeFile(ping, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args.$$"\nexec sleep 30\n`, { mode: 0o755 });
  const d = desiredState(parseSettings('wanbond.conf', settings), undefined);
  const b = d.bonds[0]!;
  const probes = new Probes({ ping, log: silentLogger(), intervalMs: () => 200, signal: () => undefined });
  for (const [i, s] of b.slaves.entries())
    probes.sync(s.name, 10 + i, '198.51.100.1', kindOf(b).probeMark?.(b, s.name));
  const out: Record<string, string[]> = {};
  for (let i = 0; i < 100 && Object.keys(out).length < b.slaves.length; i++) {
    await new Promise((r) => setTimeout(r, 20));
    for (const f of (await fs.readdir(dir)).filter((x) => x.startsWith('args.'))) {
      const args = (await fs.readFile(path.join(dir, f), 'utf8')).trim().split('\n');
      // Keyed by what chooses the way out: the mark (-m) or the line bound to (-I).
      const how = args.findIndex((a) => a === '-m' || a === '-I');
      if (args.at(-1) === '198.51.100.1' && how >= 0) out[args[how + 1] ?? ''] = args;
    }
  }
  await probes.stop();
  return out;
}

describe("the daemon's probes: how they leave", () => {
  it("at a DSL-router site, each line's ping is marked for its table, not bound to the line", async () => {
    const got = await pingArgs(DSL);
    // 0x77650001 and 0x77650002: the marks the lines' rules select (iputils takes -m in decimal).
    assert.deepEqual(Object.keys(got).sort(), [String(0x7765_0001), String(0x7765_0002)]);
    for (const args of Object.values(got)) {
      assert.ok(!args.includes('-I'), `a bound ping never sees an answer that comes in by another line: ${args}`);
      assert.deepEqual(args.slice(0, 2), ['-n', '-O']);
    }
  });

  it('elsewhere each ping stays bound to its line', async () => {
    const got = await pingArgs(PLAIN);
    assert.deepEqual(Object.keys(got).sort(), ['eth2', 'eth3']);
    assert.deepEqual(got['eth2'], ['-n', '-O', '-I', 'eth2', '-i', '0.200', '198.51.100.1']);
  });
});
