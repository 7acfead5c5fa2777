// Many TCP connections for the lab's per-connection site: a server that answers every message with
// the source address it sees the connection come from (after the router's SNAT: which uplink it
// left by), and a client that opens N connections one after the other, keeps them open, and on each
// `check` line on its stdin asks every one again. A connection that answers a check with the same
// source as when it opened kept its uplink; one that does not answer died (a connection that moved
// to the other uplink dies: each ISP drops the other's source). Only addresses inside the lab.
import net from 'node:net';
import readline from 'node:readline';

export interface OpenReport {
  phase: 'open';
  opened: number;
  failed: number;
  bySource: Record<string, number>;
}
export interface CheckReport {
  phase: 'check';
  asked: number;
  kept: number;
  moved: number;
  dead: number;
  bySource: Record<string, number>;
}

const REPLY_MS = 3000;

export function serve(port: number): void {
  const bySource: Record<string, number> = {};
  const server = net.createServer((c) => {
    const src = (c.remoteAddress ?? '?').replace(/^::ffff:/, '');
    bySource[src] = (bySource[src] ?? 0) + 1;
    c.on('data', () => {
      c.write(`${src}\n`);
    });
    c.on('error', () => undefined);
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ bySource })}\n`, () => process.exit(0));
  });
}

/** One message on the connection and the source the server saw, or undefined after REPLY_MS. */
function ask(c: net.Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (v: string | undefined) => {
      clearTimeout(t);
      c.off('data', on);
      resolve(v);
    };
    const on = (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) done(buf.slice(0, i));
    };
    const t = setTimeout(() => done(undefined), REPLY_MS);
    c.on('data', on);
    c.write('?');
  });
}

function open(host: string, port: number): Promise<{ sock: net.Socket; source: string } | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    const t = setTimeout(() => {
      sock.destroy();
      resolve(undefined);
    }, 5000);
    sock.on('error', () => {
      clearTimeout(t);
      resolve(undefined);
    });
    sock.on('connect', () => {
      void ask(sock).then((source) => {
        clearTimeout(t);
        resolve(source ? { sock, source } : undefined);
      });
    });
  });
}

export async function client(host: string, port: number, n: number): Promise<void> {
  const conns: { sock: net.Socket; source: string }[] = [];
  const bySource: Record<string, number> = {};
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const c = await open(host, port);
    if (!c) {
      failed++;
      continue;
    }
    c.sock.on('error', () => undefined);
    conns.push(c);
    bySource[c.source] = (bySource[c.source] ?? 0) + 1;
  }
  const say = (r: OpenReport | CheckReport) => process.stdout.write(`${JSON.stringify(r)}\n`);
  say({ phase: 'open', opened: conns.length, failed, bySource });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() !== 'check') break;
    const answers = await Promise.all(conns.map((c) => ask(c.sock)));
    const seen: Record<string, number> = {};
    let kept = 0,
      moved = 0,
      dead = 0;
    answers.forEach((a, i) => {
      if (a === undefined) {
        dead++;
        return;
      }
      seen[a] = (seen[a] ?? 0) + 1;
      if (a === conns[i]?.source) kept++;
      else moved++;
    });
    say({ phase: 'check', asked: conns.length, kept, moved, dead, bySource: seen });
  }
  for (const c of conns) c.sock.destroy();
  process.exit(0);
}

if (process.argv[1]?.endsWith('connections.js')) {
  const [mode, a, b, c] = process.argv.slice(2);
  if (mode === 'serve') serve(Number(a));
  else if (mode === 'client') await client(a as string, Number(b), Number(c));
  else {
    process.stderr.write('usage: connections.js serve PORT | client HOST PORT N\n');
    process.exitCode = 2;
  }
}
