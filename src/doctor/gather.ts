// The reads doctor needs beyond the engine's observation, all through the Runner: the cards' alarms
// and the links' counters twice, `windowMs` apart (rising errors and who carries the traffic need
// two readings; the engine's observation is the first), link kinds (with the second reading of the
// counters: one ip process), the kernel's version files, the daemon's health file. A read that
// fails leaves its fact unknown: the rules that need it say nothing rather than guess.
import type { Context } from '../cli/context.js';
import { removedBonds } from '../cli/commands/engine.js';
import { orphanTeardown, unrecordedBonds } from '../plan/orphans.js';
import { readRecord } from '../state/record.js';
import { depHas, parseLinks } from '../observe/parse.js';
import { modulesDirOf } from '../observe/read.js';
import { readAlarms } from '../watch/alarms.js';
import { readDaemonView } from '../watch/health-file.js';
import type { DoctorInput, KernelFacts, Sample } from './input.js';

export interface GatherOptions {
  windowMs: number;
  /** Injected by tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `ip -j -d link show` -> interface -> its kind (veth, tun, vlan; '' for a plain device). */
export function parseLinkKinds(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const v: unknown = JSON.parse(text.trim() || '[]');
  if (!Array.isArray(v)) return out;
  for (const l of v as Record<string, unknown>[]) {
    const info = l['linkinfo'] as { info_kind?: unknown } | undefined;
    if (typeof l['ifname'] === 'string') out[l['ifname']] = typeof info?.info_kind === 'string' ? info.info_kind : '';
  }
  return out;
}

async function kernelFacts(ctx: Context): Promise<KernelFacts> {
  const r = ctx.runner;
  const quiet = (p: string) => r.readFile(p).catch(() => undefined);
  const release = (await quiet('/proc/sys/kernel/osrelease'))?.trim();
  const modulesDir = modulesDirOf(release);
  const [procVersion, signature, osRelease, dep] = await Promise.all([
    quiet('/proc/version'),
    quiet('/proc/version_signature'),
    quiet('/etc/os-release'),
    modulesDir ? quiet(`${modulesDir}/modules.dep`) : Promise.resolve(undefined),
  ]);
  return {
    release,
    procVersion,
    signature,
    osRelease,
    teqlModule: dep === undefined ? undefined : depHas(dep, 'sch_teql'),
  };
}

export async function gather(ctx: Context, o: GatherOptions): Promise<DoctorInput> {
  const now = o.now ?? Date.now;
  const r = ctx.runner;
  const t0 = now();
  // A record that cannot be read names no removed bond; doctor judges the rest.
  const readSteps = async () =>
    (await readRecord(ctx.stateDir, await ctx.bootId(), await ctx.bootTimeMs())).record.steps;
  const record = await readSteps().catch(() => []);
  const { orphans, observe } = removedBonds(ctx, { version: 2, bootId: '', steps: record });
  const observed = await observe({ ipv6: true });
  const removal = orphanTeardown(orphans, observed).steps;
  const running = new Set((observed.wanrouterDevices ?? []).map((d) => d.name));
  const devices = ctx.desired.wanpipeDevices.map((d) => d.name).filter((d) => running.has(d));
  const alarms = async () => Object.fromEntries(await readAlarms(r, ctx.wanrouterProc, devices).catch(() => new Map()));
  const [alarms0, kernel, daemon] = await Promise.all([alarms(), kernelFacts(ctx), readDaemonView(ctx.stateDir)]);
  const before: Sample = { atMs: t0, links: observed.links, alarms: alarms0 };
  await (o.sleep ?? realSleep)(o.windowMs);
  const [text, alarms1] = await Promise.all([
    r.read({ file: 'ip', args: ['-j', '-s', '-d', 'link', 'show'] }),
    alarms(),
  ]);
  const after: Sample = { atMs: Math.max(t0 + o.windowMs, now()), links: parseLinks(text), alarms: alarms1 };
  let linkKinds: Record<string, string> | undefined;
  try {
    linkKinds = parseLinkKinds(text);
  } catch {
    linkKinds = undefined;
  }
  // Whether each slave resolved a DSL site's shared gateway: its own router must answer its ARP.
  let neighbours: DoctorInput['neighbours'];
  if (ctx.desired.bonds.some((b) => b.gateway)) {
    try {
      neighbours = (
        JSON.parse(await r.read({ file: 'ip', args: ['-j', 'neigh', 'show'] })) as {
          dst?: unknown;
          dev?: unknown;
          state?: unknown;
        }[]
      ).flatMap((n) =>
        typeof n.dst === 'string' && typeof n.dev === 'string'
          ? [{ dst: n.dst, dev: n.dev, state: Array.isArray(n.state) ? n.state.map(String) : [] }]
          : [],
      );
    } catch {
      neighbours = undefined;
    }
  }
  return {
    settings: ctx.settings,
    site: ctx.site,
    desired: ctx.desired,
    observed,
    before,
    after,
    linkKinds,
    kernel,
    daemon,
    wanrouterProc: ctx.wanrouterProc,
    ...(neighbours ? { neighbours } : {}),
    ...(removal.length > 0 ? { removed: { bonds: orphans.bonds, steps: removal } } : {}),
    unrecorded: unrecordedBonds(record, ctx.desired, observed),
  };
}
