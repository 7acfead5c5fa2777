// Child process for the crash test: writes a file atomically and stops dead before the rename.
import { writeFileAtomic } from '../../src/fsx/atomic-write.js';

const [file, content] = process.argv.slice(2) as [string, string];
await writeFileAtomic(file, Buffer.from(content), {
  beforeRename: (tmp) => {
    process.stdout.write(`ready ${tmp}\n`);
    setInterval(() => undefined, 1000);
    return new Promise<void>(() => undefined);
  },
});
