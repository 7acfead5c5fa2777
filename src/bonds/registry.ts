// Every bond kind wanbond knows, in the order their sections are documented. A new kind is a folder
// under src/bonds/ and one line here.
import { InternalError } from '../errors.js';
import type { DesiredBond } from '../state/types.js';
import type { BondKind, KindName, KindReads } from './kind.js';
import { perConnectionKind } from './per-connection/kind.js';
import { teqlKind } from './teql/kind.js';
import { weightedKind } from './weighted/kind.js';

export const KINDS: readonly BondKind[] = [teqlKind, weightedKind, perConnectionKind];

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
