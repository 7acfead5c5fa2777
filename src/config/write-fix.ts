// Applies the DYN_INTR_CFG fix to disk: backup, atomic replace. Reads each file again first so an
// edit made since the check is never overwritten.
import { promises as fs } from 'node:fs';
import { WanbondError } from '../errors.js';
import { fileError } from '../fsx/safe-files.js';
import { type AtomicWriteHooks, writeBackup, writeFileAtomic } from '../fsx/atomic-write.js';
import { unifiedDiff } from './diff.js';
import { computeFix, type FixResult } from './fix.js';
import type { Site } from './site.js';

export interface FixPlan {
  results: FixResult[];
  originals: Map<string, string>;
}

export function planFix(site: Site, only?: ReadonlySet<string>): FixPlan {
  const originals = new Map<string, string>();
  const results = site.files.map((fm) => {
    originals.set(fm.file, fm.lexed.lines.map((l) => l.text + l.eol).join(''));
    return computeFix(fm, only);
  });
  return { results, originals };
}

export function fixDiff(p: FixPlan): string {
  return p.results.map((r) => unifiedDiff(r.file, p.originals.get(r.file) ?? '', r.text)).join('');
}

async function assertFileUnchanged(p: FixPlan, file: string, readFrom = file): Promise<void> {
  const onDisk = (await fs.readFile(readFrom)).toString('latin1');
  if (onDisk !== p.originals.get(file))
    throw new WanbondError(`${file}: changed on disk while wanbond was working on it`, 'run the command again');
}

/** Refuses when a file changed on disk since the fix was planned from it. */
export async function assertUnchanged(p: FixPlan): Promise<void> {
  for (const r of p.results) if (r.changes.length > 0) await assertFileUnchanged(p, r.file);
}

export interface WrittenFix {
  file: string;
  backup: string /** The file really written when `file` is a symbolic link. */;
  target: string;
}

export async function writeFix(p: FixPlan, hooks: AtomicWriteHooks = {}): Promise<WrittenFix[]> {
  const written: WrittenFix[] = [];
  for (const r of p.results) {
    if (r.changes.length === 0) continue;
    // A configuration kept elsewhere and linked into /etc/wanpipe is edited where it lives: replacing
    // the link with a file would leave the real configuration unfixed.
    let target: string;
    try {
      target = await fs.realpath(r.file);
    } catch (e) {
      throw fileError(r.file, e as NodeJS.ErrnoException, 'resolve');
    }
    await assertFileUnchanged(p, r.file, target);
    const backup = await writeBackup(target);
    await writeFileAtomic(target, Buffer.from(r.text, 'latin1'), hooks);
    written.push({ file: r.file, backup, target });
  }
  return written;
}
