// Every bond kind wanbond knows, in the order their sections are documented. A new kind is a folder
// under src/bonds/ and one line here.
import { InternalError } from '../errors.js';
import type { DesiredBond } from '../state/types.js';
import { registerStepTypes } from '../plan/step-types.js';
import type { BondKind, KindName, KindReads } from './kind.js';
import { perConnectionKind } from './per-connection/kind.js';
import { teqlKind } from './teql/kind.js';
import { weightedKind } from './weighted/kind.js';

const kinds: BondKind[] = [teqlKind, weightedKind, perConnectionKind];

/** The kinds, in registry order (the order the planner runs them in, and their sections are documented in). */
export const KINDS: readonly BondKind[] = kinds;
for (const k of KINDS) registerStepTypes(k.steps ?? []);

/**
 * Adds a kind after the built-in ones: for a test's kind (test/fixtures/bonds/). The built-in kinds are
 * the list above.
 */
export function registerKind(k: BondKind): void {
  if (kinds.some((x) => x.name === k.name || x.prefix === k.prefix))
    throw new InternalError(`a bond kind named ${k.name} or with sections [${k.prefix}N] is registered already`);
  registerStepTypes(k.steps ?? []);
  kinds.push(k);
}

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
