import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ModelResult, runWanconfig, WanconfigUndefinedBehaviour } from './wanconfig-model.js';

// Each expectation is wanconfig 7.0.15's behaviour: read from util/wanconfig/wanconfig.c (lines cited) and confirmed
// by running the same text through wanconfig.c compiled with its Makefile's flags (ioctls stubbed to succeed).

const run = (lines: readonly string[], eol = '\n'): ModelResult => runWanconfig(lines.join(eol) + eol);

/** One WAN_AFT_TE1 device (iface table xilinx_if_conftab) with interface w1g1 and the given section lines. */
const aft = (iface: readonly string[], dev: readonly string[] = ['TTL = 255']): string[] => [
  '[devices]',
  'wanpipe1 = WAN_AFT_TE1, comment',
  '[interfaces]',
  'w1g1 = wanpipe1, , API',
  '[wanpipe1]',
  ...dev,
  '[w1g1]',
  ...iface,
];

/** One WAN_FR device with the given [interfaces] lines and interface sections after them. */
const fr = (ifaces: readonly string[], rest: readonly string[] = []): string[] => [
  '[devices]',
  'wanpipe1 = WAN_FR',
  '[interfaces]',
  ...ifaces,
  '[wanpipe1]',
  'STATION = CPE',
  ...rest,
];

/** A LIP ppp interface w1g1 (profile section [prof]) after a plain interface w1g0, on WAN_AFT_TE1. */
const lip = (iface: readonly string[], profile: readonly string[]): string[] => [
  '[devices]',
  'wanpipe1 = WAN_AFT_TE1',
  '[interfaces]',
  'w1g0 = wanpipe1, , WANPIPE',
  'w1g1 = wanpipe1, , API, ppp, prof',
  '[wanpipe1]',
  'TTL = 1',
  '[w1g1]',
  ...iface,
  '[prof]',
  ...profile,
];

const ifDown = (r: ModelResult, i = 0): number | undefined => r.interfaces[i]?.ifDown;

function assertFails(r: ModelResult, exit: number, failedAt: number, reason: string): void {
  assert.deepEqual({ exit: r.exit, failedAt: r.failedAt, reason: r.reason }, { exit, failedAt, reason });
}

describe('wanconfig model: DYN_INTR_CFG values (set_conf_param 2184-2274)', () => {
  const cases: [string, number][] = [
    ['TWO', 2],
    ['two', 2],
    ['YES', 1],
    ['PPP', 103],
    ['9007199254740992', 0],
    ['4294967297', 1],
    ['-1', 255],
    ['256', 0],
    ['0x101', 1],
    ['010', 8],
    ['08', 0],
    ['9z', 9],
    ['1e3', 1],
    ['18446744073709551616', 255],
  ];
  for (const [value, expected] of cases) {
    it(`DYN_INTR_CFG = ${value} stores ${expected}`, () => {
      const r = run(aft([`DYN_INTR_CFG = ${value}`]));
      assert.equal(r.exit, 0);
      assert.equal(ifDown(r), expected);
    });
  }

  it('if_down is 0 when never set', () => {
    assert.equal(ifDown(run(aft(['MTU = 1500']))), 0);
  });

  it('duplicate key: the last one wins', () => {
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = YES', 'DYN_INTR_CFG = NO']))), 0);
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = NO', 'dyn_intr_cfg = yes']))), 1);
  });

  it('a value is the first comma field, stripped of spaces and tabs only', () => {
    assert.equal(ifDown(run(aft(['\t DYN_INTR_CFG\t=  2 , 3']))), 2);
  });

  it('an unknown or bad value in an interface section exits 3 (1780 with an iface table)', () => {
    const r = run(aft(['DYN_INTR_CFG = MAYBE']));
    assertFails(r, 3, 1780, 'bad-value');
    assert.deepEqual([r.key, r.section], ['DYN_INTR_CFG', 'w1g1']);
    assertFails(run(aft(['DYN INTR_CFG = YES'])), 3, 1780, 'unknown-key');
    assertFails(run(aft(['DYN_INTR_CFG = '])), 3, 1780, 'bad-value');
  });

  it('a USERID long enough to run over if_down writes its byte there (strcpy, wanif_conf_t is packed)', () => {
    const at190 = `${'a'.repeat(190)}B`; // USERID at offset 256, if_down at 446
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 1', `USERID = ${at190}`]))), 0x42);
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 1', `USERID = ${'a'.repeat(190)}`]))), 0);
    assert.equal(ifDown(run(aft([`USERID = ${at190}`, 'DYN_INTR_CFG = 1']))), 1);
  });
});

describe('wanconfig model: profile sections (configure_chan 1801-1830)', () => {
  it("a profile section's DYN_INTR_CFG overrides the interface section's", () => {
    const r = run(lip(['DYN_INTR_CFG = YES'], ['DYN_INTR_CFG = TWO']));
    assert.equal(r.exit, 0);
    assert.equal(ifDown(r, 1), 2);
    assert.equal(ifDown(run(lip(['DYN_INTR_CFG = YES'], ['PAP = YES'])), 1), 1);
  });

  it('LIP interface: annexg table, then chan_conftab; an unknown key exits 3 at 1824', () => {
    assert.equal(run(lip([], ['KEEPALIVE_TIMER = 10', 'TTL = 5'])).exit, 0);
    assertFails(run(lip([], ['MTU = 1500'])), 3, 1824, 'unknown-key');
  });

  it('in the interface section of a LIP interface the annexg table replaces the iface table (1773)', () => {
    assert.equal(run(lip(['IP_MODE = PEER'], [])).exit, 0);
    assertFails(run(lip(['MTU = 1500'], [])), 3, 1773, 'unknown-key');
  });

  it('a record without "=" exits 234 (-EINVAL): 1757 in the interface section, 1811 in the profile', () => {
    assertFails(run(lip(['oops'], [])), 234, 1757, 'record-without-equals');
    assertFails(run(lip([], ['oops'])), 234, 1811, 'record-without-equals');
  });

  it('the master of a LIP interface is the last plain or STACK interface before it', () => {
    const r = run(lip([], []));
    assert.deepEqual(r.interfaces, [
      { name: 'w1g0', ifDown: 0, usedby: 'WANPIPE' },
      { name: 'w1g1', ifDown: 0, usedby: 'API', protocol: 'ppp', master: 'w1g0' },
    ]);
  });
});

describe('wanconfig model: device section (configure_link 1379-1447)', () => {
  it('TTL = lots exits 1 (a bad value, 1442); TTL = with nothing also exits 1', () => {
    const r = run(aft([], ['TTL = lots']));
    assertFails(r, 1, 1442, 'bad-value');
    assert.deepEqual([r.key, r.section, r.interfaces], ['TTL', 'wanpipe1', []]);
    assertFails(run(aft([], ['TTL =', 'MTU = 1500'])), 1, 1442, 'bad-value');
  });

  it('MULTICAST = NO is an unknown device key: exit 3 (1435)', () => {
    const r = run(aft([], ['MULTICAST = NO']));
    assertFails(r, 3, 1435, 'unknown-key');
    assert.equal(r.key, 'MULTICAST');
  });

  it('an empty or comment-only device section exits 3 at 1392', () => {
    assertFails(run(aft([], [])), 3, 1392, 'no-device-section');
    assertFails(run(aft([], ['# nothing', '  ; here'])), 3, 1392, 'no-device-section');
  });

  it('a record without "=" exits 3 at 1419', () => {
    assertFails(run(aft([], ['TTL'])), 3, 1419, 'record-without-equals');
  });

  it('common_conftab first, the media table only if not found there', () => {
    assert.equal(run(fr(['w1g1 = wanpipe1, 16, API'])).exit, 0); // STATION in fr_conftab
    assertFails(run(fr([], ['STATION = PRIMARY?'])), 1, 1442, 'bad-value');
    assertFails(run(aft([], ['STATION = NODE'])), 3, 1435, 'unknown-key'); // not in xilinx_conftab
  });

  it('MEDIA/LBO always take the symbol path: MEDIA = 1 is a bad value, MEDIA = t1 is fine', () => {
    assertFails(run(aft([], ['MEDIA = 1'])), 1, 1442, 'bad-value');
    assert.equal(run(aft([], ['MEDIA = t1', 'LBO = 0db'])).exit, 0);
  });

  it('ACTIVE_CH with no channel is "not found" (-1): exit 3 at 1435, not 1', () => {
    assertFails(run(aft([], ['ACTIVE_CH = 0'])), 3, 1435, 'unknown-key');
    assert.equal(run(aft([], ['ACTIVE_CH = 1-24', 'TE_ACTIVE_CH = all', 'TDMV_DCHAN = 0'])).exit, 0);
  });

  it('RTP_TAP_IP must be a dotted quad (assumption), RTP_TAP_MAC six hex fields', () => {
    assert.equal(run(aft([], ['RTP_TAP_IP = 10.1.2.3', 'RTP_TAP_MAC = 0:1:2:3:4:5'])).exit, 0);
    assertFails(run(aft([], ['RTP_TAP_IP = gateway'])), 1, 1442, 'bad-value');
    assertFails(run(aft([], ['RTP_TAP_MAC = 0:1:2:3:4'])), 1, 1442, 'bad-value');
  });

  it('string keys take any value, even an empty one', () => {
    assert.equal(run(aft(['PASSWD =', 'USERID = a=b'], ['S514CPU = '])).exit, 0);
  });
});

describe('wanconfig model: frame relay DLCIs (configure_link 1460-1488)', () => {
  it('DLCIs 17 then 16 on WAN_FR exit 1 (1484), after the device section is checked', () => {
    const r = run(fr(['a = wanpipe1, 17, API', 'b = wanpipe1, 16, API']));
    assertFails(r, 1, 1484, 'dlci-order');
    assert.deepEqual(r.interfaces, []);
    assertFails(run(fr(['a = wanpipe1, 17, API', 'b = wanpipe1, 16, API'], ['TTL = x'])), 1, 1442, 'bad-value');
  });

  it('AUTO exits 1 on WAN_FR but auto is skipped', () => {
    assertFails(run(fr(['a = wanpipe1, AUTO, API'])), 1, 1484, 'dlci-order');
    assert.equal(run(fr(['a = wanpipe1, auto, API', 'b = wanpipe1, 16, API'])).exit, 0);
  });

  it('DLCIs must rise from 16; leading digits count; LIP interfaces and WAN_MFR are not checked', () => {
    assertFails(run(fr(['a = wanpipe1, 15, API'])), 1, 1484, 'dlci-order');
    assertFails(run(fr(['a = wanpipe1, 16abc, API', 'b = wanpipe1, 16, API'])), 1, 1484, 'dlci-order');
    assert.equal(run(fr(['a = wanpipe1, 17, API', 'b = wanpipe1, 1, API, ppp, p'])).exit, 0);
    const mfr = fr(['a = wanpipe1, 17, API', 'b = wanpipe1, 16, API']).map((l) => l.replace('WAN_FR', 'WAN_MFR'));
    assert.equal(run(mfr).exit, 0);
  });

  it('hi_DLCI is an unsigned short: 65553 counts as 17 for the next one', () => {
    assertFails(
      run(fr(['a = wanpipe1, 16, API', 'b = wanpipe1, 65553, API', 'c = wanpipe1, 17, API'])),
      1,
      1484,
      'dlci-order',
    );
    assert.equal(run(fr(['a = wanpipe1, 16, API', 'b = wanpipe1, 65553, API', 'c = wanpipe1, 18, API'])).exit, 0);
  });
});

describe('wanconfig model: [devices] and [interfaces] (build_linkdef_list, build_chandef_list)', () => {
  it('no [devices], or an empty one, exits 3 silently (1133)', () => {
    assertFails(run(['[wanpipe1]', 'TTL = 1']), 3, 1133, 'no-devices-section');
    assertFails(run(['[devices]', '# none']), 3, 1133, 'no-devices-section');
  });

  it('[devices] lines without "=" are skipped: none left exits 0 with nothing configured', () => {
    const r = run(['[devices]', 'wanpipe1 WAN_FR']);
    assert.deepEqual(r, { exit: 0, reason: 'no-link-definitions', interfaces: [] });
  });

  it('an invalid media id exits 3 at 1154; the id is upper-cased first', () => {
    assertFails(run(['[devices]', 'wanpipe1 = WAN_FOO']), 3, 1154, 'invalid-media-id');
    const r = run(aft(['DYN_INTR_CFG = 1']).map((l) => l.replace('WAN_AFT_TE1', 'wan_aft_te1')));
    assert.deepEqual([r.exit, r.device], [0, { name: 'wanpipe1', mediaId: 'WAN_AFT_TE1' }]);
  });

  it('the last [devices] line is the device configured; the others are never checked', () => {
    const r = run(['[devices]', 'wanpipe9 = WAN_FR', ...aft([]).slice(1)]);
    assert.deepEqual([r.exit, r.device?.name], [0, 'wanpipe1']);
  });

  it('a device name is cut to 15 characters and its section is looked up under the cut name', () => {
    const r = run(
      aft([])
        .map((l) => l.replace('wanpipe1 =', 'wanpipe1_longname ='))
        .map((l) => (l === '[wanpipe1]' ? '[wanpipe1_longna]' : l)),
    );
    assert.deepEqual([r.exit, r.device?.name], [0, 'wanpipe1_longna']);
  });

  it('an interface name is cut to 15 characters, but its section is looked up under the full name', () => {
    const long = 'w1g1_a_long_name';
    const text = aft(['DYN_INTR_CFG = 2']).map((l) => l.replace('w1g1', long));
    assert.deepEqual(run(text).interfaces, [{ name: 'w1g1_a_long_nam', ifDown: 2, usedby: 'API' }]);
  });

  it('[interfaces] records with fewer than 4 fields are skipped', () => {
    const r = run(aft(['DYN_INTR_CFG = 2']).map((l) => (l === 'w1g1 = wanpipe1, , API' ? 'w1g1 = wanpipe1, 16' : l)));
    assert.deepEqual([r.exit, r.interfaces], [0, []]);
  });

  it('usedby is checked case-sensitively: exit 3 (1319)', () => {
    assertFails(run(fr(['a = wanpipe1, 16, api'])), 3, 1319, 'invalid-usedby');
  });

  it('the protocol word counts only with a profile field (toknum > 5); a wrong one exits 3 (1289)', () => {
    assert.equal(run(fr(['a = wanpipe1, 16, API, nonsense'])).exit, 0);
    assertFails(run(fr(['a = wanpipe1, 16, API, PPP, prof'])), 3, 1289, 'invalid-protocol');
  });
});

describe('wanconfig model: reading the file (read_conf_record, read_conf_section, tokenize)', () => {
  const lf = aft(['DYN_INTR_CFG = 2']);

  it('CRLF works like LF', () => {
    assert.deepEqual(run(lf, '\r\n'), run(lf));
    assert.equal(ifDown(run(lf, '\r\n')), 2);
  });

  it('a BOM before [devices] loses the section: exit 3', () => {
    assertFails(runWanconfig(`\xef\xbb\xbf${lf.join('\n')}\n`), 3, 1133, 'no-devices-section');
  });

  it('255 content bytes + CRLF is one record; 256 leave a stray byte, a record without "="', () => {
    const userid = (n: number): string => `USERID = ${'u'.repeat(n - 9)}`;
    assert.equal(run(aft([userid(255), 'DYN_INTR_CFG = 2']), '\r\n').exit, 0);
    assertFails(run(aft([], ['TTL = 1', `S514CPU = ${'c'.repeat(246)}`]), '\r\n'), 3, 1419, 'record-without-equals');
    assertFails(run(aft([userid(256), 'DYN_INTR_CFG = 2']), '\r\n'), 234, 1757, 'record-without-equals');
  });

  it('a comment line over 255 bytes leaks its tail as a record', () => {
    assertFails(run(aft([`# ${'x'.repeat(260)}`])), 234, 1757, 'record-without-equals');
  });

  it('comments start anywhere; a NUL ends the record', () => {
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 2 # ; 3', 'DYN_INTR_CFG = 3;x']))), 3);
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 2\0 junk without equals']))), 2);
    assert.equal(ifDown(run(aft(['\0DYN_INTR_CFG = 2']))), 0);
  });

  it('a CR-only file is read in 255-byte pieces, one record from each', () => {
    assertFails(run(lf, '\r'), 3, 1133, 'no-devices-section'); // only "[devices]" is read: an empty section
  });

  it('duplicate section: the first wins, the second is never read', () => {
    assert.equal(ifDown(run([...lf, '[w1g1]', 'DYN_INTR_CFG = 1', 'nonsense']), 0), 2);
    assert.equal(run(aft([], ['TTL = 1', '[wanpipe1]', 'TTL = x'])).exit, 0);
    const emptyFirst = ['[devices]', 'wanpipe1 = WAN_AFT_TE1', '[wanpipe1]', '[wanpipe1]', 'TTL = 1'];
    assertFails(run(emptyFirst), 3, 1392, 'no-device-section');
  });

  it('any record starting with "[" ends a section; headers match exactly, text after "]" is ignored', () => {
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 2', '[unclosed', 'DYN_INTR_CFG = 1']))), 2);
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 2']).map((l) => (l === '[w1g1]' ? '  [w1g1] junk' : l)))), 2);
    assert.equal(ifDown(run(aft(['DYN_INTR_CFG = 2']).map((l) => (l === '[w1g1]' ? '[ w1g1 ]' : l)))), 0);
  });

  it('keys and symbols are case-insensitive, inner spaces are kept', () => {
    assert.equal(ifDown(run(aft(['dyn_Intr_cfg = Two']))), 2);
    assertFails(run(aft(['DYN_INTR_CFG = T WO'])), 3, 1780, 'bad-value');
  });
});

describe('wanconfig model: undefined behaviour and input', () => {
  it('throws where wanconfig writes outside an object', () => {
    const activeCh = `ACTIVE_CH = ${'1 '.repeat(28)}1`; // strcpy into active_ch[50] reaches def->chanconf
    assert.throws(() => run(aft([activeCh])), WanconfigUndefinedBehaviour);
    assert.equal(run(aft([`ACTIVE_CH = ${'1 '.repeat(27)}1`])).exit, 0);
    assert.throws(() => run(aft([], ['TTL = 1', `RTP_TAP_DEV = ${'d'.repeat(70)}`])), WanconfigUndefinedBehaviour);
    assert.throws(
      () => run(aft(['OCT_ECHOOPERATIONMODE = A', 'OCT_ECHOOPERATIONMODE = B'])),
      WanconfigUndefinedBehaviour,
    );
  });

  it('rejects text that is not latin1', () => {
    assert.throws(() => runWanconfig('[devices]\n\u20ac = WAN_FR\n'), RangeError);
  });
});
