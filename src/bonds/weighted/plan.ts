// The steps that make the kernel carry the weighted bonds as desired, and nothing else: the dummy
// holding each bond's address (its address and link-up come from the common planner, as for teqlN),
// wanbond's nftables table (whole when its shape differs, else only a bond's draw), the fwmark rules,
// each line's table, and the bonds' routes in main as a weighted multipath (what the router's own
// sockets look up first, for their source address). Pure.
import { networkOf } from '../../net/ipv4.js';
import { StateError } from '../../errors.js';
import type { Step } from '../../plan/steps.js';
import type { KindPlanner } from '../kind.js';
import type { RouteSpec } from '../../plan/route.js';
import type { DesiredBond, DesiredState, ObservedState } from '../../state/types.js';
import type { NftTableState } from './observe.js';
import { heldUplinks, isPerConnection, pcMainRoute, pcTableSteps } from '../per-connection/per-connection.js';
import { lineTableRoutes, policyRules, siteIifs, tableOf } from './policy.js';
import { holdsTableRoute, missingRules } from '../../net/rules.js';
import {
  chainRules,
  drawnMarks,
  HOOK_CHAINS,
  hookChainsOf,
  lineMark,
  NFT_FAMILY,
  NFT_TABLE,
  ruleTag,
  type WeightedBondRules,
} from './ruleset.js';

export const isWeighted = (b: DesiredBond): boolean => b.kind === 'weighted';
/**
 * The bonds drawn by wanbond's nftables table: weighted ones (per packet) and per-connection ones (per new
 * connection).
 */
const isDrawn = (b: DesiredBond): boolean => b.kind === 'weighted' || b.kind === 'per-connection';

/** wanbond's per-line routing tables of the desired weighted bonds: what observe reads. */
export const weightedTables = (d: Pick<DesiredState, 'bonds'>): number[] =>
  d.bonds.filter(isWeighted).flatMap((b) => (b.weights ?? []).map((_w, k) => tableOf(b.index, k)));

/**
 * A weighted bond as the nft renderer takes it, with the lines the daemon keeps in (all but `out`).
 * `iifs`: the interfaces the site's own rules route (siteIifs), which the draw leaves alone.
 */
export function bondRulesOf(
  b: DesiredBond,
  out: ReadonlySet<string> = new Set(),
  iifs: readonly string[] = [],
): WeightedBondRules {
  const lines = (b.weights ?? []).map((w) => ({ name: w.name, weight: w.weight }));
  // A prefix of length 0 is a default too. One inside another is left out: nft refuses overlapping
  // intervals in a set.
  const routes = b.routes.map((r) => r.to);
  const len = (p: string) => Number(p.split('/')[1]);
  const inside = (p: string, q: string) =>
    p !== q && len(q) <= len(p) && networkOf(`${p.split('/')[0]}/${len(q)}`) === q;
  const prefixes = routes.some((r) => r === 'default' || len(r) === 0)
    ? []
    : routes.filter((p) => !routes.some((q) => inside(p, q)));
  const nat =
    b.kind === 'per-connection'
      ? {
          perConnection: {
            nat: lines.map((l) => b.uplinks?.find((u) => u.name === l.name)?.address ?? ''),
            ...(prefixes.length > 0 ? { daddr: prefixes } : {}),
          },
        }
      : {};
  const site = iifs.filter((n) => !lines.some((l) => l.name === n));
  return {
    bond: b.name,
    index: b.index,
    lines,
    inRing: lines.map((l) => l.name).filter((n) => !out.has(n)),
    ...nat,
    ...(site.length > 0 ? { siteIifs: site } : {}),
  };
}

/**
 * The table's shape as tableRuleset makes it: no sets, the chains with their hooks, the jump rules
 * by what they say (their tags). Draws apart. `partial`: only some of the bonds are planned (the
 * daemon's ring leaves out a bond it skips, doctor judges one bond): their parts must be there as
 * wanted, and other bonds' parts may be there too.
 */
export function sameShape(want: readonly WeightedBondRules[], have: NftTableState, partial = false): boolean {
  if (Object.keys(have.sets).length > 0) return false;
  const same = (a: readonly string[], b: readonly string[]) =>
    JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const holds = (a: readonly string[], b: readonly string[]) => b.every((x) => a.includes(x));
  // The forward and nat chains are there with per-connection bonds (with the daemon's partial view: if the
  // table has them).
  const hooks = HOOK_CHAINS.filter(
    ([c]) => hookChainsOf(want).includes(c) || (partial && have.chains[c] !== undefined),
  );
  const chains = [...hooks.map(([c]) => c), ...want.map((b) => b.bond)];
  if (!(partial ? holds(Object.keys(have.chains), chains) : same(Object.keys(have.chains), chains))) return false;
  for (const [c, hook, type] of hooks) {
    const h = have.chains[c];
    const tags = want.flatMap((b) => chainRules(b)[c].map(ruleTag));
    if (h?.hook !== hook || h.type !== type || h.rules !== h.tags.length) return false;
    if (!(partial ? holds(h.tags, tags) : same(h.tags, tags))) return false;
  }
  return want.every((b) => (have.chains[b.bond]?.rules ?? 0) <= 1);
}

/**
 * What the given bonds (those that are up) lack of wanbond's nftables table: the table, a chain, or
 * a hook chain's rules. Empty when all are there. What a firewall reload (`nft flush ruleset`, `nft
 * flush table`) takes, for the daemon's periodic check and its log.
 */
export function nftLost(bonds: readonly DesiredBond[], have: NftTableState | undefined): string[] {
  const want = bonds.filter(isDrawn).map((b) => bondRulesOf(b));
  if (want.length === 0) return [];
  if (!have) return [`table ${NFT_FAMILY} ${NFT_TABLE}`];
  const lost: string[] = [];
  for (const c of ['pre', 'out', 'post'] as const) {
    const rules = want.flatMap((b) => chainRules(b)[c]).length;
    // The nat chain exists with per-connection bonds only; `out` has no rule of theirs.
    if (c === 'post' && !want.some((b) => b.perConnection)) continue;
    if (!have.chains[c]) lost.push(`chain ${c}`);
    else if (rules > 0 && have.chains[c].rules === 0) lost.push(`the rules of chain ${c}`);
  }
  for (const b of want) if (!have.chains[b.bond]) lost.push(`chain ${b.bond}`);
  return lost;
}

/** The lines a bond's draw holds now, by the marks it draws; undefined when the draw is not one wanbond wrote. */
function drawnLines(b: WeightedBondRules, have: NftTableState): string[] | undefined {
  const marks = have.draws[b.bond];
  if (marks === undefined) return undefined;
  return b.lines.filter((_l, k) => marks.includes(lineMark(b, k))).map((l) => l.name);
}

/**
 * The lines `up` leaves out of the draw and of main's route from the start, as the daemon judges
 * them at once: down, or up without carrier (the kernel accepts a route through such a line, and
 * what it is handed is lost). None of a bond whose every line is so: the daemon keeps all of those
 * drawn, and the first to work again carries its share at once.
 */
export function linesDown(d: DesiredState, o: ObservedState): Set<string> {
  const down = new Set<string>();
  for (const b of d.bonds.filter(isDrawn)) {
    const present = (b.weights ?? []).map((x) => o.links.find((l) => l.name === x.name)).filter((l) => l !== undefined);
    const dead = present.filter((l) => !(l.flags.includes('UP') && l.flags.includes('LOWER_UP'))).map((l) => l.name);
    if (dead.length < present.length) for (const n of dead) down.add(n);
  }
  return down;
}

/**
 * Why the bonds nftables draws cannot be planned or read now (no nft, or an nft that cannot list
 * wanbond's table), with the fix; undefined when they can. TEQL bonds never depend on it.
 */
export function nftBlocker(o: ObservedState): { why: string; hint: string } | undefined {
  const w = o.policy;
  if (w?.nftAvailable) return undefined;
  if (w?.nftUnusable !== undefined) {
    return {
      why: `nft cannot list wanbond's table: ${w.nftUnusable}`,
      hint:
        'wanbond reads its table back as JSON (nft -j): install nftables 0.9.1 or later built with JSON support, ' +
        'and a kernel with nf_tables (modprobe nf_tables), then run wanbond up again',
    };
  }
  return NO_NFT;
}

const NO_NFT = {
  why: 'this system has no nft',
  hint: 'install it (apt-get install nftables; dnf install nftables), then run wanbond up again',
};

/**
 * `out`: lines the daemon keeps out of the draw. `partial`: the bonds are some of those configured
 * (the daemon's, doctor's), so the table may hold others' parts (see sameShape).
 */
export function weightedSteps(
  d: DesiredState,
  o: ObservedState,
  out: ReadonlySet<string> = new Set(),
  partial = false,
): { before: Step[]; after: Step[] } {
  const all = d.bonds.filter(isDrawn);
  if (all.length === 0) return { before: [], after: [] };
  const bonds = all.filter(isWeighted);
  const pcs = all.filter(isPerConnection);
  const w = o.policy;
  const blocked = w ? nftBlocker(o) : NO_NFT;
  if (!w || blocked) {
    const { why, hint } = blocked ?? NO_NFT;
    const kind = pcs.length > 0 ? 'per-connection' : 'weighted';
    throw new StateError(`${all.map((b) => b.name).join(', ')}: ${kind} bonds need nftables, and ${why}`, hint);
  }
  const before: Step[] = [];
  for (const b of bonds)
    if (!o.links.some((l) => l.name === b.name)) before.push({ kind: 'create-dummy', dev: b.name });

  const after: Step[] = [];
  // Each line's table and the rules that lead to it come before the draw that sends packets there.
  // A line that is down (or out) has no route in its table: the kernel removed it with the link,
  // and a route through a down device is refused. It comes back with the line.
  const up = (name: string) => o.links.find((l) => l.name === name)?.flags.includes('UP') === true;
  for (const b of bonds) {
    for (const r of lineTableRoutes({
      index: b.index,
      lines: (b.weights ?? []).map((x) => x.name),
      routes: b.routes.map((x) => x.to),
      address: b.address,
    })) {
      if (out.has(r.dev) || !up(r.dev)) continue;
      const route = { to: r.to, dev: r.dev, src: r.src, table: r.table };
      if (!holdsTableRoute(o, route)) after.push({ kind: 'replace-route', route, was: undefined });
    }
  }
  if (bonds.length > 0) {
    for (const rule of missingRules(
      policyRules(bonds.map((b) => ({ index: b.index, lines: (b.weights ?? []).map((x) => x.name) }))),
      w.rules,
    ))
      after.push({ kind: 'add-rule', rule });
  }
  // A line the daemon found gone (not among its slaves) is drawn no more than one it keeps out.
  const gone = new Set(
    all.flatMap((b) => (b.weights ?? []).map((x) => x.name).filter((n) => !b.slaves.some((s) => s.name === n))),
  );
  // An uplink without its address is held out of the draw and of main's route, whoever plans (heldUplinks).
  const held = new Set(heldUplinks(pcs, o).map((h) => h.name));
  // An uplink kept out keeps its table: its probe is routed by it (the oif rule), and the draw sends it nothing.
  after.push(...pcTableSteps(pcs, o, (name) => gone.has(name) || held.has(name) || !up(name)));
  const want = all.map((b) => bondRulesOf(b, new Set([...out, ...gone, ...held]), siteIifs(w.rules)));
  if (!w.nft || !sameShape(want, w.nft, partial))
    after.push({ kind: 'nft-table', bonds: want, replaced: w.nft !== undefined });
  else {
    for (const b of want) {
      const now = drawnLines(b, w.nft);
      const same =
        now !== undefined &&
        JSON.stringify(now) === JSON.stringify(b.inRing) &&
        JSON.stringify(w.nft.draws[b.bond]) === JSON.stringify(drawnMarks(b));
      if (same) continue;
      // Under balance = load the draw's weights are the daemon's measure: `up` and doctor (which plan
      // with the settings' weights) leave them alone as long as the same lines are drawn.
      const bond = all.find((x) => x.name === b.bond);
      if (
        bond?.balance === 'load' &&
        !bond.weightsMeasured &&
        now !== undefined &&
        JSON.stringify(now) === JSON.stringify(b.inRing)
      )
        continue;
      after.push({ kind: 'nft-stripe', bond: b, wasInRing: now ?? [] });
      // An uplink that leaves a per-connection bond's draw takes its connections with it: only those
      // marked for it are flushed from conntrack, so they fail at once (the client reconnects, and
      // the new connection is drawn an uplink that works) rather than hang on a dead provider.
      if (b.perConnection && w.conntrack) {
        for (const [k, l] of b.lines.entries())
          if ((now ?? []).includes(l.name) && !b.inRing.includes(l.name))
            after.push({ kind: 'conntrack-flush', bond: b.bond, dev: l.name, mark: lineMark(b, k) });
      }
    }
  }
  // main: the bond's routes over the lines in the ring, by weight, from the bond's address. Only
  // over lines that can take a route: the kernel refuses a nexthop through a device that is down,
  // and one that is gone is no nexthop (one about to be created by the card's start is planned for).
  // With none, main's route is left as it is.
  const usable = (name: string) =>
    !gone.has(name) && !out.has(name) && !held.has(name) && (up(name) || !o.links.some((l) => l.name === name));
  for (const b of all) {
    const inRing = (b.weights ?? []).filter((x) => usable(x.name));
    if (inRing.length === 0) continue;
    const src = b.address.split('/')[0] as string;
    for (const r of b.routes) {
      const route: RouteSpec =
        b.kind === 'per-connection'
          ? (pcMainRoute(b, r.to, usable) as RouteSpec)
          : inRing.length === 1
            ? { to: r.to, dev: (inRing[0] as { name: string }).name, src }
            : { to: r.to, src, nexthops: inRing.map((x) => ({ dev: x.name, weight: x.weight })) };
      const have = o.routes.find((x) => x.dst === r.to && (x.metric ?? 0) === 0);
      if (have?.spec && JSON.stringify(normal(have.spec)) === JSON.stringify(normal(route))) continue;
      if (have && !have.spec) {
        throw new StateError(
          `${b.name}: the route ${r.to} there now cannot be saved ` +
            `to give it back at \`down\`: ${have.unrestorable ?? 'unknown form'}`,
          `note it (ip -d route show ${r.to}), then remove it (ip route del ${r.to}), ` +
            `or set 'routes = none' in [${b.name}] of ${d.settingsFile}`,
        );
      }
      after.push({ kind: 'replace-route', route, was: have?.spec });
    }
  }
  return { before, after };
}

/** The fields that make two routes the same route for this comparison. */
const normal = (r: RouteSpec) => ({
  to: r.to,
  dev: r.dev,
  gateway: r.gateway,
  src: r.src,
  nexthops: (r.nexthops ?? []).map((n) => ({ dev: n.dev, gateway: n.gateway, weight: n.weight ?? 1 })),
});

/**
 * The planner of every kind wanbond's nftables table draws (weighted and per-connection bonds): the
 * table is one, written in one transaction, so all their bonds are planned together.
 */
export const drawnPlanner: KindPlanner = {
  plan(bonds, x) {
    const d = { ...x.d, bonds: [...bonds] };
    // `up` (no daemon's view of the lines) leaves a line that is down out of the draw from the start.
    // Lines held out (the daemon's judgement) and lines whose link is down now both stay out of the draw.
    const w = weightedSteps(d, x.o, new Set([...(x.out ?? []), ...linesDown(d, x.o)]), x.keepAdminState);
    return { prepare: w.before, routes: w.after };
  },
  // A drawn bond's ring is its draw (one nft transaction) and its routes: main's multipath, and a line's
  // own table, which the kernel emptied when the line went down and which must be back before it is
  // drawn again. A table that is gone or not as wanbond wrote it (a firewall reload) is written whole,
  // with the ring's draws.
  ring(bonds, x) {
    const d = { ...x.d, bonds: [...bonds] };
    const ringKinds = new Set<Step['kind']>(['nft-stripe', 'nft-table', 'replace-route', 'conntrack-flush']);
    return { lines: weightedSteps(d, x.o, x.out ?? new Set(), true).after.filter((s) => ringKinds.has(s.kind)) };
  },
};
