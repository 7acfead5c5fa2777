// What a bond kind is to the rest of wanbond: one object per kind (src/bonds/<kind>/kind.ts), listed
// once in src/bonds/registry.ts. Shared code (observe, status, doctor, the daemon's ring) asks the
// bond's kind instead of testing its name, so a new kind is a folder and a registry line.
// docs/BONDS.md describes each member and what is still planned outside this interface. Pure.
import type { Finding } from '../doctor/finding.js';
import type { DoctorInput } from '../doctor/input.js';
import type { Entry } from '../config/lex.js';
import type { Claims } from '../net/claims.js';
import type { BondSettings } from '../config/settings-types.js';
import type { Site } from '../config/site.js';
import type { StepType } from '../plan/step-types.js';
import type { Step } from '../plan/steps.js';
import type { DesiredBond, DesiredState, ObservedState } from '../state/types.js';

/** A kind's name: what `mode =` and DesiredBond.kind say. */
export type KindName = string;

/** What observe must read for a kind's bonds beyond links, addresses, main's routes, qdiscs and sysctls. */
export interface KindReads {
  /** wanbond's routing tables the bonds use (read with the ip rules). */
  tables: number[];
  /** wanbond's nftables table. */
  nft: boolean;
  /** Whether the conntrack program is there. */
  conntrack: boolean;
}

/** A bond in the kernel: there at all, up, and if not, why (status, the daemon's ring). */
export interface BondPresence {
  present: boolean;
  up: boolean;
  /** Why the daemon leaves a bond that is not up alone. */
  why: string;
}

/** A line in its bond now (enslaved, or drawn), and its share of the bond's draw where there is one. */
export interface Membership {
  in: boolean;
  draw: number | null;
}

export interface BondKind {
  readonly name: KindName;
  /** Its settings sections are [<prefix>N]: sch_teql owns the names teqlN, so each kind has its own. */
  readonly prefix: string;
  /** Said of a bond after its name in status: '' for none. */
  label(b: { balance: 'weight' | 'load' | null }): string;
  /**
   * The bond's own device holds its address (teqlN, a weighted bond's dummy). Without one (a
   * per-connection bond), its lines keep the addresses their providers gave them.
   */
  readonly ownDevice: boolean;
  /** What status heads a line's membership with. */
  readonly memberWord: 'enslaved' | 'drawn';
  /** status shows each line's share of the draw rather than 'yes' (the daemon's measured load redraws it). */
  readonly drawShown: boolean;
  /** What status says of a bond that is not there. */
  readonly absent: string;
  /** What the daemon's all-lines-down message says of the lines kept in. */
  readonly allDown: string;
  /** What a line the daemon cannot see fail still gets (doctor's watch.no-probe-target). */
  readonly unseenShare: string;
  /** Where a probe must aim when the link stays up while what is beyond it dies; undefined: its far end. */
  probeBeyond(b: DesiredBond): 'router' | 'provider' | undefined;
  /**
   * The mark the daemon's ping of this line sets (`ping -m`), for a line whose probe's answer may come back by
   * another line (a DSL-router site); undefined: the ping is bound to the line (`ping -I`).
   */
  probeMark?(b: DesiredBond, line: string): number | undefined;
  /**
   * The kind's own part of a desired bond (weights, uplinks), from its settings section and its lines
   * (sorted by name, unless the kind keeps the order written).
   */
  desired(b: BondSettings, lines: readonly string[], site: Site | undefined, settingsFile: string): KindDesired;
  /**
   * The lines keep the order written in the settings: an uplink added at the end leaves the others' marks as
   * they were.
   */
  readonly keepsLineOrder: boolean;
  /** wanbond's nftables table draws the bond's lines (it needs a working nft, and a firewall reload removes it). */
  readonly drawnByNft: boolean;
  /** Its own reads for these bonds (wanbond's nftables table is read for every kind drawnByNft). */
  reads(bonds: readonly DesiredBond[]): Omit<KindReads, 'nft'>;
  presence(b: DesiredBond, o: ObservedState): BondPresence;
  /**
   * For the daemon: why the bond is not up, or undefined when it is. `recorded`: the bonds whose
   * nftables draw wanbond's record of this boot holds (the kernel's table is no witness: a firewall
   * reload removes it, not the bond).
   */
  notUp(b: DesiredBond, o: ObservedState, recorded: ReadonlySet<string>): string | undefined;
  member(b: DesiredBond, o: ObservedState, line: string): Membership;
  /** Lines held out of the bond for a problem of their own (an uplink without its address), with what to say. */
  heldOut(b: DesiredBond, o: ObservedState, settingsFile: string): HeldLine[];
  /** Main routes `to` over this bond as wanbond sets it. */
  routed(b: DesiredBond, o: ObservedState, to: string): boolean;
  addressPresent(b: DesiredBond, o: ObservedState): boolean;
  /** An address change on one of its lines can change its plan (a per-connection uplink's SNAT address). */
  readonly watchesAddresses: boolean;
  /** The kernel's TEQL (sch_teql) carries the bond: the module, its equalizers and its bugs concern it. */
  readonly needsTeql: boolean;
  /** doctor: one bond's findings, in doctor's sections (each in the order the sections run). */
  readonly doctor: { bond: BondRule; routes: BondRule; traffic: BondRule };
  /**
   * Plans the kind's bonds. Kinds that share a piece of the kernel (the bonds wanbond's nftables table
   * draws) share one planner object, which then plans all their bonds at once.
   */
  readonly planner: KindPlanner;
  /** Its part in reading its settings section. */
  readonly settings: KindSettings;
  /** Step types of its own (plan/step-types.ts); the three first kinds use the engine's steps. */
  readonly steps?: readonly StepType[];
  /** What undoing its steps needs beyond each step's inverse (`down`, a bond's removal). */
  readonly undo?: KindUndo;
  /** How the record's steps are traced back to its bonds: a bond's removal (plan/orphans.ts). */
  readonly traces: KindTraces;
  /** The routing tables, rule priorities and marks it takes (the registry refuses overlapping claims). */
  readonly claims: Claims;
}

export interface KindUndo {
  /** What `down` runs first: what a killed wanbond left behind on its bonds. */
  leftovers(o: ObservedState): Step[];
  /** The undo steps (newest first) in the order its kernel objects accept them. */
  order(steps: Step[]): Step[];
}

export interface KindTraces {
  /** The groups of what its bonds share with others: it goes with the last configured bond of a group. */
  readonly groups: readonly string[];
  /** The index of its bond whose routing table this is; undefined when it is none of its. */
  tableIndex(t: number): number | undefined;
  /** The group a recorded step shared by several bonds belongs to (a module, a table, a catch-all rule). */
  sharedBy(s: Step): string | undefined;
  /** The names of what looks like its bonds in the kernel (nothing of them is changed without a record). */
  seen(o: ObservedState): string[];
}

/** What a kind's settings hooks are given while its section is read. */
export interface SectionContext {
  file: string;
  /** The bonds read before this one. */
  before: readonly BondSettings[];
  /** Claims a line for this bond: an error when another bond has it (a line is in one bond only). */
  claim(name: string, e: Entry, what: string): void;
  /** Where shared keys the kind may refuse were written. */
  lines: { mtu: number | undefined; gateway: number | undefined };
}

export interface KindSettings {
  /** The unknown-section message's words for its sections, and its hint's. */
  readonly sections: string;
  readonly hint: string;
  /** Why a `mode =` naming it does not fit another kind's section ('' for the default kind). */
  readonly named: string;
  /** Its defaults, set before the section's keys are read. */
  start?(b: BondSettings): void;
  /** The shared keys it takes (all of them when undefined), and the keys an unknown key's message lists. */
  readonly shared?: { keys: readonly string[]; known: readonly string[] };
  /** A key of its own: true when taken (it throws when the value is wrong). */
  key?(b: BondSettings, e: Entry, x: SectionContext): boolean;
  /** The routes of a section that writes none. */
  defaultRoutes(b: BondSettings): string[];
  /** Its own checks once the section is read (before the shared gateway and router checks). */
  finish?(b: BondSettings, x: SectionContext): void;
}

/**
 * Where a kind's steps go in the plan. The engine runs the phases in this order, and within a phase
 * the planners in the registry's order:
 * - the cards are started (shared);
 * - prepare: what the bonds' devices need first (a module, a device, a hold left behind released);
 * - lines: the lines' own settings and membership (MTU, a slave attached), lines brought up;
 * - the bonds' own devices get their address and come up (shared, for kinds with ownDevice);
 * - routes: main's routes, policy rules, per-line tables, the draw;
 * - late: what needs the steps before it (a route through a line this plan brings up);
 * - the sysctls (shared).
 */
export interface PhasedSteps {
  prepare?: Step[];
  lines?: Step[];
  routes?: Step[];
  late?: (before: readonly Step[]) => Step[];
}

export interface PlanContext {
  d: DesiredState;
  o: ObservedState;
  /** Lines the watch daemon keeps out; undefined: `up`'s own judgement (the kind decides). */
  out: ReadonlySet<string> | undefined;
  /** The watch daemon never changes a line's admin state. */
  keepAdminState: boolean;
}

export interface KindPlanner {
  /** `up`'s and doctor's plan for these bonds (all of the kinds this planner plans; maybe none). */
  plan(bonds: readonly DesiredBond[], x: PlanContext): PhasedSteps;
  /** The daemon's ring change: what it may change as lines fail and return (only `lines` and `late`). */
  ring(bonds: readonly DesiredBond[], x: PlanContext): Pick<PhasedSteps, 'lines' | 'late'>;
  /** A card's restart (its driver re-reads its file): what a line of a bond needs first (a TEQL slave detached). */
  beforeRestart?(b: DesiredBond, o: ObservedState, line: string): Step[];
  /**
   * A ring step the kernel refuses, changing nothing, when it is not as the step was planned from (a detach
   * that names its bond's qdisc): the daemon may plan such steps from its cached read of the kernel, since a
   * read gone stale then costs a failed change and a fresh read, never a wrong change.
   */
  refusesStale?(s: Step): boolean;
  /**
   * False when a ring plan, its steps each refused when stale, could still change the kernel wrongly if the read
   * it came from went stale: what the read decided without a step to refuse (TEQL: that no hold was needed).
   */
  cachePlanSafe?(steps: readonly Step[]): boolean;
  /** The kernel as its part of the plan leaves it (its slaves attached): what the restarts shown after it see. */
  planned?(bonds: readonly DesiredBond[], o: ObservedState): ObservedState;
}

export interface HeldLine {
  bond: string;
  name: string;
  text: { what: string; why: string; hint: string };
  /** The daemon says it again when this changes (the address an uplink has now). */
  said: string;
  /** The daemon's log events, held and back, with the held one's own fields, and what it says when back. */
  log: { held: string; back: string; fields: Record<string, unknown>; backText: string };
}

export type KindDesired = Pick<DesiredBond, 'weights' | 'uplinks' | 'balance'>;

export type BondRule = (x: DoctorInput, b: DesiredBond) => Finding[];
