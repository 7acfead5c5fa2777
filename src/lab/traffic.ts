// TCP traffic for the lab: a sink that counts bytes in 250 ms buckets and a sender that pushes as fast
// as the bundle takes for a fixed time. Only ever addresses inside the lab's own namespaces.
import net from 'node:net';

export interface SinkReport { bytes: number; buckets: number[]; bucketMs: number }

export function sink(port: number, seconds: number): Promise<SinkReport> {
  return new Promise((resolve, reject) => {
    const bucketMs = 250;
    const buckets: number[] = [];
    let start = 0;
    let bytes = 0;
    const server = net.createServer((sock) => {
      sock.on('data', (d: Buffer) => {
        const now = Date.now();
        if (start === 0) start = now;
        const b = Math.floor((now - start) / bucketMs);
        while (buckets.length <= b) buckets.push(0);
        buckets[b] = (buckets[b] ?? 0) + d.length;
        bytes += d.length;
      });
      sock.on('error', () => undefined);
    });
    server.on('error', reject);
    server.listen(port, '0.0.0.0', () => process.stdout.write('listening\n'));
    setTimeout(() => { server.close(); resolve({ bytes, buckets, bucketMs }); setTimeout(() => process.exit(0), 100); }, seconds * 1000);
  });
}

export function send(host: string, port: number, seconds: number): Promise<{ sent: number; error?: string }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    let sent = 0;
    let done = false;
    const sock = net.connect(port, host);
    const finish = (error?: string) => { if (done) return; done = true; sock.destroy(); resolve(error ? { sent, error } : { sent }); };
    const pump = () => { while (!done && sock.write(chunk)) sent += chunk.length; };
    sock.on('connect', () => { pump(); setTimeout(() => finish(), seconds * 1000); });
    sock.on('drain', () => { sent += chunk.length; pump(); });
    sock.on('error', (e) => finish(e.message));
  });
}

if (process.argv[1]?.endsWith('traffic.js')) {
  const [mode, a, b, c] = process.argv.slice(2);
  if (mode === 'sink') process.stdout.write(JSON.stringify(await sink(Number(a), Number(b))) + '\n');
  else if (mode === 'send') process.stdout.write(JSON.stringify(await send(a as string, Number(b), Number(c))) + '\n');
  else { process.stderr.write('usage: traffic.js sink PORT SECONDS | send HOST PORT SECONDS\n'); process.exitCode = 2; }
}
