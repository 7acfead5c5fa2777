// Generated wanpipe files, read by wanbond and by a separate model of wanconfig (wanconfig-model.ts, ported from
// wanconfig.c and checked against a gcc build of it): where wanbond accepts, wanconfig exits 0 and the driver
// gets the DYN_INTR_CFG wanbond reports; where wanbond refuses, its first error carries wanconfig's exit status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeFix } from '../../../src/config/fix.js';
import { buildFileModel } from '../../../src/config/wanconfig/model.js';
import { readWanpipe } from '../../../src/config/wanconfig/read.js';
import {
  ANNEXG_TABLES,
  DEVICE_MEDIA_TABLES,
  IFACE_MEDIA_TABLES,
  KEY_TABLES,
  type KeyDef,
  SYMBOLS,
} from '../../../src/config/wanconfig/tables.js';
import type { FileModel } from '../../../src/config/wanpipe.js';
import { ConfigErrors, WanconfigError } from '../../../src/errors.js';
import { runWanconfig, WanconfigUndefinedBehaviour } from './wanconfig-model.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  cased(s: string): string {
    const c = this.int(3);
    return c === 0
      ? s
      : c === 1
        ? s.toLowerCase()
        : [...s].map((x) => (this.chance(0.5) ? x.toLowerCase() : x)).join('');
  }
}

// Keys whose reading depends on more than the file (a firmware file, a DNS lookup) stay out of the generator.
const SKIP = new Set(['FIRMWARE', 'RTP_TAP_IP', 'RTP_TAP_MAC']);
const usable = (table: string | undefined): KeyDef[] =>
  (table ? (KEY_TABLES[table] ?? []) : []).filter((d) => !SKIP.has(d.key) && !d.dtype.includes('file'));

function value(g: Gen, def: KeyDef | undefined): string {
  if (def?.dtype === 'str' || (def === undefined && g.chance(0.3)))
    return g.pick(['bob', 'a b', '', 'x,y', 'u'.repeat(70), 'p'.repeat(200)]);
  switch (g.int(9)) {
    case 0:
      return g.cased(g.pick(['YES', 'NO', 'ON', 'OFF']));
    case 1:
      return g.cased(g.pick(SYMBOLS)[0]);
    case 2:
      return String(g.int(300));
    case 3:
      return g.pick(['9007199254740992', '4294967297', '18446744073709551616', '-1', '0x101', '010', '08', '1abc']);
    case 4:
      return g.pick(['lots', 'MAYBE', '', 'TRUE', '+5', 'YES NO']);
    case 5:
      return g.pick(['1-24', 'ALL', '1.3.5', '0']);
    default:
      return g.cased(g.pick(['YES', 'NO']));
  }
}

function keyLine(g: Gen, key: string, val: string): string {
  const lead = g.pick(['', '', '\t', '  ']);
  const eq = g.pick([' = ', '=', '\t= ', ' =\t', '  =  ']);
  const tail = g.pick(['', '', '', ' # note', '\t; why', ' ']);
  return `${lead}${g.cased(key)}${eq}${val}${tail}`;
}

function section(g: Gen, name: string, tables: (string | undefined)[], dynBias: boolean): string[] {
  const keys = tables.flatMap(usable);
  const out = [g.pick([`[${name}]`, `[${name}]`, `[${name}] # section`, `  [${name}]`])];
  const n = g.int(5);
  for (let i = 0; i < n; i++) {
    if (g.chance(0.04)) out.push(g.pick(['BOGUS_KEY = 1', 'DYN_INTR_CFGX = YES', 'NOEQUALS']));
    else if (g.chance(0.1)) out.push(g.pick(['', '# a comment', '; another']));
    else {
      const def = dynBias && g.chance(0.5) ? keys.find((k) => k.key === 'DYN_INTR_CFG') : g.pick(keys);
      if (def) out.push(keyLine(g, def.key, value(g, def)));
    }
  }
  return out;
}

const MEDIA = ['WAN_CHDLC', 'WAN_PPP', 'WAN_FR', 'WAN_AFT_TE1', 'WAN_AFT', 'WAN_MULTPPP'];

function file(g: Gen): string {
  const media = g.chance(0.03) ? 'WAN_BOGUS' : g.pick(MEDIA);
  const aft = media.startsWith('WAN_AFT');
  const lines: string[] = ['# generated', '[devices]', `wanpipe1 = ${g.cased(media)}, card`];
  if (g.chance(0.05)) lines.push('no equals here');
  lines.push('[interfaces]');
  const ifaces: { name: string; protocol?: string; profile?: string }[] = [];
  const n = 1 + g.int(3);
  let dlci = 16;
  for (let i = 0; i < n; i++) {
    const name = `w${i + 1}g1`;
    if (aft && g.chance(0.5)) {
      const protocol = g.pick(['ppp', 'chdlc', 'fr']);
      lines.push(`${name} = wanpipe1, , STACK, hw`);
      const ip = `${name}${protocol}`;
      const profile = `${name}.${protocol}`;
      lines.push(`${ip} = wanpipe1, , WANPIPE, ${protocol}, ${profile}`);
      ifaces.push({ name }, { name: ip, protocol, profile });
      continue;
    }
    let addr = '';
    if (media === 'WAN_FR') {
      const c = g.int(6);
      addr = c === 0 ? 'auto' : c === 1 ? 'AUTO' : c === 2 ? String(dlci - 1) : String(dlci);
      dlci += 1 + g.int(3);
    } else if (g.chance(0.2)) addr = String(g.int(40));
    const mode = g.chance(0.05) ? 'wanpipe' : g.chance(0.05) ? 'API' : 'WANPIPE';
    lines.push(`${name} = ${g.chance(0.1) ? 'wanpipe2' : 'wanpipe1'}, ${addr}, ${mode}, line ${i + 1}`);
    ifaces.push({ name });
  }
  if (g.chance(0.05)) lines.push('w9 = wanpipe1, WANPIPE');
  const devTables = ['common_conftab', DEVICE_MEDIA_TABLES[media]];
  if (!g.chance(0.04)) lines.push(...section(g, 'wanpipe1', devTables, false).concat(['CARD_TYPE = S51X']));
  for (const i of ifaces) {
    const second = i.protocol ? ANNEXG_TABLES[i.protocol] : IFACE_MEDIA_TABLES[media];
    if (g.chance(0.8)) lines.push(...section(g, i.name, ['chan_conftab', second], true));
    if (i.profile && g.chance(0.85))
      lines.push(...section(g, i.profile, [ANNEXG_TABLES[i.protocol ?? ''], 'chan_conftab'], true));
    if (g.chance(0.05)) lines.push(...section(g, i.name, ['chan_conftab'], true));
  }
  if (g.chance(0.05)) lines.splice(3 + g.int(lines.length - 3), 0, '[unclosed');
  if (g.chance(0.06)) {
    const at = g.int(lines.length);
    lines[at] = `${lines[at]} # ${'z'.repeat(240 + g.int(40))}${g.pick(['', ' = 1', ', a, b'])}`;
  }
  const eol = g.chance(0.03) ? '\r' : g.chance(0.25) ? '\r\n' : '\n';
  return lines.join(eol) + eol;
}

type Outcome = { ok: true; m: FileModel } | { ok: false; errors: readonly WanconfigError[] };

function wanbond(text: string): Outcome {
  try {
    return { ok: true, m: buildFileModel(readWanpipe('w.conf', text)) };
  } catch (e) {
    const list = e instanceof ConfigErrors ? e.errors : [e];
    for (const x of list) assert.ok(x instanceof WanconfigError, `not a WanconfigError: ${String(x)}`);
    return { ok: false, errors: list as WanconfigError[] };
  }
}

const RUNS = 3000;

describe('generated wanpipe files: wanbond agrees with the model of wanconfig', () => {
  it(`${RUNS} files: accept and refuse alike, the same exit status, the same DYN_INTR_CFG in the driver`, (t) => {
    const seen = { accepted: 0, refused: 0, acceptsButRefused: 0, undefinedBehaviour: 0 };
    for (let seed = 1; seed <= RUNS; seed++) {
      const text = file(new Gen(rng(seed)));
      let want: ReturnType<typeof runWanconfig>;
      try {
        want = runWanconfig(text);
      } catch (e) {
        if (e instanceof WanconfigUndefinedBehaviour) {
          seen.undefinedBehaviour++;
          continue;
        }
        throw e;
      }
      const got = wanbond(text);
      const ctx = `seed ${seed}: wanconfig ${JSON.stringify(want)}\n${text}`;
      if (got.ok) {
        seen.accepted++;
        assert.equal(want.exit, 0, ctx);
        assert.deepEqual(
          got.m.interfaces.map((i) => [i.name, i.dynIntrCfgNumber ?? 0]),
          want.interfaces.map((i) => [i.name, i.ifDown]),
          ctx,
        );
        continue;
      }
      const numeric = got.errors.find((e) => e.wanconfig !== 'accepts');
      if (numeric) {
        seen.refused++;
        assert.equal(want.exit, numeric.wanconfig, `${numeric.message}\n${ctx}`);
      } else {
        seen.acceptsButRefused++;
        assert.equal(want.exit, 0, `${got.errors[0]?.message}\n${ctx}`);
      }
    }
    // The generator must reach every branch, or the agreement proves little.
    t.diagnostic(`files: ${JSON.stringify(seen)}`);
    assert.ok(seen.accepted > RUNS / 5, JSON.stringify(seen));
    assert.ok(seen.refused > RUNS / 5, JSON.stringify(seen));
  });

  it('config fix on generated files: wanconfig then reads YES (non-zero) on every interface it fixed', () => {
    let fixed = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const text = file(new Gen(rng(seed)));
      const got = wanbond(text);
      if (!got.ok) continue;
      const r = computeFix(got.m);
      if (r.changes.length === 0) continue;
      const after = runWanconfig(r.text);
      assert.equal(after.exit, 0, `seed ${seed}\n${r.text}`);
      for (const c of r.changes) {
        const i = after.interfaces.find((x) => x.name === c.iface);
        assert.ok(i && i.ifDown === 1, `seed ${seed}: ${c.iface} reads ${i?.ifDown}\n${r.text}`);
        fixed++;
      }
    }
    assert.ok(fixed > 50, `only ${fixed} interfaces fixed`);
  });
});
