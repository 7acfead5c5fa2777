// Everything the doctor's rules judge: what the engine reads (settings, wanpipe site, observed
// kernel), the card's alarms and the links' counters at two moments, the daemon's view, and the few
// facts about the kernel the rules need. gather.ts fills it; tests build it by hand. Data and pure
// lookups only.
import type { Settings } from '../config/settings-types.js';
import type { Site } from '../config/site.js';
import type { Interface } from '../config/wanpipe.js';
import { probeTarget } from '../config/probe-target.js';
import type { Step } from '../plan/steps.js';
import type { DesiredBond, DesiredState, LinkState, ObservedState } from '../state/types.js';
import type { DeviceAlarms } from '../watch/alarms.js';
import { daemonLineOf, type DaemonView } from '../watch/health-file.js';
import type { LineSummary } from '../watch/health.js';

/** One reading of the links' counters and the cards' alarms. */
export interface Sample {
  atMs: number;
  links: LinkState[];
  /** Per running wanpipe device of a bond: alarms on and error counters (running totals). */
  alarms: Record<string, DeviceAlarms>;
}

export interface KernelFacts {
  /** /proc/sys/kernel/osrelease (`uname -r`). */
  release: string | undefined;
  /** /proc/version: Debian kernels name their upstream version there ("Debian 6.1.76-1"). */
  procVersion: string | undefined;
  /** /proc/version_signature: Ubuntu's ("Ubuntu 5.15.0-91.101-generic 5.15.131"). */
  signature: string | undefined;
  /** /etc/os-release, for the distribution's package names in a fix. */
  osRelease: string | undefined;
  /** modules.dep of the running kernel lists sch_teql; undefined when it could not be read. */
  teqlModule: boolean | undefined;
}

export interface DoctorInput {
  settings: Settings;
  site: Site | undefined;
  desired: DesiredState;
  /** The engine's observation (`before.links` are its links). */
  observed: ObservedState;
  before: Sample;
  after: Sample;
  /** Link kind per interface (`ip -d`: veth, tun, ...; '' for none); undefined when it could not be read. */
  linkKinds: Record<string, string> | undefined;
  kernel: KernelFacts;
  daemon: DaemonView;
  wanrouterProc: string;
  /** `ip -j neigh show`, read where a bond has a gateway (a DSL-router site); undefined otherwise. */
  neighbours?: { dst: string; dev: string; state: string[] }[];
  /** Bonds this boot's record holds that the settings no longer have, and what `up` would run to take them down. */
  removed?: { bonds: string[]; steps: Step[] };
  /** What looks like a bond of wanbond's that neither the settings nor the record name (plan/orphans.ts). */
  unrecorded?: string[];
}

export const linkOf = (links: readonly LinkState[], name: string): LinkState | undefined =>
  links.find((l) => l.name === name);
export const isUp = (l: LinkState | undefined): boolean => l?.flags.includes('UP') === true;
export const hasCarrier = (l: LinkState | undefined): boolean => l?.flags.includes('LOWER_UP') === true;

export const siteIface = (x: DoctorInput, name: string): Interface | undefined =>
  x.site?.interfaces.find((i) => i.name === name);

/** The interface wanpipemon's -i takes: the hardware channel (w1g1) of a LIP interface (w1g1ppp). */
export const monitorIface = (i: Interface): string => i.parent ?? i.name;

/** The bond whose slave this line is. */
export const bondOfLine = (x: DoctorInput, line: string): DesiredBond | undefined =>
  x.desired.bonds.find((b) => b.slaves.some((s) => s.name === line));

/** Bonded lines that a wanpipe device creates. */
export const linesOfDevice = (x: DoctorInput, device: string): string[] =>
  x.desired.wanpipeDevices.find((d) => d.name === device)?.slaves ?? [];

export { enslaved } from '../bonds/teql/enslaved.js';

/** What the running daemon judges of a line; undefined without a running daemon. */
export const daemonLine = (x: DoctorInput, teql: string, line: string): LineSummary | undefined =>
  daemonLineOf(x.daemon, teql, line);

/** The far end the configuration gives this line's probe (as the daemon chooses it). */
export const configuredProbe = (x: DoctorInput, line: string): string | undefined =>
  probeTarget(x.settings, x.site, line, x.observed.addrs.find((a) => a.dev === line && a.peer)?.peer);

/** The far end the watch daemon probes on this line: what the running daemon says, else what it would choose. */
export function probeOf(x: DoctorInput, teql: string, line: string): string | undefined {
  const seen = daemonLine(x, teql, line);
  return seen ? (seen.probe ?? undefined) : configuredProbe(x, line);
}

/** Counter growth between the two samples; undefined when the interface was missing or recreated meanwhile. */
export function delta(x: DoctorInput, line: string, key: keyof NonNullable<LinkState['stats']>): number | undefined {
  const la = linkOf(x.before.links, line),
    lb = linkOf(x.after.links, line);
  if (!la?.stats || !lb?.stats || la.ifindex !== lb.ifindex) return undefined;
  return Math.max(0, lb.stats[key] - la.stats[key]);
}

export const windowMs = (x: DoctorInput): number => Math.max(0, x.after.atMs - x.before.atMs);
