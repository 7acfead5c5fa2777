// Config files are never lost or half-written: backup first, then temp file in the same folder,
// fsync, rename over, fsync the folder. Mode and owner are kept.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteHooks {
  /** Called after the temporary file is complete and synced, before the rename (tests interrupt here). */
  beforeRename?: (tmpPath: string) => Promise<void> | void;
}

/** A time for a file name: 20261126T140812Z. */
export const fileStamp = (now: Date): string =>
  now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function backupPath(file: string, now: Date): string {
  return `${file}.wanbond-${fileStamp(now)}.bak`;
}

export function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.wanbond-tmp-${process.pid}`);
}

export async function writeBackup(file: string, now: Date = new Date()): Promise<string> {
  let dest = backupPath(file, now);
  for (let n = 1; ; n++) {
    try {
      await fs.copyFile(file, dest, constants.COPYFILE_EXCL);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      dest = `${backupPath(file, now)}.${n}`;
    }
  }
  const h = await fs.open(dest, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
  return dest;
}

export async function writeFileAtomic(file: string, data: Buffer, hooks: AtomicWriteHooks = {}): Promise<void> {
  const st = await fs.stat(file);
  const tmp = tempPath(file);
  // A fresh file, never through a link someone left at the temporary name.
  await fs.rm(tmp, { force: true });
  const h = await fs.open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    st.mode & 0o7777,
  );
  try {
    await h.writeFile(data);
    await h.chmod(st.mode & 0o7777);
    await h.chown(st.uid, st.gid).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPERM') throw e;
    });
    await h.sync();
  } catch (e) {
    await h.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await h.close();
  await hooks.beforeRename?.(tmp);
  await fs.rename(tmp, file);
  const d = await fs.open(path.dirname(file), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
