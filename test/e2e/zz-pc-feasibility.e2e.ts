// FEASIBILITY PROBE for issue 12 part 2 (not a product test; branch `sites` only): per-connection
// balancing over two NATed uplinks, by hand: each new connection from the LAN draws an uplink 2:1
// into its conntrack mark (nft numgen), every packet takes the mark back (meta mark set ct mark),
// per-uplink tables by fwmark and by source, SNAT per uplink; then one uplink's connections alone
// flushed (conntrack -D --mark). Measures what the product will have to rely on.
// Found on the first try: restoring the mark on every packet (`ct mark != 0 meta mark set ct mark`)
// also marks the replies coming back from the uplinks, and the fwmark rules then send them out the
// uplink again instead of to the LAN: the restore must be limited to packets from the LAN (or main's
// LAN routes must win first, suppress_prefixlength 0, as for weighted bonds).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ip, sh, sysctlIn } from '../../src/lab/sh.js';

const NS = ['wpc-lan', 'wpc-isp1', 'wpc-isp2', 'wpc-net'];
const log = (m: string) => process.stdout.write(`measured: pc-probe: ${m}\n`);
const node = process.execPath;

after(async () => {
  for (const n of NS) await sh('ip', ['netns', 'del', n], { allowFail: true });
  for (const l of ['wpc-lan0', 'wpc-u1', 'wpc-u2']) await sh('ip', ['link', 'del', l], { allowFail: true });
  await sh('nft', ['delete', 'table', 'ip', 'wpc'], { allowFail: true });
  for (const p of ['7770', '7771', '7772', '7773']) await sh('ip', ['rule', 'del', 'priority', p], { allowFail: true });
  await sh('ip', ['route', 'del', 'default', 'via', '100.64.1.1'], { allowFail: true });
});

const SERVER = `
const net = require('net'); const seen = {};
const s = net.createServer((c) => { seen[c.remoteAddress] = (seen[c.remoteAddress] || 0) + 1; c.on('data', () => {}); c.on('error', () => {}); });
s.listen(7000, () => console.log('listening'));
process.on('SIGTERM', () => { console.log(JSON.stringify(seen)); process.exit(0); });`;
const CLIENT = `
const net = require('net'); let ok = 0, bad = 0; const open = [];
(async () => { for (let i = 0; i < 200; i++) await new Promise((r) => { const c = net.connect(7000, '198.51.100.50', () => { ok++; open.push(c); c.setTimeout(0); r(); }); c.setTimeout(3000, () => { bad++; c.destroy(); r(); }); c.on('error', () => { bad++; r(); }); });
  console.log(JSON.stringify({ ok, bad })); setTimeout(() => process.exit(0), 60000); })();
process.on('SIGTERM', () => process.exit(0));`;

describe('per-connection balancing over NATed uplinks (feasibility)', () => {
  it('200 connections drawn 2:1 by ct mark, SNAT per uplink; one uplink\'s connections flushed alone', async () => {
    for (const n of NS) await sh('ip', ['netns', 'add', n]);
    for (const n of NS) await ip(n, 'link', 'set', 'lo', 'up');
    await ip(undefined, 'link', 'add', 'wpc-lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'wpc-lan');
    await ip(undefined, 'addr', 'add', '10.9.0.1/24', 'dev', 'wpc-lan0');
    await ip(undefined, 'link', 'set', 'wpc-lan0', 'up');
    await ip('wpc-lan', 'addr', 'add', '10.9.0.2/24', 'dev', 'eth0');
    await ip('wpc-lan', 'link', 'set', 'eth0', 'up');
    await ip('wpc-lan', 'route', 'add', 'default', 'via', '10.9.0.1');
    await ip('wpc-net', 'addr', 'add', '198.51.100.50/32', 'dev', 'lo');
    for (const k of [1, 2]) {
      const isp = `wpc-isp${k}`;
      await ip(undefined, 'link', 'add', `wpc-u${k}`, 'type', 'veth', 'peer', 'name', 'cpe', 'netns', isp);
      await ip(undefined, 'addr', 'add', `100.64.${k}.2/30`, 'dev', `wpc-u${k}`);
      await ip(undefined, 'link', 'set', `wpc-u${k}`, 'up');
      await ip(isp, 'addr', 'add', `100.64.${k}.1/30`, 'dev', 'cpe');
      await ip(isp, 'link', 'set', 'cpe', 'up');
      await ip(isp, 'link', 'add', 'upl', 'type', 'veth', 'peer', 'name', `isp${k}`, 'netns', 'wpc-net');
      await ip(isp, 'addr', 'add', `100.65.${k}.1/30`, 'dev', 'upl');
      await ip(isp, 'link', 'set', 'upl', 'up');
      await ip('wpc-net', 'addr', 'add', `100.65.${k}.2/30`, 'dev', `isp${k}`);
      await ip('wpc-net', 'link', 'set', `isp${k}`, 'up');
      await ip(isp, 'route', 'add', '198.51.100.50/32', 'via', `100.65.${k}.2`);
      // Each ISP routes back only its own customer's address: a packet with the other's source is lost.
      await ip('wpc-net', 'route', 'add', `100.64.${k}.0/30`, 'via', `100.65.${k}.1`);
      await sysctlIn(isp, 'net.ipv4.ip_forward', '1');
      // Router A's per-uplink table and rules: by the connection's mark, and by source (replies of the router's own).
      await ip(undefined, 'route', 'add', 'default', 'via', `100.64.${k}.1`, 'dev', `wpc-u${k}`, 'table', String(7700 + k));
      await ip(undefined, 'rule', 'add', 'priority', String(7769 + k), 'fwmark', String(k), 'lookup', String(7700 + k));
      await ip(undefined, 'rule', 'add', 'priority', String(7771 + k), 'from', `100.64.${k}.2`, 'lookup', String(7700 + k));
    }
    // A real multi-uplink router has a default route in main (one of the uplinks). Without one, the
    // de-NATed replies fail loose rp_filter (no route back to the server in main): found on the 2nd try.
    await ip(undefined, 'route', 'add', 'default', 'via', '100.64.1.1', 'dev', 'wpc-u1');
    await sh('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    for (const k of [1, 2]) await sh('sysctl', ['-q', '-w', `net.ipv4.conf.wpc-u${k}.rp_filter=2`]);
    await sh('nft', ['-f', '-'], { input: `add table ip wpc
add chain ip wpc pre { type filter hook prerouting priority mangle; policy accept; }
add rule ip wpc pre iifname "wpc-lan0" ct state new ct mark 0 ct mark set numgen inc mod 3 map { 0 : 1, 1 : 2, 2 : 1 }
add rule ip wpc pre iifname "wpc-lan0" ct mark != 0 meta mark set ct mark
add chain ip wpc post { type nat hook postrouting priority srcnat; policy accept; }
add rule ip wpc post oifname "wpc-u1" snat to 100.64.1.2
add rule ip wpc post oifname "wpc-u2" snat to 100.64.2.2
` });
    const { execa } = await import('execa');
    const server = execa('ip', ['netns', 'exec', 'wpc-net', node, '-e', SERVER], { reject: false });
    await new Promise<void>((r, j) => { server.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) r(); }); setTimeout(() => j(new Error('no server')), 30_000); });
    const client = execa('ip', ['netns', 'exec', 'wpc-lan', node, '-e', CLIENT], { reject: false });
    const opened = await new Promise<string>((r) => { client.stdout?.on('data', (d: Buffer) => r(d.toString().trim())); setTimeout(() => r('no answer in 120 s'), 120_000); });
    const ct = async (mark: number) => (await sh('conntrack', ['-L', '-p', 'tcp', '--dport', '7000', '-m', String(mark)], { allowFail: true })).split('\n').filter((l) => /ESTABLISHED/.test(l)).length;
    log(`client: ${opened}; conntrack ESTABLISHED by mark: 1 -> ${await ct(1)}, 2 -> ${await ct(2)}`);
    const flushed = await sh('conntrack', ['-D', '-m', '2'], { allowFail: true });
    log(`conntrack -D -m 2: ${flushed.trim().split('\n').pop()}; left: mark 1 -> ${await ct(1)}, mark 2 -> ${await ct(2)}`);
    client.kill('SIGTERM'); await client;
    server.kill('SIGTERM');
    const seen = (await server).stdout;
    log(`server saw connections by source: ${String(seen).split('\n').pop()}`);
    log(`nft: ${(await sh('nft', ['list', 'table', 'ip', 'wpc'])).replace(/\s+/g, ' ').slice(0, 400)}`);
    assert.ok(true);
  });
});
