// The per-connection site of issue 12 in a real kernel: two NATed uplinks to two "ISP" namespaces
// (src/lab/pc-topology.ts), new connections from the LAN drawn an uplink by weight or by measured
// load, kept on it for their life, SNATed to its address; a dead uplink's connections alone flushed.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import {
  createPcTopology,
  destroyPcTopology,
  ispDown,
  ispUp,
  PC_LAN_NS,
  PC_NET_NS,
  PC_SERVER,
  pcAddress,
  pcGateway,
  pcUplink,
} from '../../src/lab/pc-topology.js';
import { WatchProcess } from '../../src/lab/watch.js';
import { kernelDump, projectRoot, sinkListening } from '../../src/lab/lab.js';
import { sh } from '../../src/lab/sh.js';
import type { CheckReport, OpenReport } from '../../src/lab/connections.js';
import { siteCli } from '../../src/lab/site-cli.js';

const DOWN_KBIT = 4000;
const PORT = 7000;
const FORWARD_PORT = 8080;
const FORWARD_TABLE = `add table ip lanfwd
add chain ip lanfwd pre { type nat hook prerouting priority dstnat; policy accept; }
add rule ip lanfwd pre iifname "${pcUplink(2)}" tcp dport ${FORWARD_PORT} dnat to 10.9.0.2:${PORT}
`;
const u1 = pcUplink(1),
  u2 = pcUplink(2);
const script = path.join(projectRoot, 'dist', 'src', 'lab', 'connections.js');
const traffic = path.join(projectRoot, 'dist', 'src', 'lab', 'traffic.js');
let dir = '';
let server: ResultPromise | undefined;
const log = (m: string) => process.stdout.write(`measured: per-connection site: ${m}\n`);

const settings = (extra = '', balance = 'weight') =>
  `[pcbond0]\nbalance = ${balance}\n` +
  `uplink.${u1} = ${pcAddress(1)} via ${pcGateway(1)} ` +
  `${balance === 'load' ? `rate ${DOWN_KBIT}k measure in` : 'weight 2'}\n` +
  `uplink.${u2} = ${pcAddress(2)} via ${pcGateway(2)} ` +
  `${balance === 'load' ? `rate ${DOWN_KBIT}k measure in` : ''}\n${extra}` +
  `[watch]\nmetrics = off\nprobe.${u1} = ${PC_SERVER}\nprobe.${u2} = ${PC_SERVER}\n`;

const { wanbond, startWanbond } = siteCli(() => dir);
const site = { startWanbond };

/** A client in the LAN holding `n` connections to the server; `check()` asks each again. Bounded waits. */
async function connections(
  n: number,
  ns = PC_LAN_NS,
  host = PC_SERVER,
  port = PORT,
): Promise<{ open: OpenReport; check: () => Promise<CheckReport>; close: () => Promise<void> }> {
  const c = execa('ip', ['netns', 'exec', ns, process.execPath, script, 'client', host, String(port), String(n)], {
    reject: false,
    stdin: 'pipe',
  });
  const lines: string[] = [];
  let buf = '';
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const next = async <T>(phase: string, ms: number): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const i = lines.findIndex((l) => l.includes(`"phase":"${phase}"`));
      if (i >= 0) return JSON.parse(lines.splice(i, 1)[0] as string) as T;
      if (Date.now() > end || c.exitCode !== null)
        throw new Error(
          `lab: connections: no ${phase} report within ${ms} ms (exit ${c.exitCode}): ${lines.join(' | ')}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const open = await next<OpenReport>('open', 60_000 + n * 200);
  return {
    open,
    check: async () => {
      c.stdin?.write('check\n');
      return next<CheckReport>('check', 20_000);
    },
    close: async () => {
      c.stdin?.end();
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await c;
      clearTimeout(t);
    },
  };
}

/** How many of the server's connections conntrack holds marked for uplink k (ESTABLISHED). */
const marked = async (k: number): Promise<number> =>
  (
    await sh('conntrack', ['-L', '-p', 'tcp', '--dport', String(PORT), '--mark', String(0x7763_0000 + k)], {
      allowFail: true,
    })
  )
    .split('\n')
    .filter((l) => /ESTABLISHED/.test(l)).length;

const share = (r: { bySource: Record<string, number> }, k: number) =>
  (r.bySource[pcAddress(k)] ?? 0) / Object.values(r.bySource).reduce((a, b) => a + b, 0);

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-pc-'));
  await fs.writeFile(path.join(dir, 'wanbond.conf'), settings());
  await createPcTopology(DOWN_KBIT);
  // The operator's own port forward, there before wanbond and after it: not wanbond's to touch.
  await sh('nft', ['-f', '-'], { input: FORWARD_TABLE });
  server = execa('ip', ['netns', 'exec', PC_NET_NS, process.execPath, script, 'serve', String(PORT)], {
    reject: false,
  });
  await new Promise<void>((resolve, reject) => {
    server?.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    setTimeout(() => reject(new Error('lab: connection server did not start')), 30_000);
  });
});

after(async () => {
  server?.kill('SIGTERM');
  await wanbond('down').catch(() => undefined);
  await sh('nft', ['delete', 'table', 'ip', 'lanfwd'], { allowFail: true });
  await destroyPcTopology();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('per-connection balancing over two NATed uplinks in a real kernel', () => {
  it(
    'up: 200 connections from the LAN drawn 2:1, each kept on its uplink for its life; a port forward answered ' +
      'by its uplink; a second up changes nothing; status and doctor; down restores',
    async () => {
      const pre = await kernelDump();
      const up = await wanbond('up');
      assert.equal(up.code, 0, up.err);
      const c = await connections(200);
      try {
        const check = await c.check();
        log(
          `weights 2:1, ${c.open.opened} connections opened (${c.open.failed} failed): by uplink ` +
            `${JSON.stringify(c.open.bySource)}, share of uplink 1 ${share(c.open, 1).toFixed(3)}; asked again: ` +
            `${check.kept} kept, ${check.moved} moved, ${check.dead} dead`,
        );
        assert.equal(c.open.opened, 200);
        assert.ok(
          Math.abs(share(c.open, 1) - 2 / 3) <= 0.05,
          `uplink 1 got ${share(c.open, 1)} of the new connections, weight 2 of 3`,
        );
        assert.deepEqual([check.kept, check.moved, check.dead], [200, 0, 0], 'every connection kept its uplink');
        // conntrack holds each connection's uplink in its mark.
        const [m1, m2] = [await marked(1), await marked(2)];
        log(`conntrack marks: uplink 1 ${m1}, uplink 2 ${m2}`);
        assert.deepEqual([m1, m2], [c.open.bySource[pcAddress(1)], c.open.bySource[pcAddress(2)]]);
      } finally {
        await c.close();
      }
      // A port forward of the operator's (DNAT in by uplink 2 to a LAN server): the LAN host's replies
      // must leave by uplink 2, whose provider alone accepts their source.
      const lanServer = execa('ip', ['netns', 'exec', PC_LAN_NS, process.execPath, script, 'serve', String(PORT)], {
        reject: false,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          lanServer.stdout?.on('data', (d: Buffer) => {
            if (d.toString().includes('listening')) resolve();
          });
          setTimeout(() => reject(new Error('lab: LAN server did not start')), 30_000);
        });
        const inbound = await connections(20, PC_NET_NS, pcAddress(2), FORWARD_PORT);
        const check = await inbound.check();
        await inbound.close();
        log(
          `a port forward in by uplink 2: ${inbound.open.opened} of 20 connections opened, ` +
            `${check.kept} answered again`,
        );
        assert.deepEqual([inbound.open.opened, check.kept], [20, 20]);
      } finally {
        lanServer.kill('SIGTERM');
        await lanServer;
      }
      const again = await wanbond('up');
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /already up, nothing to change/);
      const st = JSON.parse((await wanbond('status', '--json')).out) as {
        kind: string;
        present: boolean;
        lines: { name: string; enslaved: boolean; draw: number }[];
      }[];
      assert.deepEqual(
        st.map((b) => [b.kind, b.present, b.lines.map((l) => [l.name, l.enslaved, Number(l.draw.toFixed(2))])]),
        [
          [
            'per-connection',
            true,
            [
              [u1, true, 0.67],
              [u2, true, 0.33],
            ],
          ],
        ],
      );
      const doctor = JSON.parse((await wanbond('doctor', '--json', '--window', '0s')).out) as {
        bonds: { findings: { id: string; severity: string }[] }[];
        findings: { id: string; severity: string }[];
      };
      const found = [...doctor.findings, ...doctor.bonds.flatMap((b) => b.findings)].map(
        (f) => `${f.id}:${f.severity}`,
      );
      log(`doctor: ${JSON.stringify(found)}`);
      assert.deepEqual(
        found.filter((f) => /:error$/.test(f) || /^bond\./.test(f)),
        [],
      );
      const down = await wanbond('down');
      assert.equal(down.code, 0, down.err);
      assert.deepEqual(
        await kernelDump(),
        pre,
        'down leaves no table, chain, rule, route or mark behind, and gives back the default via the first provider',
      );
    },
  );

  it(
    'the daemon: a dead ISP gets no new connection after the detection time and its connections alone are ' +
      'flushed; it returns after its hold-down; balance = load steers new connections off a busy uplink',
    async () => {
      const pre = await kernelDump();
      const w = WatchProcess.start(site);
      let download: ResultPromise | undefined;
      let sink: ResultPromise | undefined;
      try {
        await w.waitFor((e) => e.event === 'started', 90_000, 'start');
        const held = await connections(30);
        const before = [await marked(1), await marked(2)];
        let n = w.events.length;
        const faultAt = Date.now();
        await ispDown(2);
        const left = await w.waitFor(
          (e) => e.event === 'ring' && (e['left'] as string[] | undefined)?.includes(u2) === true,
          20_000,
          `${u2} leaving`,
          n,
        );
        const afterFlush = [await marked(1), await marked(2)];
        const fresh = await connections(20);
        const check = await held.check();
        log(
          `ISP 2 dead behind its access line: ${u2} out of the draw ${left.time - faultAt} ms after (steps: ` +
            `${JSON.stringify(left['steps'])}); conntrack marks before ${before.join('/')}, after ` +
            `${afterFlush.join('/')}; 20 new connections by ${JSON.stringify(fresh.open.bySource)}; the 30 held: ` +
            `${check.kept} kept, ${check.dead} dead`,
        );
        assert.ok(left.time - faultAt < 5000, `out of the draw after ${left.time - faultAt} ms`);
        assert.deepEqual(afterFlush, [before[0], 0], "only the dead uplink's connections are flushed");
        assert.deepEqual(fresh.open.bySource, { [pcAddress(1)]: 20 }, 'no new connection by the dead uplink');
        assert.equal(check.kept, before[0], "the live uplink's connections live on");
        await fresh.close();
        await held.close();
        n = w.events.length;
        await ispUp(2);
        await w.waitFor(
          (e) => e.event === 'ring' && (e['joined'] as string[] | undefined)?.includes(u2) === true,
          30_000,
          `${u2} rejoining`,
          n,
        );
        const back = JSON.parse((await wanbond('status', '--json')).out) as {
          lines: { name: string; draw: number }[];
        }[];
        assert.deepEqual(
          back[0]?.lines.map((l) => Number(l.draw.toFixed(2))),
          [0.67, 0.33],
          'its share goes back by weight',
        );

        // balance = load, equal rates: a download filling uplink 1 sends new connections to uplink 2.
        n = w.events.length;
        await fs.writeFile(path.join(dir, 'wanbond.conf'), settings('', 'load'));
        await w.waitFor((e) => e.event === 'reloaded', 20_000, 'reload', n);
        sink = execa(process.execPath, [traffic, 'sink', '5009', '40'], { reject: false });
        // A fixed 500 ms was not always enough for node to start under TCG: the download was refused
        // and no redraw came (seen once in CI=true .ci/run here).
        await sinkListening(sink);
        download = execa(
          'ip',
          ['netns', 'exec', PC_NET_NS, process.execPath, traffic, 'send', pcAddress(1), '5009', '30'],
          { reject: false },
        );
        // The smoothed rate climbs over a few intervals: wait for the redraw of an uplink near full (at most 1 of 4).
        const weight = (e: { [k: string]: unknown }, l: string) =>
          (e['weights'] as Record<string, number> | undefined)?.[l];
        const busy = await w.waitFor(
          (e) => e.event === 'load' && 4 * (weight(e, u1) ?? 99) <= (weight(e, u2) ?? 0),
          30_000,
          'a load redraw',
          n,
        );
        await w.waitFor((e) => e.event === 'ring', 10_000, 'the redraw applied', w.events.indexOf(busy));
        const steered = await connections(60);
        log(
          `balance = load, ${u1} downloading: measured ${JSON.stringify(busy['rates'])} bit/s, weights ` +
            `${JSON.stringify(busy['weights'])}; 60 new connections by ${JSON.stringify(steered.open.bySource)} ` +
            `(uplink 1 ${share(steered.open, 1).toFixed(3)})`,
        );
        assert.ok(
          share(steered.open, 1) < 0.25,
          `the busy uplink got ${share(steered.open, 1)} of the new connections (0.5 by weight)`,
        );
        await steered.close();
      } finally {
        download?.kill('SIGTERM');
        sink?.kill('SIGTERM');
        await Promise.all([download, sink]);
        await w.stop();
      }
      const down = await wanbond('down');
      assert.equal(down.code, 0, down.err);
      assert.deepEqual(await kernelDump(), pre);
    },
  );
});
