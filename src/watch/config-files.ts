// The configuration files the daemon reloads on: the settings file and the wanpipe directory, watched
// where they will be, not only where they are (a settings file created after the start, on the
// built-in defaults, is seen), and watched again after each reload (a reload may change the paths).
// Bursts of changes are one reload: editors write a temporary file and rename it, and wanbond's own
// DYN_INTR_CFG edit does the same.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { Log } from '../log.js';

/** A change is acted on once the files have been quiet this long. */
export const RELOAD_QUIET_MS = 500;

/** The longest the first scan of the watched folders is waited for. */
const READY_MS = 5000;

const OURS = /\.wanbond-(tmp-\d+|\d+T\d+Z\.bak(\.\d+)?)$|\.wanbond-[0-9TZ]+\.bak/;

export class ConfigFiles {
  private files: FSWatcher | undefined;
  private watching = '';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: { log: Log; changed: (why: string) => void; quietMs?: number }) {}

  /** Watches these paths (files or directories, existing or not); the same set again is a no-op. */
  async watch(paths: readonly string[]): Promise<void> {
    const key = [...paths].sort().join('\n');
    if (this.closed || key === this.watching) return;
    await this.stopWatching();
    if (this.closed) return;
    this.watching = key;
    if (paths.length === 0) return;
    // A path is watched from its nearest existing folder above it: its creation (and its folder's) is seen.
    // Only the paths, what is under them and the folders above them are looked at.
    const targets = paths.map((p) => path.resolve(p));
    // From the folder above each: a file deleted and created again (or a folder replaced) is still seen.
    const roots = [...new Set(await Promise.all(targets.map((t) => nearestExisting(path.dirname(t)))))];
    // Closed while the folders were looked up: no watcher may outlive close() (it would keep the process alive).
    if (this.closed) return;
    const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}${path.sep}`);
    const relevant = (p: string) => targets.some((t) => under(p, t) || under(t, p));
    const wanted = (p: string) => targets.some((t) => under(p, t));
    const w = chokidarWatch(roots, {
      ignoreInitial: true,
      atomic: true,
      awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
      depth: 4,
      ignored: (p: string) => OURS.test(p) || !relevant(path.resolve(p)),
    });
    this.files = w;
    w.on('all', (ev, p) => {
      if (this.closed || !wanted(path.resolve(p))) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.o.changed(`${ev} ${p}`);
      }, this.o.quietMs ?? RELOAD_QUIET_MS);
    });
    w.on('error', (e) => this.o.log.error({ err: e }, 'watching the configuration files failed'));
    // What changes before the first scan is done would pass for what was there: wait for it, to a bound (a
    // hung file system must not hold up the daemon).
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, READY_MS);
      w.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (this.closed && this.files === w) await this.stopWatching();
  }

  private async stopWatching(): Promise<void> {
    const w = this.files;
    this.files = undefined;
    this.watching = '';
    await w?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.stopWatching();
  }
}

async function nearestExisting(p: string): Promise<string> {
  for (let at = p; ; at = path.dirname(at)) {
    if (
      await fs.stat(at).then(
        () => true,
        () => false,
      )
    )
      return at;
    if (path.dirname(at) === at) return at;
  }
}
