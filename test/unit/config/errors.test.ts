// Every kind of broken input: the exact message with file:line, exit 2, and nothing written.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../../helpers/cli.js';
import { snapshot, tmpDir } from '../../helpers/fs.js';

const DEV = '[devices]\nwanpipe1 = WAN_CHDLC, Comment\n';
const DEVSEC = '[wanpipe1]\nCARD_TYPE = S51X\n';
const ok = (ifs: string, extra = '') => `${DEV}[interfaces]\n${ifs}\n${DEVSEC}${extra}`;

interface Case {
  name: string;
  files: Record<string, string | Buffer>;
  file: string;
  message: string;
}

const cases: Case[] = [
  {
    name: 'unknown device in [interfaces]',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe2, , WANPIPE, Comment') },
    file: 'wanpipe1.conf',
    message: "4: wan0: unknown device 'wanpipe2': [devices] defines wanpipe1",
  },
  {
    name: 'too few fields',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, WANPIPE') },
    file: 'wanpipe1.conf',
    message:
      "4: wan0: too few fields: expected '<device>, <media address>, <operation mode>[, <comment>]', " +
      'found 2 (wanconfig skips such a line, so wan0 would not exist)',
  },
  {
    name: 'key outside any section',
    files: { 'wanpipe1.conf': `# header\nDYN_INTR_CFG = YES\n${ok('wan0 = wanpipe1, , WANPIPE, c')}` },
    file: 'wanpipe1.conf',
    message: "2: 'DYN_INTR_CFG = YES' is outside any section",
  },
  {
    name: 'duplicate section',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nMTU = 1500\n[wan0]\nDYN_INTR_CFG = YES\n') },
    file: 'wanpipe1.conf',
    message: '9: duplicate section [wan0] (first defined at line 7)',
  },
  {
    name: 'unterminated section header',
    files: { 'wanpipe1.conf': `${DEV}[interfaces\nwan0 = wanpipe1, , WANPIPE, c\n` },
    file: 'wanpipe1.conf',
    message: "3: unterminated section header: expected '[name]', found '[interfaces'",
  },
  {
    name: 'DLCI out of range',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr5 = wanpipe1, 5, WANPIPE, c\n[wanpipe1]\n' +
        'CARD_TYPE = S51X\n',
    },
    file: 'wanpipe1.conf',
    message: '4: wp1fr5: DLCI 5 out of range: expected 16 to 1007',
  },
  {
    name: 'DLCI not a number',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr = wanpipe1, x16, WANPIPE, c\n[wanpipe1]\n' +
        'CARD_TYPE = S51X\n',
    },
    file: 'wanpipe1.conf',
    message: "4: wp1fr: expected a DLCI number (16-1007) or 'auto', found 'x16'",
  },
  {
    name: 'LIP interface whose profile section is missing',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, , STACK, c\n' +
        'w1g1ppp = wanpipe1, , WANPIPE, ppp, w1g1.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n',
    },
    file: 'wanpipe1.conf',
    message: '5: w1g1ppp: protocol profile section [w1g1.ppp] is missing',
  },
  {
    name: 'LIP interface without its STACK hardware interface',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\n' +
        'w1g1ppp = wanpipe1, , WANPIPE, ppp, w1g1.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n[w1g1.ppp]\n' +
        'IP_MODE = STATIC\n',
    },
    file: 'wanpipe1.conf',
    message:
      '4: w1g1ppp: profile w1g1.ppp names hardware interface w1g1, but [interfaces] has no ' +
      "'w1g1 = wanpipe1, , STACK, ...'",
  },
  {
    name: 'device without its own section',
    files: { 'wanpipe1.conf': `${DEV}[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n` },
    file: 'wanpipe1.conf',
    message: '2: wanpipe1 has no [wanpipe1] section',
  },
  {
    name: 'binary garbage',
    files: {
      'wanpipe1.conf': Buffer.concat([
        Buffer.from(`${DEV}[interfaces]\n`),
        Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a]),
      ]),
    },
    file: 'wanpipe1.conf',
    message: '4: binary data (byte 0x00) in a text configuration file',
  },
  { name: 'empty file', files: { 'wanpipe1.conf': '  \n\n' }, file: 'wanpipe1.conf', message: '1: file is empty' },
  {
    name: 'comments only',
    files: { 'wanpipe1.conf': '# nothing here\n; nor here\n' },
    file: 'wanpipe1.conf',
    message: '1: no [devices] section',
  },
  {
    name: "a line without '='",
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG YES\n') },
    file: 'wanpipe1.conf',
    message: "8: expected 'KEY = value' in section [wan0], found 'DYN_INTR_CFG YES'",
  },
  {
    name: 'unknown operation mode',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , ROUTED, c') },
    file: 'wanpipe1.conf',
    message: "4: wan0: unknown operation mode 'ROUTED': expected WANPIPE (IP), API, STACK, ...",
  },
  {
    name: 'unknown protocol in [devices]',
    files: {
      'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_CHDLCX, c\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[wanpipe1]\n',
    },
    file: 'wanpipe1.conf',
    message:
      "2: wanpipe1: unknown protocol 'WAN_CHDLCX': " +
      'expected one of WAN_CHDLC, WAN_PPP, WAN_FR, WAN_MULTPPP, WAN_AFT, WAN_AFT_TE1, ...',
  },
  {
    name: 'DYN_INTR_CFG that wanconfig rejects (TRUE is no symbol of its table)',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG = TRUE\n') },
    file: 'wanpipe1.conf',
    message: "8: wan0: DYN_INTR_CFG = 'TRUE' is not a value wanconfig takes: expected YES, NO or a number",
  },
  {
    name: 'duplicate key',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG = NO\ndyn_intr_cfg = YES\n') },
    file: 'wanpipe1.conf',
    message: '9: duplicate key dyn_intr_cfg in section [wan0] (first at line 8)',
  },
  // What wanconfig cannot read (wanconfig.c read_conf_record, read_conf_section, build_chandef_list):
  {
    name: 'a UTF-8 byte-order mark',
    files: {
      'wanpipe1.conf': Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(ok('wan0 = wanpipe1, , WANPIPE, c')),
      ]),
    },
    file: 'wanpipe1.conf',
    message:
      '1: the file starts with a UTF-8 byte-order mark (bytes EF BB BF): ' +
      'wanconfig does not skip it, so it never finds the first section',
  },
  {
    name: 'CR-only line endings',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c').replaceAll('\n', '\r') },
    file: 'wanpipe1.conf',
    message:
      '1: the file has CR-only line endings (old Mac style): wanconfig reads it as one line and finds no sections',
  },
  {
    name: 'a line longer than wanconfig reads at once',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', `# ${'x'.repeat(300)}\n`) },
    file: 'wanpipe1.conf',
    message:
      '7: line is 302 bytes long: wanconfig reads at most 255 bytes of a line and takes the rest as a line of its own',
  },
  {
    name: 'operation mode in lower case',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , wanpipe, c') },
    file: 'wanpipe1.conf',
    message:
      "4: wan0: operation mode 'wanpipe' is not one wanconfig takes: it matches modes exactly, " +
      "case included ('WANPIPE')",
  },
  {
    name: 'PPPOE spelled in capitals',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , PPPOE, c') },
    file: 'wanpipe1.conf',
    message:
      "4: wan0: operation mode 'PPPOE' is not one wanconfig takes: it matches modes exactly, case included ('PPPoE')",
  },
  {
    name: 'LIP protocol in capitals',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, , STACK, c\n' +
        'w1g1ppp = wanpipe1, , WANPIPE, PPP, w1g1.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n[w1g1.ppp]\n' +
        'IP_MODE = STATIC\n',
    },
    file: 'wanpipe1.conf',
    message:
      "5: w1g1ppp: 'PPP' is not a protocol wanconfig knows: " +
      'with five fields the fourth names the LIP protocol (fr, ppp, chdlc, lip_atm, lip_katm, lip_x25, ' +
      'lip_lapb, lip_xmtp2, lip_lapd, lip_hdlc, lip_xdlc, tty, lapb, x25, dsp)',
  },
  {
    name: 'two devices in one file',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_CHDLC, a\nwanpipe2 = WAN_CHDLC, b\n[interfaces]\n' +
        'wan0 = wanpipe1, , WANPIPE, c\n[wanpipe1]\nCARD_TYPE = S51X\n[wanpipe2]\nCARD_TYPE = S51X\n',
    },
    file: 'wanpipe1.conf',
    message:
      '3: [devices] lists wanpipe1 and wanpipe2: ' +
      'wanconfig configures only the last one (wanpipe2) and gives it every interface',
  },
  {
    name: 'device section with spaces inside the brackets',
    files: { 'wanpipe1.conf': `${DEV}[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[ wanpipe1 ]\nCARD_TYPE = S51X\n` },
    file: 'wanpipe1.conf',
    message:
      '2: wanpipe1 has no [wanpipe1] section: ' +
      '[ wanpipe1 ] at line 5 has spaces inside the brackets, and wanconfig matches section names exactly',
  },
  {
    name: 'interface name too long for the kernel',
    files: { 'wanpipe1.conf': ok('wan0-is-far-too-long = wanpipe1, , WANPIPE, c') },
    file: 'wanpipe1.conf',
    message: "4: invalid interface name 'wan0-is-far-too-long': expected 1-15 letters, digits, '_', '.', '-'",
  },
  {
    name: 'WAN_DEVICES names a missing file',
    files: {
      'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c'),
      'wanrouter.rc': 'ROUTER_BOOT=YES\nWAN_DEVICES="wanpipe1 wanpipe2"\n',
    },
    file: 'wanrouter.rc',
    message: '2: WAN_DEVICES names wanpipe2, but <dir>/wanpipe2.conf does not exist',
  },
  {
    name: 'interface defined in two files',
    files: {
      'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c'),
      'wanpipe2.conf':
        '[devices]\nwanpipe2 = WAN_CHDLC, c\n[interfaces]\nwan0 = wanpipe2, , WANPIPE, c\n[wanpipe2]\n' +
        'CARD_TYPE = S51X\n',
    },
    file: 'wanpipe2.conf',
    message: '4: interface wan0 is also defined at <dir>/wanpipe1.conf:4',
  },
];

describe('broken configurations', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await tmpDir();
      for (const [n, body] of Object.entries(c.files)) await fs.writeFile(path.join(dir, n), body);
      const before = await snapshot(dir);
      const expected = `error: ${path.join(dir, c.file)}:${c.message.replaceAll('<dir>', dir)}\n`;
      const check = await cli('config', 'check', '--conf-dir', dir);
      assert.equal(check.code, 2);
      assert.equal(check.out, '');
      assert.equal(check.err.split('hint: ')[0], expected);
      assert.match(check.err, /\nhint: \S.*\n$/);
      const fix = await cli('config', 'fix', '--conf-dir', dir);
      assert.equal(fix.code, 2);
      assert.equal(fix.err.split('hint: ')[0], expected);
      assert.deepEqual(await snapshot(dir), before, 'nothing was written');
    });
  }

  it('reports errors in several files at once', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'wanpipe1.conf'), ok('wan0 = wanpipe9, , WANPIPE, c'));
    await fs.writeFile(path.join(dir, 'wanpipe2.conf'), '');
    const r = await cli('config', 'check', '--conf-dir', dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /wanpipe1\.conf:4: wan0: unknown device 'wanpipe9'/);
    assert.match(r.err, /wanpipe2\.conf:1: file is empty/);
  });

  it('accepts what wanconfig accepts, and reads values as it does', async () => {
    const dir = await tmpDir();
    const chdlc = (dyn: string) => ok('wan0 = wanpipe1, , WANPIPE, c', `[wan0]\nDYN_INTR_CFG = ${dyn}\n`);
    const fr = (dyn: string) =>
      `[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr16 = wanpipe1, 16, WANPIPE, c\n[wanpipe1]\n` +
      `CARD_TYPE = S51X\n[wp1fr16]\nDYN_INTR_CFG = ${dyn}\n`;
    const dynOf = async (text: string) => {
      await fs.writeFile(path.join(dir, 'wanpipe1.conf'), text);
      const r = await cli('config', 'check', '--json', '--conf-dir', dir);
      assert.notEqual(r.code, 2, r.err);
      return (JSON.parse(r.out) as { interfaces: { dynIntrCfg: string | null }[] }).interfaces[0]?.dynIntrCfg;
    };
    // strtoul(v, NULL, 0) for digits, the symbol table (YES/ON, NO/OFF) for words, any case.
    for (const [v, want] of [
      ['1', 'YES'],
      ['0x1', 'YES'],
      ['yes', 'YES'],
      ['On', 'YES'],
      ['2', 'YES'],
      ['1abc', 'YES'],
      ['0', 'NO'],
      ['off', 'NO'],
      ['00', 'NO'],
      ['YES\rjunk', 'YES'],
    ] as const) {
      assert.equal(await dynOf(chdlc(v)), want, `DYN_INTR_CFG = ${JSON.stringify(v)} on CHDLC`);
    }
    // S514 frame relay tests if_down == 1: 2 leaves the feature off there.
    assert.equal(await dynOf(fr('2')), 'NO');
    assert.equal(await dynOf(fr('1')), 'YES');
    // No [interfaces] at all: a device with nothing to bond, which wanconfig starts.
    await fs.writeFile(path.join(dir, 'wanpipe1.conf'), `${DEV}${DEVSEC}`);
    const none = await cli('config', 'check', '--conf-dir', dir);
    assert.equal(none.code, 0, none.err);
    // CRLF and text after ']' are fine for wanconfig.
    await fs.writeFile(
      path.join(dir, 'wanpipe1.conf'),
      ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0] # its own\nDYN_INTR_CFG = YES\n').replaceAll('\n', '\r\n'),
    );
    const crlf = await cli('config', 'check', '--conf-dir', dir);
    assert.equal(crlf.code, 0, crlf.out + crlf.err);
  });

  it(
    'a section named with spaces inside its brackets never applies: ' +
      'check says so and fix will not write where the driver never reads',
    async () => {
      const dir = await tmpDir();
      await fs.writeFile(
        path.join(dir, 'wanpipe1.conf'),
        ok('wan0 = wanpipe1, , WANPIPE, c', '[ wan0 ]\nDYN_INTR_CFG = YES\n'),
      );
      const before = await snapshot(dir);
      const check = await cli('config', 'check', '--conf-dir', dir);
      assert.equal(check.code, 1);
      assert.match(
        check.out,
        new RegExp(
          String.raw`wanpipe1\.conf:7: wan0: section \[ wan0 \] never applies to wan0: wanconfig matches ` +
            'section names exactly, spaces inside the brackets included',
        ),
      );
      assert.match(check.out, /wan0: DYN_INTR_CFG is not set \(NO\)/);
      const fix = await cli('config', 'fix', '--conf-dir', dir);
      assert.equal(fix.code, 0);
      assert.match(
        fix.err,
        /wan0: DYN_INTR_CFG not set: its settings are in \[ wan0 \] \(line 7\), which wanconfig never applies to wan0/,
      );
      assert.deepEqual(await snapshot(dir), before);
    },
  );

  it('a missing folder is an error that says where to look', async () => {
    const r = await cli('config', 'check', '--conf-dir', '/nonexistent/wanpipe');
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'error: /nonexistent/wanpipe: cannot read the wanpipe configuration folder (ENOENT)\n' +
        'hint: install wanpipe and run wancfg, or point --conf-dir at the folder holding wanpipeN.conf\n',
    );
  });
});
