// Every bond kind wanbond knows, in the order their sections are documented. A new kind is a folder
// under src/bonds/ and one line here.
import { InternalError } from '../errors.js';
import type { DesiredBond } from '../state/types.js';
import type { Step } from '../plan/steps.js';
import { clashes, malformed } from '../net/claims.js';
import { registerStepTypes } from '../plan/step-types.js';
import type { BondKind, KindName, KindReads } from './kind.js';
import { perConnectionKind } from './per-connection/kind.js';
import { teqlKind } from './teql/kind.js';
import { weightedKind } from './weighted/kind.js';

const kinds: BondKind[] = [];

/** The kinds, in registry order (the order the planner runs them in, and their sections are documented in). */
export const KINDS: readonly BondKind[] = kinds;

/**
 * Adds a kind after those registered: the built-in ones below, or a test's kind (test/fixtures/bonds/).
 * A kind whose claims (tables, rule priorities, marks) overlap another's is refused.
 */
export function registerKind(k: BondKind): void {
  if (kinds.some((x) => x.name === k.name || x.prefix === k.prefix))
    throw new InternalError(`a bond kind named ${k.name} or with sections [${k.prefix}N] is registered already`);
  const wrong = [...malformed(k.claims), ...kinds.flatMap((x) => clashes(k, x))];
  if (wrong.length > 0) throw new InternalError(`bond kind ${k.name} cannot be registered: ${wrong.join('; ')}`);
  registerStepTypes(k.steps ?? []);
  kinds.push(k);
}

// The built-in kinds: a new one is one more name here.
for (const k of [teqlKind, weightedKind, perConnectionKind]) registerKind(k);

export function kindNamed(name: string): BondKind {
  const k = KINDS.find((x) => x.name === name);
  if (!k) throw new InternalError(`unknown bond kind '${name}'`);
  return k;
}

/** The kind of a bond. */
export const kindOf = (b: { kind: KindName | string }): BondKind => kindNamed(b.kind);

/** The kind whose sections are [<prefix>N], for a section name; undefined for none. */
export function kindOfSection(section: string): { kind: BondKind; index: number } | undefined {
  for (const k of KINDS) {
    const m = new RegExp(`^${k.prefix}([0-9]|[1-9][0-9])$`).exec(section);
    if (m) return { kind: k, index: Number(m[1]) };
  }
  return undefined;
}

/** Whether some kind's planner says the kernel refuses this step when planned from a stale read (kind.ts). */
export const refusesStale = (s: Step): boolean => KINDS.some((k) => k.planner.refusesStale?.(s) === true);

/** A ring plan the daemon may make from its cached read: something to do, all of it refused if that read is stale. */
export const plannableFromCache = (steps: readonly Step[]): boolean =>
  steps.length > 0 && steps.every(refusesStale) && KINDS.every((k) => k.planner.cachePlanSafe?.(steps) !== false);

/** What observe must read for these bonds: every kind's reads for its own bonds, together. */
export function readsOf(bonds: readonly DesiredBond[]): KindReads {
  const used = KINDS.map((k) => ({ k, bonds: bonds.filter((b) => b.kind === k.name) })).filter(
    (p) => p.bonds.length > 0,
  );
  const parts = used.map((p) => p.k.reads(p.bonds));
  return {
    tables: parts.flatMap((r) => r.tables),
    nft: used.some((p) => p.k.drawnByNft),
    conntrack: parts.some((r) => r.conntrack),
  };
}
