// What of the kernel's shared numbering each bond kind takes: routing tables, ip rule priorities and
// packet/connection marks. Each kind declares its claims (BondKind.claims) and the registry refuses a
// kind whose claims overlap another's, so a new kind cannot silently steer another's packets. Knows
// no kind. Pure.

export interface Claims {
  /** Routing-table ranges it alone writes. */
  readonly tables: readonly { min: number; max: number }[];
  /** Rule priorities it alone uses. */
  readonly priorities: readonly number[];
  /**
   * Priorities its rules share with other kinds' rules there: each selects by something no other kind's
   * rule at that priority matches (an oif, a source address), so their order among them does not matter.
   */
  readonly sharedPriorities: readonly number[];
  /** Marks it sets and matches: every mark m with (m & mask) === value. */
  readonly marks: readonly { value: number; mask: number }[];
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Where two kinds' claims overlap, one sentence each; empty when they do not. */
export function clashes(a: { name: string; claims: Claims }, b: { name: string; claims: Claims }): string[] {
  const out: string[] = [];
  for (const x of a.claims.tables)
    for (const y of b.claims.tables)
      if (x.min <= y.max && y.min <= x.max)
        out.push(
          `${a.name} and ${b.name} both take routing tables ${Math.max(x.min, y.min)}..${Math.min(x.max, y.max)}`,
        );
  const taken = (c: Claims, p: number) => c.priorities.includes(p) || c.sharedPriorities.includes(p);
  for (const p of a.claims.priorities)
    if (taken(b.claims, p)) out.push(`${a.name} takes rule priority ${p}, which ${b.name} uses`);
  for (const p of b.claims.priorities)
    if (taken(a.claims, p)) out.push(`${b.name} takes rule priority ${p}, which ${a.name} uses`);
  for (const x of a.claims.marks)
    for (const y of b.claims.marks) {
      const m = (x.mask & y.mask) >>> 0;
      if ((x.value & m) >>> 0 === (y.value & m) >>> 0)
        out.push(
          `${a.name}'s marks ${hex(x.value)}/${hex(x.mask)} and ${b.name}'s ${hex(y.value)}/${hex(y.mask)} overlap`,
        );
    }
  return out;
}

/** A claim that is wrong by itself: a mark value with bits outside its mask (it would match no mark it sets). */
export function malformed(c: Claims): string[] {
  return c.marks
    .filter((m) => (m.value & ~m.mask) >>> 0 !== 0)
    .map((m) => `mark ${hex(m.value)} has bits outside its mask ${hex(m.mask)}`);
}
