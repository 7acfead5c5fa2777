// Reads a wanpipe configuration folder from disk. The only file I/O of config/.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WanbondError } from '../errors.js';
import { buildSite, type Site, type SiteInput } from './site.js';

export const DEFAULT_CONF_DIR = '/etc/wanpipe';

async function readLatin1(p: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(p)).toString('latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw new WanbondError(`${p}: is a directory, expected a file`, `remove or rename ${p}`);
    throw e;
  }
}

export async function readSiteInput(confDir: string): Promise<SiteInput> {
  let names: string[];
  try {
    names = await fs.readdir(confDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WanbondError(
      `${confDir}: cannot read the wanpipe configuration folder (${code})`,
      code === 'ENOENT'
        ? `install wanpipe and run wancfg, or point --conf-dir at the folder holding wanpipeN.conf`
        : `check the permissions of ${confDir}`,
    );
  }
  const confFiles = new Map<string, { path: string; text: string }>();
  for (const n of names.filter((x) => /^wanpipe[0-9]*\.conf$/.test(x))) {
    const p = path.join(confDir, n);
    const text = await readLatin1(p);
    if (text !== undefined) confFiles.set(n, { path: p, text });
  }
  const rcPath = path.join(confDir, 'wanrouter.rc');
  const rcText = await readLatin1(rcPath);
  const ipFiles = new Map<string, string>();
  const ifDir = path.join(confDir, 'interfaces');
  for (const n of await fs.readdir(ifDir).catch(() => [] as string[])) {
    const name = n.startsWith('ifcfg-') ? n.slice(6) : n;
    const text = await readLatin1(path.join(ifDir, n));
    if (text !== undefined) ipFiles.set(name, text);
  }
  return { confDir, rc: rcText === undefined ? undefined : { file: rcPath, text: rcText }, confFiles, ipFiles };
}

export async function loadSite(confDir: string): Promise<Site> {
  return buildSite(await readSiteInput(confDir));
}
