// What the kernel has of wanbond's nftables table, from `nft -j list table ip wanbond`
// (libnftables-json(5)): any sets (wanbond writes none now; an older table's are a different shape),
// the chains with their hooks, their rules' comments (what each rule says, as ruleTag names it) and
// jumps, and per bond chain the marks its rule draws, in draw order. The planner compares
// this with what it wants: a different shape means the whole table again, a different draw only the
// bond's chain. Pure.
import type { RuleState } from '../../state/types.js';
import type { NftTableState } from './nft-state.js';

export type { NftChainState, NftTableState } from './nft-state.js';
// The shapes are libnftables-json(5)'s, as the lab's nft 1.0.6 and iproute2 6.1 print them
// (test/fixtures/weighted/, captured by test/e2e/weighted.e2e.ts).

type J = Record<string, unknown>;
const BOND_CHAIN = /^(wbond|pcbond)\d+$/;
const obj = (v: unknown): J | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as J) : undefined;
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : undefined;

function element(e: unknown): string | undefined {
  if (typeof e === 'string') return e.includes('/') ? e : `${e}/32`;
  const p = obj(obj(e)?.['prefix']);
  if (p && typeof p['addr'] === 'string' && typeof p['len'] === 'number') return `${p['addr']}/${p['len']}`;
  const r = obj(e)?.['range'];
  if (Array.isArray(r)) return `${String(r[0])}-${String(r[1])}`;
  return undefined;
}

/** The marks a `meta mark set ...` statement draws, or undefined when the rule is something else. */
function drawnMarks(expr: unknown): number[] | undefined {
  if (!Array.isArray(expr) || expr.length !== 1) return undefined;
  const m = obj(obj(expr[0])?.['mangle']);
  // A weighted bond draws the packet's mark (meta), a per-connection bond the connection's (ct).
  const key = obj(m?.['key']);
  if (obj(key?.['meta'])?.['key'] !== 'mark' && obj(key?.['ct'])?.['key'] !== 'mark') return undefined;
  const value = m?.['value'];
  const plain = num(value);
  if (plain !== undefined) return [plain];
  const map = obj(obj(value)?.['map']);
  const gen = obj(obj(map?.['key'])?.['numgen']);
  const set = obj(map?.['data'])?.['set'];
  if (gen?.['mode'] !== 'inc' || !Array.isArray(set)) return undefined;
  const mod = num(gen['mod']);
  if (mod === undefined || (gen['offset'] !== undefined && num(gen['offset']) !== 0)) return undefined;
  const byKey = new Map<number, number>();
  for (const pair of set) {
    if (!Array.isArray(pair)) return undefined;
    const k = num(pair[0]),
      v = num(pair[1]);
    if (k === undefined || v === undefined) return undefined;
    byKey.set(k, v);
  }
  const out: number[] = [];
  for (let k = 0; k < mod; k++) {
    const v = byKey.get(k);
    if (v === undefined) return undefined; // a draw with no mark: not a map wanbond wrote
    out.push(v);
  }
  return out;
}

/** `nft -j list table ip wanbond` -> its state; undefined when the output holds no such table. */
export function parseNftTable(text: string, table = 'wanbond'): NftTableState | undefined {
  const items = obj(JSON.parse(text))?.['nftables'];
  if (!Array.isArray(items)) return undefined;
  let found = false;
  const st: NftTableState = { sets: {}, chains: {}, draws: {} };
  const unknownRules = new Set<string>();
  for (const it of items) {
    const o = obj(it);
    const t = obj(o?.['table']);
    if (t && t['name'] === table && t['family'] === 'ip') found = true;
    // Another family's table of the same name is not wanbond's.
    const family = (obj(o?.['set']) ?? obj(o?.['chain']) ?? obj(o?.['rule']))?.['family'];
    if (family !== undefined && family !== 'ip') continue;
    const s = obj(o?.['set']);
    if (s && s['table'] === table && typeof s['name'] === 'string') {
      const elem = Array.isArray(s['elem']) ? s['elem'] : [];
      st.sets[s['name']] = elem
        .map(element)
        .filter((x): x is string => x !== undefined)
        .sort();
    }
    const c = obj(o?.['chain']);
    if (c && c['table'] === table && typeof c['name'] === 'string') {
      st.chains[c['name']] = {
        ...(typeof c['hook'] === 'string' ? { hook: c['hook'] } : {}),
        ...(typeof c['type'] === 'string' ? { type: c['type'] } : {}),
        ...(num(c['prio']) !== undefined ? { prio: num(c['prio']) as number } : {}),
        rules: 0,
        jumps: [],
        tags: [],
      };
    }
    const r = obj(o?.['rule']);
    if (r && r['table'] === table && typeof r['chain'] === 'string') {
      const chain = st.chains[r['chain']] ?? (st.chains[r['chain']] = { rules: 0, jumps: [], tags: [] });
      chain.rules++;
      chain.tags.push(typeof r['comment'] === 'string' ? r['comment'] : '');
      const jump = Array.isArray(r['expr'])
        ? r['expr'].map((e) => obj(obj(e)?.['jump'])?.['target']).find((x) => typeof x === 'string')
        : undefined;
      if (typeof jump === 'string') chain.jumps.push(jump);
      const marks = drawnMarks(r['expr']);
      if (marks) st.draws[r['chain']] = marks;
      else unknownRules.add(r['chain']);
    }
  }
  if (!found) return undefined;
  // A bond chain with no rule draws nothing; one with a rule wanbond does not recognise draws "unknown" (absent).
  for (const name of Object.keys(st.chains))
    if (BOND_CHAIN.test(name) && st.chains[name]?.rules === 0) st.draws[name] = [];
  for (const name of unknownRules) if (BOND_CHAIN.test(name)) delete st.draws[name];
  return st;
}

/** `ip -j rule show` -> the fields wanbond's rules use. */
export function parseRules(text: string): RuleState[] {
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list)) return [];
  return list.flatMap((x) => {
    const r = obj(x);
    const priority = num(r?.['priority']);
    if (!r || priority === undefined) return [];
    // iproute2 6.1 prints suppress_prefixlen (seen in the lab); the longer spelling is accepted too.
    const fwmark = num(r['fwmark']),
      mask = num(r['fwmask']),
      sup = num(r['suppress_prefixlen'] ?? r['suppress_prefixlength']);
    // iproute2 6.1 prints an oif selector as "oif" (captured on this host: test/unit/sites/dsl.test.ts).
    const oifRaw = r['oif'] ?? r['oifname'];
    const oif = typeof oifRaw === 'string' ? oifRaw : undefined;
    const known = new Set([
      'priority',
      'src',
      'srclen',
      'fwmark',
      'fwmask',
      'suppress_prefixlen',
      'suppress_prefixlength',
      'oif',
      'oifname',
      'table',
      'flags',
    ]);
    // A source of one host (iproute2 prints no srclen for a /32): a per-connection uplink's rule.
    const from =
      typeof r['src'] === 'string' &&
      /^\d{1,3}(\.\d{1,3}){3}$/.test(r['src']) &&
      (r['srclen'] === undefined || r['srclen'] === 32)
        ? r['src']
        : undefined;
    const other =
      (r['src'] !== 'all' && from === undefined) || r['not'] !== undefined || Object.keys(r).some((k) => !known.has(k));
    // wanbond writes no iif rule: one is the site's own policy routing (`"iif": "guest0"`, iproute2 6.1).
    const iif = typeof r['iif'] === 'string' && r['not'] === undefined ? r['iif'] : undefined;
    return [
      {
        priority,
        table: String(r['table'] ?? ''),
        ...(fwmark !== undefined ? { fwmark, mask: mask ?? 0xffffffff } : {}),
        ...(oif !== undefined ? { oif } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(sup !== undefined ? { suppressPrefixlength: sup } : {}),
        ...(other ? { other: true } : {}),
        ...(iif !== undefined ? { iif } : {}),
      },
    ];
  });
}
