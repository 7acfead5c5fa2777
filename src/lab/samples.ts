// Wanpipe configurations of any size for the lab and the benchmarks: N ports laid out exactly like
// the A104 sample (wanpipe-conf/aft-a104-4xt1-ppp, port 1 as the template), four ports a card, each
// line full T1 or a fractional T1 of some timeslots. Port i gets 198.51.100.(4i-3) and its far end
// .(4i-2), so up to 63 lines fit the documentation block.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './lab.js';

export interface SampleLine {
  timeslots?: number;
}

const TEMPLATE = path.join(projectRoot, 'wanpipe-conf', 'aft-a104-4xt1-ppp');

/** Writes wanpipe1..N.conf, interfaces/ and wanrouter.rc into `dir`; returns the IP interface names. */
export async function writeT1Sample(dir: string, lines: readonly SampleLine[]): Promise<string[]> {
  if (lines.length < 1 || lines.length > 63) throw new Error(`lab: a sample of ${lines.length} lines (1..63)`);
  const conf = await fs.readFile(path.join(TEMPLATE, 'wanpipe1.conf'), 'utf8');
  const ipFile = await fs.readFile(path.join(TEMPLATE, 'interfaces', 'w1g1ppp'), 'utf8');
  await fs.mkdir(path.join(dir, 'interfaces'), { recursive: true });
  const names: string[] = [];
  for (const [k, l] of lines.entries()) {
    const n = k + 1,
      port = ((n - 1) % 4) + 1,
      card = Math.floor((n - 1) / 4) + 1;
    const ts = l.timeslots;
    if (ts !== undefined && (!Number.isInteger(ts) || ts < 1 || ts > 24))
      throw new Error(`lab: line ${n}: ${ts} timeslots (a T1 has 1..24)`);
    let text = conf
      .replace(/wanpipe1\b/g, `wanpipe${n}`)
      .replace(/WANPIPE1\b/g, `WANPIPE${n}`)
      .replace(/\bw1g1/g, `w${n}g1`)
      .replace(/port 1 of a Sangoma A104/, `port ${port} of Sangoma A104 number ${card}`)
      .replace(/A104 port 1\b/, `A104 #${card} port ${port}`)
      .replace(/^FE_LINE\t+= 1$/m, `FE_LINE\t\t= ${port}`)
      .replace(/^PCISLOT\t+= (\d+)$/m, (_, s: string) => `PCISLOT\t\t= ${Number(s) + card - 1}`);
    // The hardware channel's binding is the one that counts (its [w1g1] section is the file's last).
    if (ts !== undefined && ts < 24)
      text = text.replace(
        /ACTIVE_CH\t= ALL(?![\s\S]*ACTIVE_CH)/,
        `ACTIVE_CH\t= 1-${ts}\t# a fractional T1: ${ts} x 64 kbit/s`,
      );
    await fs.writeFile(path.join(dir, `wanpipe${n}.conf`), text);
    const name = `w${n}g1ppp`;
    names.push(name);
    await fs.writeFile(
      path.join(dir, 'interfaces', name),
      ipFile
        .replace(/w1g1ppp/g, name)
        .replace(/T1 port 1/, `T1 port ${n}`)
        .replace(/^IPADDR=.*$/m, `IPADDR=198.51.100.${4 * n - 3}`)
        .replace(/^POINTOPOINT=.*$/m, `POINTOPOINT=198.51.100.${4 * n - 2}`)
        .replace(/^NETWORK=.*$/m, `NETWORK=198.51.100.${4 * n - 2}`),
    );
  }
  await fs.writeFile(
    path.join(dir, 'wanrouter.rc'),
    `# wanrouter.rc: ${lines.length} T1 ports (lab sample)\n` +
      `WAN_DEVICES="${lines.map((_, k) => `wanpipe${k + 1}`).join(' ')}"\n` +
      `WAN_DEVICES_REV_STOP_ORDER=YES\n`,
  );
  return names;
}
