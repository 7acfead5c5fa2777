// One table per class of the parity audit (docs/ENGINE.md, "Reading wanpipe files as wanconfig does"): each case a
// few lines of a wanpipe file, and what wanconfig 7.0.15 does with it (wanconfig.c lines in the names).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFileModel } from '../../../src/config/wanconfig/model.js';
import { readWanpipe } from '../../../src/config/wanconfig/read.js';
import { computeFix } from '../../../src/config/fix.js';
import type { FileModel } from '../../../src/config/wanpipe.js';
import { ConfigErrors, WanconfigError } from '../../../src/errors.js';

const model = (text: string): FileModel => buildFileModel(readWanpipe('w.conf', text));
const chdlc = (ifaceSection: string, devSection = 'CARD_TYPE = S51X\n') =>
  `[devices]\nwanpipe1 = WAN_CHDLC, c\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[wanpipe1]\n${devSection}` +
  `[wan0]\n${ifaceSection}`;
const lip = (ifaceSection: string, profile: string) =>
  '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, , STACK, c\n' +
  `w1g1ppp = wanpipe1, , WANPIPE, ppp, w1g1.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n[w1g1ppp]\n${ifaceSection}` +
  `[w1g1.ppp]\n${profile}`;
const fr = (ifaces: string) => `[devices]\nwanpipe1 = WAN_FR, f\n[interfaces]\n${ifaces}[wanpipe1]\nCARD_TYPE = S51X\n`;

interface Fails {
  name: string;
  text: string;
  line: number;
  exit: number | 'accepts';
  says: RegExp;
}

function firstError(text: string): WanconfigError {
  try {
    model(text);
  } catch (e) {
    const first = e instanceof ConfigErrors ? e.errors[0] : e;
    assert.ok(first instanceof WanconfigError, String(e));
    return first;
  }
  assert.fail('accepted');
}

function table(title: string, cases: Fails[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        const e = firstError(c.text);
        assert.equal(e.line, c.line, e.message);
        assert.equal(e.wanconfig, c.exit, e.message);
        assert.match(e.message, c.says);
        assert.match(e.hint, /\S/);
      });
    }
  });
}

const dyn = (text: string, iface = 'wan0') => {
  const i = model(text).interfaces.find((x) => x.name === iface);
  return [i?.dynIntrCfg, i?.dynIntrCfgNumber];
};
const notes = (text: string) => model(text).notes.map((n) => `${n.line}: ${n.what}`);

table('B1 an unknown key fails wanrouter start', [
  {
    name: 'in the device section (1435: Unknown parameter, exit 3)',
    text: chdlc('', 'CARD_TYPE = S51X\nDYN_INTR_CFG = YES\n'),
    line: 7,
    exit: 3,
    says: /DYN_INTR_CFG is not a key of a WAN_CHDLC device section \[wanpipe1\].*Unknown parameter DYN_INTR_CFG/,
  },
  {
    name: 'a typo in an interface section (1784: Invalid config table, exit 3)',
    text: chdlc('DYN_INTR_CFGX = YES\n'),
    line: 8,
    exit: 3,
    says: /DYN_INTR_CFGX = YES in interface section \[wan0\]: wanconfig knows no such key/,
  },
  {
    name: 'in an AFT interface section (1779: Invalid Iface parameter, exit 3)',
    text: lip('MTUX = 1500\n', 'IP_MODE = STATIC\n'),
    line: 9,
    exit: 3,
    says: /"Invalid Annexg\/Lip parameter MTUX"/,
  },
  {
    name: 'in a LIP profile (1823: Invalid parameter, exit 3)',
    text: lip('', 'IP_MODEX = STATIC\n'),
    line: 10,
    exit: 3,
    says: /IP_MODEX = STATIC in ppp profile \[w1g1\.ppp\].*"Invalid parameter IP_MODEX"/,
  },
]);

table('B2 a value wanconfig cannot read fails wanrouter start', [
  {
    name: 'TTL = lots in the device section (1441-1445, exit 1)',
    text: chdlc('', 'CARD_TYPE = S51X\nTTL = lots\n'),
    line: 7,
    exit: 1,
    says: /TTL = lots in \[wanpipe1\].*Token \(TTL = LOTS\)", exit 1/,
  },
  {
    name: 'TTL = (empty) in the device section (exit 1)',
    text: chdlc('', 'CARD_TYPE = S51X\nTTL =\n'),
    line: 7,
    exit: 1,
    says: /Token \(TTL = \)/,
  },
  {
    name: 'MULTICAST in a device section is an unknown key there (exit 3), not a bad value',
    text: chdlc('', 'CARD_TYPE = S51X\nMULTICAST = MAYBE\n'),
    line: 7,
    exit: 3,
    says: /Unknown parameter MULTICAST/,
  },
  {
    name: 'MULTICAST = MAYBE in an interface section (exit 3)',
    text: chdlc('MULTICAST = MAYBE\n'),
    line: 8,
    exit: 3,
    says: /'MAYBE' is neither a number nor a symbol/,
  },
]);

table('B3 a device section with no content (1391-1393)', [
  {
    name: 'an empty [wanpipe1]',
    text: '[devices]\nwanpipe1 = WAN_CHDLC, c\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[wanpipe1]\n# none\n',
    line: 5,
    exit: 3,
    says: /wanpipe1 has no \[wanpipe1\] section with a line in it: .*1392/,
  },
]);

table('B4 frame-relay DLCIs rise in [interfaces] (1476-1487, exit 1)', [
  {
    name: 'descending',
    text: fr('a = wanpipe1, 17, WANPIPE, c\nb = wanpipe1, 16, WANPIPE, c\n'),
    line: 5,
    exit: 1,
    says: /b: DLCI 16 does not follow 17/,
  },
  {
    name: 'duplicated',
    text: fr('a = wanpipe1, 16, WANPIPE, c\nb = wanpipe1, 16, WANPIPE, c\n'),
    line: 5,
    exit: 1,
    says: /DLCI 16 does not follow 16/,
  },
]);

table('B5 AUTO is not auto (1468 compares case-sensitively)', [
  {
    name: 'AUTO reads as DLCI 0',
    text: fr('a = wanpipe1, AUTO, WANPIPE, c\n'),
    line: 4,
    exit: 1,
    says: /'AUTO' is not 'auto': wanconfig compares it case-sensitively and reads DLCI 0/,
  },
]);

describe('B4/B5 what wanconfig lets through', () => {
  it('auto in lower case, rising DLCIs, and a LIP interface are not checked', () => {
    const m = model(fr('a = wanpipe1, auto, WANPIPE, c\nb = wanpipe1, 16, WANPIPE, c\nc = wanpipe1, 17, WANPIPE, c\n'));
    assert.deepEqual(
      m.interfaces.map((i) => i.mediaAddr),
      [{ kind: 'auto' }, { kind: 'dlci', dlci: 16 }, { kind: 'dlci', dlci: 17 }],
    );
  });
  it('A15 AFT media addresses carry no DLCI rule (only WAN_FR builds a DLCI list, 1460)', () => {
    const text =
      '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, 5, WANPIPE, c\n' +
      'w1g2 = wanpipe1, 5, WANPIPE, c\n[wanpipe1]\nCARD_TYPE = AFT\n';
    assert.deepEqual(
      model(text).interfaces.map((i) => i.name),
      ['w1g1', 'w1g2'],
    );
  });
});

describe('C1 DYN_INTR_CFG in a LIP profile wins over the interface section (1805-1826)', () => {
  const text = lip('DYN_INTR_CFG = YES\n', 'IP_MODE = STATIC\nDYN_INTR_CFG = NO\n');
  it('the driver gets the profile value', () => {
    const i = model(text).interfaces.find((x) => x.name === 'w1g1ppp');
    assert.equal(i?.dynIntrCfg, 'NO');
    assert.equal(i?.dynIntrCfgSection, 'w1g1.ppp');
    assert.equal(i?.dynIntrCfgLine, 12);
    assert.ok(notes(text).some((n) => /^12: w1g1ppp: DYN_INTR_CFG is set in \[w1g1ppp\] and in its profile/.test(n)));
  });
  it('config fix writes YES where the driver reads it: the profile line', () => {
    const r = computeFix(model(text));
    assert.deepEqual(
      r.changes.map((c) => [c.action, c.line, c.before]),
      [['replaced-value', 12, 'NO']],
    );
    assert.equal(model(r.text).interfaces.find((x) => x.name === 'w1g1ppp')?.dynIntrCfg, 'YES');
  });
  it('without the key in the profile, the interface section stands', () => {
    assert.deepEqual(dyn(lip('DYN_INTR_CFG = YES\n', 'IP_MODE = STATIC\n'), 'w1g1ppp'), ['YES', 1]);
  });
});

describe('C2 numbers as strtoul reads them, folded into an unsigned char (2100, 2225, 2267)', () => {
  for (const [v, want] of [
    ['9007199254740992', ['NO', 0]],
    ['4294967297', ['YES', 1]],
    ['18446744073709551616', ['YES', 255]],
    ['-1', ['YES', 255]],
    ['256', ['NO', 0]],
    ['0x101', ['YES', 1]],
    ['010', ['YES', 8]],
    ['08', ['NO', 0]],
  ] as const) {
    it(`DYN_INTR_CFG = ${v}`, () => assert.deepEqual(dyn(chdlc(`DYN_INTR_CFG = ${v}\n`)), want));
  }
});

describe('A1 any symbol of the table is a value, with its number (2184-2223)', () => {
  for (const [v, want] of [
    ['TWO', ['YES', 2]],
    ['pri', ['NO', 0]],
    ['SEC', ['YES', 1]],
    ['INTERNAL', ['YES', 1]],
    ['T1', ['YES', 1]],
    ['PPP', ['YES', 103]],
  ] as const) {
    it(`DYN_INTR_CFG = ${v} on CHDLC (non-zero is on)`, () =>
      assert.deepEqual(dyn(chdlc(`DYN_INTR_CFG = ${v}\n`)), want));
  }
  it('TWO on S514 frame relay is off: sdla_fr.c tests if_down == 1', () => {
    assert.deepEqual(dyn(`${fr('a = wanpipe1, 16, WANPIPE, c\n')}[a]\nDYN_INTR_CFG = TWO\n`, 'a'), ['NO', 2]);
  });
});

describe('A2-A5 duplicates and skipped lines are warnings that say what wins', () => {
  it('A2 a key set twice: the last wins', () => {
    const text = chdlc('DYN_INTR_CFG = NO\ndyn_intr_cfg = YES\n');
    assert.deepEqual(dyn(text), ['YES', 1]);
    assert.ok(notes(text).some((n) => /^9: DYN_INTR_CFG is set 2 times in \[wan0\].*line 9 .* wins/.test(n)));
  });
  it('A3 a section written twice: the first wins, the second is never read', () => {
    const text = `${chdlc('DYN_INTR_CFG = YES\n')}[wan0]\nDYN_INTR_CFG = NO\nBOGUS = 1\n`;
    assert.deepEqual(dyn(text), ['YES', 1]);
    assert.ok(notes(text).some((n) => /^9: section \[wan0\] at line 9 repeats \[wan0\] of line 7/.test(n)));
  });
  it('A4 a header without ] ends the section above it; the lines after it are read by no section', () => {
    const text = `${chdlc('DYN_INTR_CFG = YES\n')}[junk\nDYN_INTR_CFG = NO\n`;
    assert.deepEqual(dyn(text), ['YES', 1]);
    assert.ok(notes(text).some((n) => /^9: '\[junk' has no '\]'/.test(n)));
    assert.ok(notes(text).some((n) => /^10: line 10 .*after '\[junk' on line 9/.test(n)));
  });
  it('A5 text before the first section, and lines without = in [devices] and [interfaces], are skipped', () => {
    const text = `DYN_INTR_CFG = NO\n${chdlc('DYN_INTR_CFG = YES\n')}`.replace(
      '[interfaces]\n',
      '[interfaces]\njunk\nw9 = wanpipe1, WANPIPE\n',
    );
    const n = notes(text);
    assert.ok(n.some((x) => /^1: line 1 .*before the first section header/.test(x)));
    assert.ok(n.some((x) => /^5: 'junk' in \[interfaces\] has no '='/.test(x)));
    assert.ok(n.some((x) => /^6: w9: 2 fields after '=': .*w9 is never created/.test(x)));
    assert.deepEqual(
      model(text).interfaces.map((i) => i.name),
      ['wan0'],
    );
  });
});

table('A5 a [devices] with no usable line: wanconfig configures nothing (1070-1072)', [
  {
    name: 'refused: no line of the file would ever come up',
    text: '[devices]\njunk\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n',
    line: 1,
    exit: 'accepts',
    says: /\[devices\] has no line with a device: wanconfig accepts this and configures nothing/,
  },
]);

describe('A6 a byte-order mark hides only the header on its line', () => {
  it('on a comment line: the file reads fully', () => {
    assert.deepEqual(dyn(`\xef\xbb\xbf# wanpipe1\n${chdlc('DYN_INTR_CFG = YES\n')}`), ['YES', 1]);
  });
  it('on [devices]: the error names the mark', () => {
    const e = firstError(`\xef\xbb\xbf${chdlc('DYN_INTR_CFG = YES\n')}`);
    assert.match(e.message, /line 1 holds \[devices\] behind a UTF-8 byte-order mark/);
  });
});

table('A7-A9 how fgets and the record reader cut lines', [
  {
    name: 'A7 CR-only line endings: refused, wanconfig reads only fragments',
    text: chdlc('DYN_INTR_CFG = YES\n').replaceAll('\n', '\r'),
    line: 1,
    exit: 'accepts',
    says: /CR-only line endings \(old Mac style\): wanconfig reads it in 255-byte pieces and keeps only the text/,
  },
  {
    name: 'A8 256 bytes before the line end: the rest is read as a line of its own, here one without =',
    text: chdlc(`MTU = 1500 #${'x'.repeat(245)}\n`.replace('MTU = 1500', 'TTL = 200')),
    line: 8,
    exit: 234,
    says: /'x' in interface section \[wan0\] is not 'KEY = value' \(it is the rest of a line longer than 255/,
  },
]);

describe('A8/A9 what wanconfig reads fine', () => {
  it('A8 255 bytes plus CRLF is one line: the CR does not count', () => {
    const long = `DYN_INTR_CFG = YES #${'x'.repeat(255 - 20)}`;
    assert.equal(long.length, 255);
    assert.deepEqual(dyn(chdlc(`${long}\n`).replaceAll('\n', '\r\n')), ['YES', 1]);
  });
  it('A9 control bytes in a comment are ignored; a NUL ends the value', () => {
    assert.deepEqual(dyn(chdlc('DYN_INTR_CFG = YES # \x01\x7f\x1b\n')), ['YES', 1]);
    const text = chdlc('DYN_INTR_CFG = YES\0NO\n');
    assert.deepEqual(dyn(text), ['YES', 1]);
    assert.ok(notes(text).some((n) => /^8: line 8 holds a NUL byte at column 19/.test(n)));
  });
});

describe('A10-A14 devices and interface names', () => {
  it('A10 the device field of [interfaces] is never read: a warning names the device that owns it', () => {
    const text = chdlc('DYN_INTR_CFG = YES\n').replace('wan0 = wanpipe1', 'wan0 = wanpipe7');
    assert.equal(model(text).interfaces[0]?.device, 'wanpipe1');
    assert.ok(
      notes(text).some((n) => /^4: wan0 names device 'wanpipe7', but wanconfig never reads that field/.test(n)),
    );
  });
  it('A11 a missing LIP profile is a warning: the driver runs the protocol with its defaults', () => {
    const text = lip('DYN_INTR_CFG = YES\n', '').replace('[w1g1.ppp]\n', '');
    assert.deepEqual(dyn(text, 'w1g1ppp'), ['YES', 1]);
    assert.ok(notes(text).some((n) => /^5: w1g1ppp: its ppp profile \[w1g1\.ppp\] is missing/.test(n)));
  });
  it('A12 a LIP interface rides on the interface listed before it, whatever its profile is named', () => {
    const text = lip('', 'IP_MODE = STATIC\n').replace('w1g1 = wanpipe1, , STACK', 'hw = wanpipe1, , STACK');
    assert.equal(model(text).interfaces.find((i) => i.name === 'w1g1ppp')?.parent, 'hw');
  });
  it('A14 wanpipe17 is a device name the driver registers', () => {
    const text = chdlc('').replaceAll('wanpipe1', 'wanpipe17');
    assert.equal(model(text).devices[0]?.name, 'wanpipe17');
  });
});

table('A10, A13, A14: refused', [
  {
    name: 'A10 two devices: only the last is configured, with every interface',
    text: chdlc('').replace('wanpipe1 = WAN_CHDLC, c\n', 'wanpipe1 = WAN_CHDLC, c\nwanpipe2 = WAN_CHDLC, c\n'),
    line: 3,
    exit: 'accepts',
    says: /wanconfig accepts this, but configures only the last one \(wanpipe2\)/,
  },
  {
    name: 'A13 a name over 15 characters reaches the driver cut to 15',
    text: chdlc('').replace('wan0 = ', 'wan0-is-too-long = '),
    line: 4,
    exit: 'accepts',
    says: /wanconfig accepts it, but gives the driver only 'wan0-is-too-lon'/,
  },
  {
    name: 'a text value longer than its field: strcpy runs it on into the settings after it',
    text: chdlc(`USERID = ${'u'.repeat(64)}\nDYN_INTR_CFG = YES\n`),
    line: 8,
    exit: 'accepts',
    says: /USERID is 64 characters long: wanconfig accepts it, but copies it with strcpy into a 64-byte field/,
  },
  {
    name: 'A14 a device not named wanpipeN never starts: wanconfig finds no /proc/net/wanrouter/wan1 (exit 234)',
    text: chdlc('').replaceAll('wanpipe1', 'wan1'),
    line: 2,
    exit: 234,
    says: /device name 'wan1': the driver registers its cards only as wanpipeN.*driver load failed/,
  },
]);

describe('what review found: Annex G layers, channel maps, shared profiles', () => {
  it('lapb, x25 and dsp ride on their own masters, not on a STACK interface (1890-1925)', () => {
    const rows =
      'wp1fr16 = wanpipe1, 16, ANNEXG, c\nwp1lapb = wanpipe1, , API, lapb, p\n' +
      'wp1x25 = wanpipe1, , API, x25, q\nwp1svc1 = wanpipe1, , WANPIPE, dsp, r\n';
    const text = `${fr(rows)}[p]\n[q]\n[r]\n`;
    assert.deepEqual(
      model(text).interfaces.map((i) => [i.name, i.parent]),
      [
        ['wp1fr16', undefined],
        ['wp1lapb', undefined],
        ['wp1x25', undefined],
        ['wp1svc1', undefined],
      ],
    );
  });
  it('a DLCI of 65552 counts as 16 to wanconfig (hi_DLCI is an unsigned short)', () => {
    const text = fr('a = wanpipe1, 16, WANPIPE, c\nb = wanpipe1, 65552, WANPIPE, c\nc = wanpipe1, 17, WANPIPE, c\n');
    assert.equal(model(text).interfaces.length, 3);
  });
  it('a channel map naming no channel says so, with both of wanconfig messages', () => {
    const e = firstError(lip('ACTIVE_CH = 0\n', 'IP_MODE = STATIC\n'));
    assert.match(e.message, /ACTIVE_CH = 0 in interface section \[w1g1ppp\]: '0' names no channel/);
    assert.match(e.message, /"Illegal active channel range! min=1 max=31", then "Invalid Annexg\/Lip parameter/);
    assert.match(e.hint, /1-24/);
  });
  it('RTP_TAP_IP: a dotted quad must be an address; a host name is resolved at start', () => {
    assert.match(firstError(chdlc('', 'CARD_TYPE = S51X\nRTP_TAP_IP = 999.1.1.1\n')).hint, /IPv4 address/);
    assert.equal(model(chdlc('', 'CARD_TYPE = S51X\nRTP_TAP_IP = tap.example\n')).devices.length, 1);
  });
  it('config fix --only leaves a profile another IP interface reads too, and says why', () => {
    const text =
      '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, , STACK, c\n' +
      'w1g1ppp = wanpipe1, , WANPIPE, ppp, shared.ppp\nw1g2 = wanpipe1, , STACK, c\n' +
      'w1g2ppp = wanpipe1, , WANPIPE, ppp, shared.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n[shared.ppp]\nDYN_INTR_CFG = NO\n';
    const only = computeFix(model(text), new Set(['w1g1ppp']));
    assert.deepEqual(only.changes, []);
    assert.match(only.skipped[0]?.why ?? '', /comes from the profile \[shared\.ppp\], which w1g2ppp also reads/);
    const all = computeFix(model(text));
    assert.deepEqual(
      all.changes.map((c) => [c.iface, c.line]),
      [['w1g1ppp', 11]],
    );
    assert.deepEqual(
      model(all.text).interfaces.map((i) => i.dynIntrCfg),
      [undefined, 'YES', undefined, 'YES'],
    );
  });
});

describe('keys of a later wanpipe', () => {
  it('a device key 7.0.34 adds is accepted with a warning that 7.0.15 stops at it', () => {
    const text = lip('', 'IP_MODE = STATIC\n').replace('CARD_TYPE = AFT\n', 'CARD_TYPE = AFT\nFE_SYNC_DISABLE = YES\n');
    assert.ok(notes(text).some((n) => /^8: FE_SYNC_DISABLE is a device key of wanpipe 7\.0\.34 and later/.test(n)));
    assert.match(firstError(chdlc('', 'CARD_TYPE = S51X\nFE_SYNC_DISABLE = YES\n')).message, /Unknown parameter/);
  });
});

describe('what the second review found', () => {
  it('a device not named wanpipeN is checked where wanconfig opens it: after the device section keys', () => {
    const e = firstError(chdlc('', 'CARD_TYPE = S51X\nBOGUS = 1\n').replaceAll('wanpipe1', 'wan1'));
    assert.equal(e.wanconfig, 3);
    assert.match(e.message, /Unknown parameter BOGUS/);
  });
  it('an ACTIVE_CH of 50 characters or more in an interface section overruns wanconfig copy of it (1794)', () => {
    const list = Array.from({ length: 24 }, (_, k) => k + 1).join('.');
    assert.ok(list.length >= 50);
    const e = firstError(lip(`ACTIVE_CH = ${list}\n`, 'IP_MODE = STATIC\n'));
    assert.match(e.message, /ACTIVE_CH is 62 characters long: .* 50-byte field/);
    assert.equal(e.wanconfig, 'accepts');
  });
  it('RTP_TAP_IP in a form inet_aton reads (10.1) passes; the Token words keep its case; LBO is printed upper', () => {
    assert.equal(model(chdlc('', 'CARD_TYPE = S51X\nRTP_TAP_IP = 10.1\n')).devices.length, 1);
    assert.match(
      firstError(chdlc('', 'CARD_TYPE = S51X\nRTP_TAP_IP = 1.2.3.4.5\n')).message,
      /Token \(RTP_TAP_IP = 1\.2/,
    );
    assert.match(firstError(chdlc('', 'CARD_TYPE = S51X\nLBO = 0dbx\n')).message, /Token \(LBO = 0DBX\)/);
  });
  it('config fix leaves a profile that a BRIDGE interface reads too: the driver would take it down as well', () => {
    const text =
      '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, , STACK, c\n' +
      'w1g1ppp = wanpipe1, , WANPIPE, ppp, shared.ppp\nw1g2 = wanpipe1, , STACK, c\n' +
      'w1g2ppp = wanpipe1, , BRIDGE, ppp, shared.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n[shared.ppp]\nDYN_INTR_CFG = NO\n';
    const r = computeFix(model(text));
    assert.deepEqual(r.changes, []);
    assert.match(r.skipped[0]?.why ?? '', /which w1g2ppp also reads/);
  });
});
