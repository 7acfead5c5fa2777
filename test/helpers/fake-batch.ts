// A stand-in for `ip -force -batch -` / `tc -force -batch -` as the batch children speak to it: each line
// is a command, numbered as iproute2 numbers them; a failing one prints its error and "Command failed
// -:N" on stderr. Commands: `addr show` prints a JSON document (its second half only after the next line has
// answered, as two pipes may deliver it), `fail` fails, `hang` never answers, `die` exits, anything else
// succeeds silently; `link show` prints <dir>/links; `stale ...` fails with "No such device" unless it is
// the process's first command (iproute2's name cache, filled once per process); `broken` prints part of a
// document and fails; `garbage` prints a line that is not JSON. Every line is appended
// to <dir>/lines.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function fakeBatch(dir: string): Promise<string> {
  const file = path.join(dir, 'fake-batch');
  const log = JSON.stringify(path.join(dir, 'lines'));
  const links = JSON.stringify(path.join(dir, 'links'));
  await fs.writeFile(
    file,
    `#!/usr/bin/env node
const fs = require('node:fs');
let n = 0;
let tail = '';
let buf = '';
let hung = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  if (hung) return;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    n++;
    fs.appendFileSync(${log}, line + '\\n');
    if (line === 'wanbond-sentinel') {
      process.stderr.write('Object "wanbond-sentinel" is unknown, try "ip help".\\nCommand failed -:' + n + '\\n');
      if (tail) setTimeout((t) => process.stdout.write(t), 50, tail);
      tail = '';
    } else if (line === 'addr show') {
      const doc = JSON.stringify([{ ifname: 'lo', n }]) + '\\n';
      process.stdout.write(doc.slice(0, 5));
      tail = doc.slice(5);
    } else if (line === 'link show') {
      process.stdout.write(fs.readFileSync(${links}, 'utf8'));
    } else if (line.startsWith('stale') && n > 1) {
      process.stderr.write('RTNETLINK answers: No such device\\nCommand failed -:' + n + '\\n');
    } else if (line === 'broken') {
      process.stdout.write('[{"ifname"');
      process.stderr.write('Error: dump interrupted\\nCommand failed -:' + n + '\\n');
    } else if (line === 'garbage') {
      process.stdout.write('not json\\n');
    } else if (line.startsWith('fail')) {
      process.stderr.write('RTNETLINK answers: File exists\\nCommand failed -:' + n + '\\n');
    } else if (line === 'hang') {
      hung = true;
      return;
    } else if (line === 'die') {
      process.exit(3);
    }
  }
});
`,
    { mode: 0o755 },
  );
  return file;
}
