// <state-dir>/health.json: what the watch daemon knows of each line, for `wanbond status`. Written
// whole and atomically on every state change and on a heartbeat, so a reader can tell a daemon that
// stopped answering (old heartbeat) from one that is gone (its pid no longer runs).
import path from 'node:path';
import { ensureSafeDir, readNoFollow, writeNoFollow } from '../fsx/safe-files.js';
import type { LineSummary } from './health.js';

export const HEALTH_FILE = 'health.json';
/** A heartbeat older than this means the daemon is stuck. */
export const HEARTBEAT_MS = 5000;

export interface HealthFile {
  version: 1;
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** Set when the daemon stopped cleanly (SIGTERM): the bond was left as it was. */
  stoppedAt?: string;
  /** The boot it was written in: a daemon starting later in the same boot goes on from its judgement. */
  bootId?: string;
  /** Why the daemon runs no probe at all (no usable ping), or null; absent from daemons before issue 22. */
  probesOff?: string | null;
  bonds: { teql: string; allDown: boolean; lines: LineSummary[] }[];
  /** The daemon's own memory, to see that it stays flat over months. */
  memory: { rssKb: number; heapUsedKb: number };
  /** Ring changes applied since start. */
  actions: number;
  /**
   * Where the daemon serves Prometheus metrics (127.0.0.1:15440, [::1]:15440), null when it does not; absent
   * from daemons before metrics.
   */
  metrics?: string | null;
}

/** What a running daemon judged of one line of a bond; undefined without a running daemon or such a line. */
export function daemonLineOf(view: DaemonView | undefined, teql: string, line: string): LineSummary | undefined {
  if (!view?.running) return undefined;
  return view.file.bonds.find((b) => b.teql === teql)?.lines.find((l) => l.line === line);
}

export async function writeHealthFile(stateDir: string, h: HealthFile): Promise<void> {
  await ensureSafeDir(stateDir);
  await writeNoFollow(path.join(stateDir, HEALTH_FILE), `${JSON.stringify(h, null, 1)}\n`);
}

export type DaemonView =
  | { running: true; file: HealthFile; stale: boolean }
  | { running: false; why: string; file: HealthFile | undefined };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The daemon's view of the lines, or why there is none. */
export async function readDaemonView(stateDir: string, now = Date.now()): Promise<DaemonView> {
  const text = await readNoFollow(path.join(stateDir, HEALTH_FILE)).catch(() => undefined);
  if (text === undefined)
    return { running: false, why: 'no watch daemon has run since boot (wanbond watch)', file: undefined };
  let file: HealthFile;
  try {
    file = JSON.parse(text) as HealthFile;
  } catch {
    return { running: false, why: `${path.join(stateDir, HEALTH_FILE)} is not valid JSON`, file: undefined };
  }
  if (file.stoppedAt) return { running: false, why: `the watch daemon stopped at ${file.stoppedAt}`, file };
  if (!alive(file.pid))
    return {
      running: false,
      why: `the watch daemon (pid ${file.pid}) is gone; it last wrote at ${file.updatedAt}`,
      file,
    };
  return { running: true, file, stale: now - Date.parse(file.updatedAt) > 3 * HEARTBEAT_MS };
}

/**
 * The judgement a previous daemon of this boot left (crashed, killed, or stopped): a daemon starting now goes on
 * from it. Undefined when there is none, when it is from another boot, or when that daemon still runs.
 */
export async function predecessorOf(stateDir: string, bootId: string): Promise<HealthFile | undefined> {
  const v = await readDaemonView(stateDir);
  if (v.running || !v.file || v.file.bootId !== bootId || !Array.isArray(v.file.bonds)) return undefined;
  return v.file;
}
