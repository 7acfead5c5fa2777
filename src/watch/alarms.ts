// The card's view of its lines, from /proc/net/wanrouter: each device's status (a Disconnected
// device has lost its line) and its T1 alarm block and error counters. The card has no event for
// these, so the daemon reads them every alarm_poll; the link events are the fast path.
import type { Runner } from '../exec/runner.js';
import { parseWanrouterStatus } from '../observe/parse.js';
import { parseDeviceProc } from './parse.js';

export interface DeviceAlarms {
  active: string[];
  counters: Record<string, number>;
}

const ERROR_COUNTER = /crc|error|violation|abort|out of frame/i;

/** Per running device: the alarms on (plus DISCONNECTED) and its error counters. A device not running is left out. */
export async function readAlarms(
  runner: Runner,
  proc: string,
  devices: readonly string[],
): Promise<Map<string, DeviceAlarms>> {
  const out = new Map<string, DeviceAlarms>();
  const status = parseWanrouterStatus(await runner.readFile(`${proc}/status`));
  for (const device of devices) {
    const text = await runner.readFile(`${proc}/${device}`);
    if (text === undefined) continue;
    const p = parseDeviceProc(text);
    const active = p.alarms
      ? Object.entries(p.alarms)
          .filter(([, on]) => on)
          .map(([a]) => a)
      : [];
    if (status?.find((d) => d.name === device)?.status === 'Disconnected') active.push('DISCONNECTED');
    out.set(device, {
      active,
      counters: Object.fromEntries(Object.entries(p.counters).filter(([k]) => ERROR_COUNTER.test(k))),
    });
  }
  return out;
}
