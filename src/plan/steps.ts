// Steps are data. toCommand() is the only place an argv is spelled; inverse() gives each step's undo. Pure.
import { InternalError } from '../errors.js';
import type { Command } from '../exec/runner.js';
import { toSlashKey } from '../net/ipv4.js';
import { routeArgs, type RouteSpec } from './route.js';
import {
  hex,
  NFT_FAMILY,
  NFT_TABLE,
  stripeUpdate,
  tableRuleset,
  type WeightedBondRules,
} from '../bonds/weighted/ruleset.js';
import { ruleArgs, type PolicyRule } from '../net/rules.js';
import { stepType, type KindStep } from './step-types.js';

export type { RouteSpec } from './route.js';

export type Step =
  | { kind: 'fix-config'; ifaces: string[] }
  | { kind: 'wanrouter-start'; device: string } // 'all' starts every device in WAN_DEVICES
  | { kind: 'wanrouter-stop'; device: string }
  /** The driver reads its configuration only when the device starts: restart it so a fixed file takes effect. */
  | { kind: 'restart-device'; device: string; slaves: string[] }
  | { kind: 'wait-links'; devs: string[]; timeoutMs: number }
  | { kind: 'load-module'; maxEqualizers: number }
  | { kind: 'unload-module' }
  | { kind: 'set-mtu'; dev: string; mtu: number; was: number }
  /** Holds the bond's transmit queue (a plug qdisc as teqlN's root) while its slave list changes. */
  | { kind: 'hold-bond'; teql: string }
  | { kind: 'release-bond'; teql: string }
  | { kind: 'attach-slave'; dev: string; teql: string }
  | { kind: 'detach-slave'; dev: string; teql: string }
  | { kind: 'set-link-up'; dev: string }
  | { kind: 'set-link-down'; dev: string }
  | {
      kind: 'add-address';
      dev: string;
      cidr: string /** A real address (a bond with a gateway): its prefix is routed. */;
      prefixRoute?: boolean;
    }
  | { kind: 'del-address'; dev: string; cidr: string }
  | { kind: 'del-route'; route: RouteSpec }
  | { kind: 'replace-route'; route: RouteSpec; was: RouteSpec | undefined }
  | { kind: 'restore-route'; route: RouteSpec; replaced: RouteSpec }
  | { kind: 'set-sysctl'; key: string; value: string; was: string }
  // Weighted bonds (src/bonds/weighted): a dummy device for the bond's address, wanbond's nftables table
  // (one transaction), a bond's draw rewritten (one transaction), the fwmark rules.
  | { kind: 'create-dummy'; dev: string }
  | { kind: 'delete-link'; dev: string }
  /** The whole table; `replaced`: an older copy of it was there (what the plan listing says). */
  | { kind: 'nft-table'; bonds: WeightedBondRules[]; replaced: boolean }
  | { kind: 'nft-delete-table' }
  /** One bond's draw: from the lines `bond.inRing`, where it drew from `wasInRing`. */
  | { kind: 'nft-stripe'; bond: WeightedBondRules; wasInRing: string[] }
  /** A per-connection bond's uplink left the draw: its connections (by their mark) are deleted from conntrack. */
  | { kind: 'conntrack-flush'; bond: string; dev: string; mark: number }
  | { kind: 'add-rule'; rule: PolicyRule }
  | { kind: 'del-rule'; rule: PolicyRule }
  /** A step of a kind's own (plan/step-types.ts). */
  | KindStep;

export type StepKind = Step['kind'];

export interface Plan {
  version: 1;
  steps: Step[];
}

/** The plug's handle: a fixed one, so wanbond recognises its own hold. */
export const HOLD_HANDLE = 'eb0d:';

/** A step that holds or releases a bond's queue: bookkeeping around slave changes, not a change itself. */
export const isHoldStep = (s: Step): boolean => s.kind === 'hold-bond' || s.kind === 'release-bond';

/** A root qdisc that is wanbond's hold on a bond. */
export const isHold = (q: { kind: string; handle: string; root: boolean }): boolean =>
  q.root && q.kind === 'plug' && q.handle === HOLD_HANDLE;

/** The command a step runs; undefined for steps wanbond performs itself (config edit, waiting). */
export function toCommand(s: Step): Command | undefined {
  switch (s.kind) {
    case 'fix-config':
      return undefined;
    case 'wait-links':
      return undefined;
    // `wanrouter start A B` would read B as an interface of A: one device per call, or all.
    case 'wanrouter-start':
      return { file: 'wanrouter', args: s.device === 'all' ? ['start'] : ['start', s.device] };
    case 'wanrouter-stop':
      return { file: 'wanrouter', args: s.device === 'all' ? ['stop'] : ['stop', s.device] };
    case 'restart-device':
      return { file: 'wanrouter', args: ['restart', s.device] };
    case 'load-module':
      return { file: 'modprobe', args: ['sch_teql', `max_equalizers=${s.maxEqualizers}`] };
    case 'unload-module':
      return { file: 'modprobe', args: ['-r', 'sch_teql'] };
    case 'set-mtu':
      return { file: 'ip', args: ['link', 'set', 'dev', s.dev, 'mtu', String(s.mtu)] };
    // A fresh plug holds every packet until released; grafting the root waits for transmits in flight. `add`,
    // not `replace`: the kernel refuses it over a root qdisc someone set (EEXIST) instead of throwing that away,
    // so a hold planned from a read that went stale (the daemon's cached one) changes nothing it should not.
    case 'hold-bond':
      return { file: 'tc', args: ['qdisc', 'add', 'dev', s.teql, 'root', 'handle', HOLD_HANDLE, 'plug'] };
    case 'release-bond':
      return { file: 'tc', args: ['qdisc', 'del', 'dev', s.teql, 'root', 'handle', HOLD_HANDLE] };
    case 'attach-slave':
      return { file: 'tc', args: ['qdisc', 'replace', 'dev', s.dev, 'root', s.teql] };
    // Named: the kernel deletes the root only if it is this bond's (else EINVAL, "Invalid qdisc name").
    case 'detach-slave':
      return { file: 'tc', args: ['qdisc', 'del', 'dev', s.dev, 'root', s.teql] };
    case 'set-link-up':
      return { file: 'ip', args: ['link', 'set', 'dev', s.dev, 'up'] };
    case 'set-link-down':
      return { file: 'ip', args: ['link', 'set', 'dev', s.dev, 'down'] };
    // noprefixroute: the fake /31 must not route; without it the kernel re-adds the route at every link up.
    case 'add-address':
      return { file: 'ip', args: ['addr', 'add', s.cidr, 'dev', s.dev, ...(s.prefixRoute ? [] : ['noprefixroute'])] };
    case 'del-address':
      return { file: 'ip', args: ['addr', 'del', s.cidr, 'dev', s.dev] };
    case 'del-route':
      return { file: 'ip', args: ['route', 'del', ...routeArgs(s.route)] };
    case 'replace-route':
      return { file: 'ip', args: ['route', 'replace', ...routeArgs(s.route)] };
    case 'restore-route':
      return { file: 'ip', args: ['route', 'replace', ...routeArgs(s.route)] };
    case 'set-sysctl':
      return { file: 'sysctl', args: ['-q', '-w', `${toSlashKey(s.key)}=${s.value}`] };
    case 'create-dummy':
      return { file: 'ip', args: ['link', 'add', 'dev', s.dev, 'type', 'dummy'] };
    case 'delete-link':
      return { file: 'ip', args: ['link', 'del', 'dev', s.dev] };
    case 'nft-table':
      return { file: 'nft', args: ['-f', '-'], input: tableRuleset(s.bonds) };
    case 'nft-delete-table':
      return { file: 'nft', args: ['delete', 'table', NFT_FAMILY, NFT_TABLE] };
    case 'nft-stripe':
      return { file: 'nft', args: ['-f', '-'], input: stripeUpdate(s.bond) };
    case 'conntrack-flush':
      return { file: 'conntrack', args: ['-D', '--mark', hex(s.mark)] };
    case 'add-rule':
      return { file: 'ip', args: ['rule', 'add', ...ruleArgs(s.rule)] };
    case 'del-rule':
      return { file: 'ip', args: ['rule', 'del', ...ruleArgs(s.rule)] };
    case 'kind-step':
      return stepType(s).command(s);
  }
}

export function inverse(s: Step): Step | undefined {
  switch (s.kind) {
    case 'fix-config':
      return undefined; // the edit is a fix worth keeping; the backup is beside the file
    case 'wait-links':
      return undefined;
    case 'restart-device':
      return undefined; // the device runs again, now with its file's configuration
    case 'wanrouter-start':
      return { kind: 'wanrouter-stop', device: s.device };
    case 'load-module':
      return { kind: 'unload-module' };
    case 'set-mtu':
      return { kind: 'set-mtu', dev: s.dev, mtu: s.was, was: s.mtu };
    case 'hold-bond':
      return { kind: 'release-bond', teql: s.teql };
    case 'release-bond':
      return undefined; // it closes a hold; the pair changed nothing
    case 'attach-slave':
      return { kind: 'detach-slave', dev: s.dev, teql: s.teql };
    // A line taken out for a device restart goes back if the restart is rolled back.
    case 'detach-slave':
      return { kind: 'attach-slave', dev: s.dev, teql: s.teql };
    case 'set-link-up':
      return { kind: 'set-link-down', dev: s.dev };
    case 'add-address':
      return { kind: 'del-address', dev: s.dev, cidr: s.cidr };
    case 'del-route':
      return undefined; // the connected route of our own fake address: gone with the address
    case 'replace-route':
      return s.was ? { kind: 'restore-route', route: s.was, replaced: s.route } : { kind: 'del-route', route: s.route };
    case 'set-sysctl':
      return { kind: 'set-sysctl', key: s.key, value: s.was, was: s.value };
    case 'create-dummy':
      return { kind: 'delete-link', dev: s.dev };
    // The table is wanbond's alone: undone, it goes, even one that replaced an older copy. Until the
    // next `up`, the bonds' packets then go unmarked, by main's weighted multipath route, per flow.
    case 'nft-table':
      return { kind: 'nft-delete-table' };
    case 'nft-stripe':
      return { kind: 'nft-stripe', bond: { ...s.bond, inRing: s.wasInRing }, wasInRing: [...s.bond.inRing] };
    case 'add-rule':
      return { kind: 'del-rule', rule: s.rule };
    case 'conntrack-flush':
      return undefined; // those connections are gone; they do not come back
    case 'kind-step':
      return stepType(s).inverse(s);
    case 'wanrouter-stop':
    case 'unload-module':
    case 'set-link-down':
    case 'del-address':
    case 'restore-route':
    case 'delete-link':
    case 'nft-delete-table':
    case 'del-rule':
      throw new InternalError(`${s.kind} is itself an undo step`);
  }
}

/**
 * A cleanup that may fail without undoing the change it follows, with what its failure leaves: a
 * dead uplink's connections flushed once it left the draw (an entry that expired meanwhile makes
 * `conntrack -D` exit 1). Its failure is reported; a rollback would put the dead uplink back.
 */
export function bestEffort(s: Step): string | undefined {
  if (s.kind !== 'conntrack-flush') return undefined;
  return `${s.dev} stays out of the draw, and its connections may hang until they time out`;
}

/** A change no undo gives back (closed connections): a rollback names it rather than claim all is as it was. */
export const isIrreversible = (s: Step): boolean => s.kind === 'conntrack-flush';

/**
 * A failed command that did all its step asked: `conntrack -D` exits 1 when no entry matched (an
 * uplink that carried no connection when it died), which leaves exactly what the step wants.
 */
export function meansDone(s: Step, exitCode: number | undefined, stderr: string): boolean {
  return s.kind === 'conntrack-flush' && exitCode === 1 && /\b0 flow entries have been deleted/.test(stderr);
}

/** One line for humans: plan listings, verify errors, logs. */
export function describe(s: Step): string {
  switch (s.kind) {
    case 'fix-config':
      return `set DYN_INTR_CFG = YES for ${s.ifaces.join(', ')} (backup + atomic write)`;
    case 'wait-links':
      return `wait up to ${s.timeoutMs / 1000}s for ${s.devs.join(', ')} to appear`;
    case 'wanrouter-start':
      return `start ${s.device === 'all' ? 'every wanpipe device' : s.device}`;
    case 'wanrouter-stop':
      return `stop ${s.device === 'all' ? 'every wanpipe device' : s.device}`;
    case 'restart-device':
      return `restart ${s.device} so its driver reads the fixed configuration (${s.slaves.join(', ')} out meanwhile)`;
    case 'load-module':
      return `load sch_teql with ${s.maxEqualizers} equalizer${s.maxEqualizers > 1 ? 's' : ''}`;
    case 'unload-module':
      return 'unload sch_teql';
    case 'set-mtu':
      return `${s.dev}: mtu ${s.was} -> ${s.mtu}`;
    case 'hold-bond':
      return `${s.teql}: hold the queue while its slaves change`;
    case 'release-bond':
      return `${s.teql}: release the queue`;
    case 'attach-slave':
      return `${s.teql}: enslave ${s.dev}`;
    case 'detach-slave':
      return `${s.teql}: release ${s.dev}`;
    case 'set-link-up':
      return `${s.dev}: up`;
    case 'set-link-down':
      return `${s.dev}: down`;
    case 'add-address':
      return `${s.dev}: address ${s.cidr}`;
    case 'del-address':
      return `${s.dev}: remove address ${s.cidr}`;
    case 'del-route':
      return `route ${routeArgs(s.route).join(' ')}: remove`;
    case 'replace-route':
      return `route ${routeArgs(s.route).join(' ')}${s.was ? ` (replacing ${routeArgs(s.was).join(' ')})` : ''}`;
    case 'restore-route':
      return `route ${routeArgs(s.route).join(' ')}: restore`;
    case 'set-sysctl':
      return `${s.key}: ${s.was} -> ${s.value}`;
    case 'create-dummy':
      return `${s.dev}: create (dummy device for the bond's address)`;
    case 'delete-link':
      return `${s.dev}: delete`;
    case 'nft-table':
      return `nftables: ${s.replaced ? 'replace' : 'create'} table ${NFT_FAMILY} ${NFT_TABLE}`;
    case 'nft-delete-table':
      return `nftables: delete table ${NFT_FAMILY} ${NFT_TABLE}`;
    case 'nft-stripe':
      return (
        `${s.bond.bond}: draw from ${s.bond.inRing.join(', ') || 'no line'} ` +
        `(was ${s.wasInRing.join(', ') || 'no line'})`
      );
    case 'conntrack-flush':
      return `${s.bond}: flush ${s.dev}'s connections from conntrack (mark ${hex(s.mark)})`;
    case 'add-rule':
      return `ip rule ${ruleArgs(s.rule).join(' ')}`;
    case 'del-rule':
      return `ip rule ${ruleArgs(s.rule).join(' ')}: remove`;
    case 'kind-step':
      return stepType(s).describe(s);
  }
}

/** A shell-safe rendering of an argv, for `--dry-run` output people paste. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
