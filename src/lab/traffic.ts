// TCP traffic for the lab: a sink that counts bytes in 250 ms buckets and a sender that pushes as fast
// as the bundle takes for a fixed time. Only ever addresses inside the lab's own namespaces.
// Both report wall-clock times (one VM, one clock), so the lab lays the sink's buckets over the
// whole time the sender ran: a second without data is a zero bucket, never a missing one.
import net from 'node:net';

export interface SinkReport {
  bytes: number;
  buckets: number[];
  bucketMs: number;
  firstAt: number | null;
}
export interface SendReport {
  sent: number;
  startAt: number;
  endAt: number;
  error?: string;
}

export function sink(port: number, seconds: number): Promise<SinkReport> {
  return new Promise((resolve, reject) => {
    const bucketMs = 250;
    const buckets: number[] = [];
    let firstAt: number | null = null;
    let bytes = 0;
    const server = net.createServer((sock) => {
      sock.on('data', (d: Buffer) => {
        const now = Date.now();
        if (firstAt === null) firstAt = now;
        const b = Math.floor((now - firstAt) / bucketMs);
        while (buckets.length <= b) buckets.push(0);
        buckets[b] = (buckets[b] ?? 0) + d.length;
        bytes += d.length;
      });
      sock.on('error', () => undefined);
    });
    server.on('error', reject);
    server.listen(port, '0.0.0.0', () => process.stdout.write('listening\n'));
    const end = () => {
      server.close();
      resolve({ bytes, buckets, bucketMs, firstAt });
      setTimeout(() => process.exit(0), 100);
    };
    setTimeout(end, seconds * 1000);
    // Told to stop early (the lab's run ended before its time): the report so far.
    process.once('SIGTERM', end);
  });
}

export function send(host: string, port: number, seconds: number): Promise<SendReport> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    let sent = 0;
    let done = false;
    let startAt = Date.now();
    const sock = net.connect(port, host);
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      sock.destroy();
      const r: SendReport = { sent, startAt, endAt: Date.now() };
      resolve(error ? { ...r, error } : r);
    };
    const pump = () => {
      while (!done && sock.write(chunk)) sent += chunk.length;
    };
    sock.on('connect', () => {
      startAt = Date.now();
      pump();
      setTimeout(() => finish(), seconds * 1000);
    });
    sock.on('drain', () => {
      sent += chunk.length;
      pump();
    });
    sock.on('error', (e) => finish(e.message));
    process.once('SIGTERM', () => finish());
    // A connection that never completes is an answer too, not a hang.
    setTimeout(() => finish('no connection within 10 s'), 10_000 + seconds * 1000);
  });
}

/**
 * The sink's buckets over the sender's whole run: zeros where nothing arrived, up to the moment the
 * sender stopped. Pure.
 */
export function alignBuckets(s: SinkReport, sender: { startAt: number; endAt: number }): number[] {
  const from = s.firstAt ?? sender.startAt;
  const n = Math.max(0, Math.ceil((sender.endAt - from) / s.bucketMs));
  return Array.from({ length: n }, (_, i) => s.buckets[i] ?? 0);
}

if (process.argv[1]?.endsWith('traffic.js')) {
  const [mode, a, b, c] = process.argv.slice(2);
  if (mode === 'sink') process.stdout.write(`${JSON.stringify(await sink(Number(a), Number(b)))}\n`);
  // Its timers may still be pending after an early stop: exit once the report is out.
  else if (mode === 'send') {
    const r = await send(a as string, Number(b), Number(c));
    process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
  } else {
    process.stderr.write('usage: traffic.js sink PORT SECONDS | send HOST PORT SECONDS\n');
    process.exitCode = 2;
  }
}
