// wanbond's own files under its state dir, which root writes: the dir must be one that no other user
// can plant a link or a file in, and every open refuses to follow a link.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { WanbondError } from '../errors.js';

const euid = () => process.geteuid?.() ?? 0;

/** Creates the state dir if missing (mode 0755), and refuses one that another user could write into or swap. */
export async function ensureSafeDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  // A link on the way counts only if root (or we) made it: a user's link in /tmp could point root anywhere.
  let p: string = path.sep;
  for (const part of abs.split(path.sep).filter(Boolean)) {
    p = path.join(p, part);
    const st = await fs.lstat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw fileError(p, e, 'read the state folder');
    });
    if (st === undefined) break;
    if (st.isSymbolicLink() && st.uid !== 0 && st.uid !== euid()) {
      throw new WanbondError(
        `${p}: a symbolic link owned by uid ${st.uid}: another user could point wanbond's state anywhere`,
        `use a root-owned state folder (default /run/wanbond), or remove the link: rm ${p}`,
      );
    }
  }
  await fs.mkdir(abs, { recursive: true, mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw fileError(abs, e, 'create the state folder');
  });
  // Every folder from the root down must be safe, or a user who owns a parent can swap the child.
  let real: string;
  try {
    real = await fs.realpath(abs);
  } catch (e) {
    throw fileError(abs, e as NodeJS.ErrnoException, 'read the state folder');
  }
  p = path.sep;
  for (const part of ['', ...real.split(path.sep).filter(Boolean)]) {
    p = part === '' ? p : path.join(p, part);
    let st;
    try {
      st = await fs.stat(p);
    } catch (e) {
      throw fileError(p, e as NodeJS.ErrnoException, 'read the state folder');
    }
    if (!st.isDirectory())
      throw new WanbondError(`${p}: not a folder`, `point --state-dir at a folder (default /run/wanbond)`);
    const sticky = (st.mode & 0o1000) !== 0;
    const last = p === real;
    if (st.uid !== 0 && st.uid !== euid()) {
      throw new WanbondError(
        `${p}: owned by uid ${st.uid}, not by root: another user could replace wanbond's state there`,
        `use a root-owned state folder (default /run/wanbond), or: chown root: ${p}`,
      );
    }
    // A sticky world-writable parent (/tmp) is safe for a child folder we own; the state folder itself never.
    if ((st.mode & 0o022) !== 0 && (last || !sticky)) {
      throw new WanbondError(
        `${p}: writable by group or others (mode ${(st.mode & 0o7777).toString(8)}): ` +
          `another user could plant files for root to overwrite`,
        `chmod go-w ${p}, or use another --state-dir`,
      );
    }
  }
}

/** Reads a file without following a link; undefined when it does not exist. */
export async function readNoFollow(file: string): Promise<string | undefined> {
  return (await readNoFollowStat(file))?.text;
}

/** readNoFollow, with the file's modification time. */
export async function readNoFollowStat(file: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  let h;
  try {
    h = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return undefined;
    throw fileError(file, err, 'read');
  }
  try {
    const st = await h.stat();
    if (!st.isFile())
      throw new WanbondError(`${file}: not a regular file`, `remove it (rm -r ${file}); wanbond writes it anew`);
    return { text: await h.readFile('utf8'), mtimeMs: st.mtimeMs };
  } catch (e) {
    if (e instanceof WanbondError) throw e;
    throw fileError(file, e as NodeJS.ErrnoException, 'read');
  } finally {
    await h.close();
  }
}

/**
 * Replaces a file of wanbond's own atomically: a fresh temp file (O_EXCL, never a link), fsync, rename, fsync
 * the folder.
 */
export async function writeNoFollow(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const h = await fs.open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, file);
    const d = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof WanbondError) throw e;
    throw fileError(file, e as NodeJS.ErrnoException, 'write');
  }
}

export async function removeFile(file: string): Promise<void> {
  try {
    const st = await fs.lstat(file);
    if (st.isDirectory())
      throw new WanbondError(`${file}: is a folder, expected wanbond's own file`, `remove it by hand: rm -r ${file}`);
    await fs.rm(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    if (e instanceof WanbondError) throw e;
    throw fileError(file, e as NodeJS.ErrnoException, 'remove');
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'is a symbolic link, which wanbond refuses to follow',
  EEXIST: 'already exists',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOENT: 'does not exist',
};

/** An OS error on one of our files, as an answer: what, where and the fix. */
export function fileError(file: string, e: NodeJS.ErrnoException, verb: string): WanbondError {
  const code = e.code ?? 'error';
  const why = WHY[code] ?? e.message;
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'run wanbond as root'
      : code === 'ELOOP'
        ? `remove the link (rm ${file}); wanbond writes its own files anew`
        : code === 'ENOSPC' || code === 'EDQUOT'
          ? `free space on the file system that holds ${path.dirname(file)}`
          : code === 'EROFS'
            ? `use a writable --state-dir (default /run/wanbond)`
            : `check ${file}`;
  return new WanbondError(`cannot ${verb} ${file}: ${why} (${code})`, hint, { cause: e });
}
