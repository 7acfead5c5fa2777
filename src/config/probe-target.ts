// The far end a line's probe asks: `probe.<line>` in [watch] (an address, or none), else POINTOPOINT
// of the wanpipe interfaces/<line> file, else the kernel's peer address of the line. One rule for
// the watch daemon and for doctor, which must say whether a line is probed. Pure.
import { isIpv4 } from '../net/ipv4.js';
import type { Settings } from './settings-types.js';
import type { Site } from './site.js';

export function probeTarget(
  settings: Settings,
  site: Site | undefined,
  line: string,
  kernelPeer?: string,
): string | undefined {
  const set = settings.watch.probes[line];
  if (set === null) return undefined;
  if (set !== undefined) return set;
  const p = site?.ipFiles.get(line)?.pointopoint;
  if (p && isIpv4(p)) return p;
  return kernelPeer;
}
