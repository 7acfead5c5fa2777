// A wanpipe driver reads its configuration only when its device starts. When wanbond writes
// DYN_INTR_CFG into the file of a device that is running, the driver keeps the old value until the
// device restarts: wanbond notes that here (per boot), with the ifindexes of the device's
// interfaces then. A restart recreates the interfaces with new ifindexes, which is how wanbond
// tells, without asking the driver, that the driver has read the file since.
import path from 'node:path';
import { readNoFollow, writeNoFollow, ensureSafeDir, removeFile } from '../fsx/safe-files.js';
import type { LinkState, StaleDriver } from './types.js';

export interface DriverStamp {
  /** ifindex of each of the device's interfaces when the file changed under the running driver. */
  ifindexes: Record<string, number>;
  driver: Record<string, 'YES' | 'NO' | undefined>;
  since: string;
  why: string;
}

export interface DriverStamps {
  version: 1;
  bootId: string;
  devices: Record<string, DriverStamp>;
}

const file = (dir: string) => path.join(dir, 'drivers.json');

export async function readStamps(dir: string, bootId: string): Promise<DriverStamps> {
  const empty: DriverStamps = { version: 1, bootId, devices: {} };
  const text = await readNoFollow(file(dir)).catch(() => undefined);
  if (text === undefined) return empty;
  try {
    const s = JSON.parse(text) as DriverStamps;
    if (s.version !== 1 || s.bootId !== bootId || typeof s.devices !== 'object' || s.devices === null) return empty;
    return s;
  } catch {
    return empty; // a damaged note only loses a warning; the next fix writes it anew
  }
}

export async function writeStamps(dir: string, s: DriverStamps): Promise<void> {
  await ensureSafeDir(dir);
  if (Object.keys(s.devices).length === 0) {
    await removeFile(file(dir));
    return;
  }
  await writeNoFollow(file(dir), `${JSON.stringify(s, null, 1)}\n`);
}

/** Devices whose driver still runs the configuration it read before the file changed. Pure. */
export function staleDrivers(s: DriverStamps, links: readonly LinkState[], running: readonly string[]): StaleDriver[] {
  const out: StaleDriver[] = [];
  for (const [device, st] of Object.entries(s.devices)) {
    if (!running.includes(device)) continue;
    const same = Object.entries(st.ifindexes).every(
      ([name, idx]) => links.find((l) => l.name === name)?.ifindex === idx,
    );
    if (same && Object.keys(st.ifindexes).length > 0)
      out.push({ device, driver: st.driver, since: st.since, why: st.why });
  }
  return out.sort((a, b) => a.device.localeCompare(b.device, 'en', { numeric: true }));
}

/** Stamps that still describe a running driver; the rest (device restarted or stopped) are dropped. */
export function pruneStamps(s: DriverStamps, links: readonly LinkState[], running: readonly string[]): DriverStamps {
  const keep = new Set(staleDrivers(s, links, running).map((d) => d.device));
  return { ...s, devices: Object.fromEntries(Object.entries(s.devices).filter(([d]) => keep.has(d))) };
}
