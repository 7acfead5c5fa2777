// Property: for any valid configuration, the fix changes DYN_INTR_CFG and nothing else.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { computeFix } from '../../../src/config/fix.js';
import { splitLines } from '../../../src/config/lex.js';
import type { FileModel } from '../../../src/config/wanpipe.js';
import { buildFileModel } from '../../../src/config/wanconfig/model.js';
import { readWanpipe } from '../../../src/config/wanconfig/read.js';

const ws = fc.constantFrom('', ' ', '\t', '  ', '\t\t', ' \t');
const ws1 = fc.constantFrom(' ', '\t', '  ', '\t\t');
const comment = fc.constantFrom('', ' # note', '\t; DYN_INTR_CFG = NO', '#', ' ;x=1, 2');
const keyCase = (k: string) => fc.constantFrom(k, k.toLowerCase(), k[0] + k.slice(1).toLowerCase());
const eol = fc.constantFrom('\n', '\r\n');

interface Iface {
  name: string;
  section: 'none' | 'empty' | 'keys';
  dyn: 'absent' | 'YES' | 'NO' | 'yes' | 'no';
}

const ifaceArb = fc.record({
  section: fc.constantFrom<Iface['section']>('none', 'empty', 'keys'),
  dyn: fc.constantFrom<Iface['dyn']>('absent', 'YES', 'NO', 'yes', 'no'),
});

const configArb = fc
  .record({
    proto: fc.constantFrom('WAN_CHDLC', 'WAN_PPP', 'WAN_FR', 'WAN_AFT'),
    ifaces: fc.array(ifaceArb, { minLength: 1, maxLength: 4 }),
    eol,
    finalEol: fc.boolean(),
    pads: fc.array(fc.tuple(ws, ws1, ws1, comment, fc.constantFrom('', '\n# blank and comment lines\n', '\n')), {
      minLength: 40,
      maxLength: 40,
    }),
    keyNames: fc.array(keyCase('DYN_INTR_CFG'), { minLength: 4, maxLength: 4 }),
    apiIface: fc.boolean(),
  })
  .map((c) => {
    let p = 0;
    const pad = () => c.pads[p++ % c.pads.length] as [string, string, string, string, string];
    const kv = (k: string, v: string) => {
      const [lead, g1, g2, cm, extra] = pad();
      return `${lead}${k}${g1}=${g2}${v}${cm}${extra}`;
    };
    const ifs: Iface[] = c.ifaces.map((x, i) => ({ ...x, name: `wan${i}` }));
    const out: string[] = ['# generated', '[devices]', kv('wanpipe1', `${c.proto}, line`), '', '[interfaces]'];
    for (const [n, i] of ifs.entries())
      out.push(kv(i.name, `wanpipe1, ${c.proto === 'WAN_FR' ? 16 + n : ''}, WANPIPE, comment ${n}`));
    if (c.apiIface) out.push(kv('api0', `wanpipe1, ${c.proto === 'WAN_FR' ? 99 : ''}, API, not bonded`));
    out.push('', '[wanpipe1]', kv('CARD_TYPE', c.proto === 'WAN_AFT' ? 'AFT' : 'S51X'), kv('MTU', '1500'));
    ifs.forEach((i, n) => {
      if (i.section === 'none') return;
      out.push(`[${i.name}]${pad()[3]}`);
      if (i.section === 'keys') out.push(kv('MULTICAST', 'NO'));
      if (i.dyn !== 'absent') out.push(kv(c.keyNames[n % 4] as string, i.dyn));
      if (i.section === 'keys') out.push(kv('IGNORE_DCD', 'NO'), '# trailing comment in section');
    });
    const text = out.join('\n').split('\n').join(c.eol) + (c.finalEol ? c.eol : '');
    return text;
  });

/** Everything the model says, except DYN_INTR_CFG and what follows from it. */
function projection(m: FileModel) {
  return {
    devices: m.devices.map((d) => [d.name, d.configId, d.card, d.cardType]),
    interfaces: m.interfaces.map((i) => [
      i.name,
      i.device,
      i.mode,
      i.mediaAddr,
      i.lipProtocol,
      i.profile,
      i.carriesIp,
      i.comment,
    ]),
    // An interface section that holds nothing but DYN_INTR_CFG is the same as none.
    sections: m.lexed.sections
      .map(
        (s) => [s.name, s.entries.filter((e) => e.keyUpper !== 'DYN_INTR_CFG').map((e) => [e.key, e.value])] as const,
      )
      .filter(([name, entries]) => entries.length > 0 || !m.interfaces.some((i) => i.name === name)),
  };
}

const isDynLine = (t: string) => /^[ \t]*DYN_INTR_CFG[ \t]*=/i.test(t);

it('fix: same model but DYN_INTR_CFG, untouched lines byte-identical, idempotent', () => {
  fc.assert(
    fc.property(configArb, (text) => {
      const before = buildFileModel(readWanpipe('wanpipe1.conf', text));
      const r = computeFix(before);
      const after = buildFileModel(readWanpipe('wanpipe1.conf', r.text));
      assert.deepEqual(projection(after), projection(before));
      for (const i of after.interfaces.filter((x) => x.carriesIp)) assert.equal(i.dynIntrCfg, 'YES', i.name);
      assert.equal(after.interfaces.find((x) => x.name === 'api0')?.dynIntrCfg, undefined);

      // Walk both texts line by line: every original line is kept byte for byte, except a DYN_INTR_CFG
      // line whose value became YES; the only new lines are DYN_INTR_CFG = YES, section headers and blanks.
      const a = splitLines(text),
        b = splitLines(r.text);
      let j = 0;
      for (let k = 0; k < a.length; k++) {
        const orig = a[k]!;
        while (j < b.length && b[j]!.text !== orig.text && !(isDynLine(orig.text) && isDynLine(b[j]!.text))) {
          assert.match(
            b[j]!.text,
            /^([ \t]*DYN_INTR_CFG[ \t]*=[ \t]*YES|\[wan\d\]|)$/,
            `unexpected new line ${JSON.stringify(b[j]!.text)}`,
          );
          j++;
        }
        assert.ok(j < b.length, `original line ${k + 1} lost: ${JSON.stringify(orig.text)}`);
        if (b[j]!.text !== orig.text) {
          assert.equal(b[j]!.text, orig.text.replace(/(=[ \t]*)(yes|no)/i, '$1YES'), `line ${k + 1}`);
        }
        if (k < a.length - 1) assert.equal(b[j]!.eol, orig.eol, `line ${k + 1} ending`);
        j++;
      }
      for (; j < b.length; j++) assert.match(b[j]!.text, /^(DYN_INTR_CFG = YES|\[wan\d\]|)$/);
      const second = computeFix(after);
      assert.equal(second.text, r.text);
      assert.deepEqual(second.changes, []);
    }),
    { numRuns: 400, includeErrorInReport: true },
  );
});
