// wanbond's ip rules and its tables' routes as every bond kind writes and reads them back: a rule's
// shape, its `ip rule` arguments, whether the kernel shows it, whether a table holds a route. Knows no
// kind: each kind chooses its priorities, marks and tables (src/net/tables.ts). Pure.
import type { ObservedState, RuleState } from '../state/types.js';

/** A mark as `ip rule` and nft print it: 0x and eight hex digits. */
export const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export interface PolicyRule {
  priority: number;
  /** Weighted bonds' rules and a DSL site's probe rules select by mark; an uplink's probe rule by its device (oif). */
  fwmark?: number;
  mask?: number;
  oif?: string;
  /** A per-connection uplink's replies: from its address. */
  from?: string;
  table: number | 'main';
  suppressPrefixlength?: number;
}

/** The kernel shows this rule of wanbond's (what `up` compares before adding it, and `down` before deleting it). */
export const sameRule = (want: PolicyRule, have: RuleState): boolean =>
  !have.other &&
  have.priority === want.priority &&
  have.fwmark === want.fwmark &&
  have.mask === want.mask &&
  have.oif === want.oif &&
  have.from === want.from &&
  have.table === String(want.table) &&
  (have.suppressPrefixlength ?? undefined) === want.suppressPrefixlength;

/**
 * The kernel shows this route in wanbond's table as `up` writes it: the route to its destination at its
 * metric is of its type, goes through its device (if any), via its gateway (if any), from its source (if any).
 */
export function holdsTableRoute(
  o: ObservedState,
  want: { to: string; table: number; dev?: string; gateway?: string; src?: string; type?: string; metric?: number },
): boolean {
  const have = (o.policy?.tables[want.table] ?? []).find(
    (x) => x.dst === want.to && (x.metric ?? 0) === (want.metric ?? 0),
  );
  return (
    have !== undefined &&
    (have.type ?? 'unicast') === (want.type ?? 'unicast') &&
    have.dev === want.dev &&
    have.gateway === want.gateway &&
    have.spec?.src === want.src
  );
}

/** The rules of `want` the kernel does not show. */
export const missingRules = (want: readonly PolicyRule[], have: readonly RuleState[]): PolicyRule[] =>
  want.filter((r) => !have.some((h) => sameRule(r, h)));

/** `ip rule add` / `ip rule del` arguments for a rule (after the verb). */
export function ruleArgs(r: PolicyRule): string[] {
  return [
    'priority',
    String(r.priority),
    ...(r.fwmark !== undefined ? ['fwmark', `${hex(r.fwmark)}/${hex(r.mask ?? 0xffffffff)}`] : []),
    ...(r.from !== undefined ? ['from', r.from] : []),
    ...(r.oif !== undefined ? ['oif', r.oif] : []),
    'lookup',
    String(r.table),
    ...(r.suppressPrefixlength !== undefined ? ['suppress_prefixlength', String(r.suppressPrefixlength)] : []),
  ];
}
