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
    name: 'DLCI out of range',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr5 = wanpipe1, 5, WANPIPE, c\n[wanpipe1]\n' +
        'CARD_TYPE = S51X\n',
    },
    file: 'wanpipe1.conf',
    message:
      '4: wp1fr5: DLCI 5 is below 16: wanrouter start fails here (wanconfig: "DLCI(s) specified ' +
      'in <dir>/wanpipe1.conf are not in order or duplicate DLCI(s) assigned!", exit 1)',
  },
  {
    name: 'DLCI not a number',
    files: {
      'wanpipe1.conf':
        '[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr = wanpipe1, x16, WANPIPE, c\n[wanpipe1]\n' +
        'CARD_TYPE = S51X\n',
    },
    file: 'wanpipe1.conf',
    message:
      "4: wp1fr: 'x16' is not a DLCI: wanconfig reads its leading digits, so DLCI 0: wanrouter " +
      'start fails here (wanconfig: "DLCI(s) specified in <dir>/wanpipe1.conf are not in order or ' +
      'duplicate DLCI(s) assigned!", exit 1)',
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
      '4: w1g1ppp: a ppp interface with no hardware interface listed before it: wanconfig ' +
      'accepts this, but the driver has nothing to attach it to',
  },
  {
    name: 'device without its own section',
    files: { 'wanpipe1.conf': `${DEV}[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n` },
    file: 'wanpipe1.conf',
    message:
      '2: wanpipe1 has no [wanpipe1] section: wanrouter start fails (wanconfig.c 1392: "Invalid ' +
      'configuration file syntax", exit 3)',
  },
  {
    name: 'empty file',
    files: { 'wanpipe1.conf': '  \n\n' },
    file: 'wanpipe1.conf',
    message: '1: file is empty: wanrouter start fails on it (wanconfig: "section [devices] not found!", exit 3)',
  },
  {
    name: 'comments only',
    files: { 'wanpipe1.conf': '# nothing here\n; nor here\n' },
    file: 'wanpipe1.conf',
    message: '1: no [devices] section: wanrouter start fails (wanconfig: "section [devices] not ' + 'found!", exit 3)',
  },
  {
    name: "a line without '='",
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG YES\n') },
    file: 'wanpipe1.conf',
    message:
      "8: 'DYN_INTR_CFG YES' in interface section [wan0] is not 'KEY = value': wanrouter start fails here " +
      '(wanconfig.c 1757: "Invalid configuration file syntax", exit 234)',
  },
  {
    name: 'unknown operation mode',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , ROUTED, c') },
    file: 'wanpipe1.conf',
    message:
      "4: wan0: operation mode 'ROUTED' is not one wanconfig takes: wanrouter start fails here " +
      '(wanconfig: "wan0 to be used by an Invalid entity: ROUTED", exit 3)',
  },
  {
    name: 'unknown protocol in [devices]',
    files: {
      'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_CHDLCX, c\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[wanpipe1]\n',
    },
    file: 'wanpipe1.conf',
    message:
      "2: wanpipe1: unknown media id 'WAN_CHDLCX': wanrouter start fails here (wanconfig: \"Media " +
      'ID WAN_CHDLCX is invalid!", "Invalid configuration file syntax", exit 3)',
  },
  {
    name: 'DYN_INTR_CFG that wanconfig rejects (TRUE is no symbol of its table)',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG = TRUE\n') },
    file: 'wanpipe1.conf',
    message:
      "8: DYN_INTR_CFG = TRUE in interface section [wan0]: 'TRUE' is neither " +
      'a number nor a symbol wanconfig knows: wanrouter start fails here (wanconfig: "Invalid ' +
      'config table !!! parameter DYN_INTR_CFG", exit 3)',
  },
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
      '1: no [devices] section: line 1 holds [devices] behind a UTF-8 byte-order mark (EF BB ' +
      'BF), which wanconfig does not skip: wanrouter start fails (wanconfig: "section [devices] ' +
      'not found!", exit 3)',
  },
  {
    name: 'CR-only line endings',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c').replaceAll('\n', '\r') },
    file: 'wanpipe1.conf',
    message:
      '1: the file has CR-only line endings (old Mac style): wanconfig reads it in 255-byte pieces ' +
      "and keeps only the text before the first CR of each (here '[devices]'), not the configuration written\n" +
      '<dir>/wanpipe1.conf:1: no [devices] section with a line in it: wanrouter start fails ' +
      '(wanconfig: "section [devices] not found!", exit 3)',
  },
  {
    name: 'a line longer than wanconfig reads at once',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', `# ${'x'.repeat(300)}\n`) },
    file: 'wanpipe1.conf',
    message:
      "7: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' in [wanpipe1] is not 'KEY = value' (it is the rest " +
      'of a line longer than 255 bytes, read as a line of its own): wanrouter start fails here ' +
      '(wanconfig.c 1419: "Invalid configuration file syntax", exit 3)',
  },
  {
    name: 'operation mode in lower case',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , wanpipe, c') },
    file: 'wanpipe1.conf',
    message:
      "4: wan0: operation mode 'wanpipe' is not one wanconfig takes (it compares modes exactly, " +
      "case included: 'WANPIPE'): wanrouter start fails here (wanconfig: \"wan0 to be used by an " +
      'Invalid entity: wanpipe", exit 3)',
  },
  {
    name: 'PPPOE spelled in capitals',
    files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , PPPOE, c') },
    file: 'wanpipe1.conf',
    message:
      "4: wan0: operation mode 'PPPOE' is not one wanconfig takes (it compares modes exactly, " +
      "case included: 'PPPoE'): wanrouter start fails here (wanconfig: \"wan0 to be used by an " +
      'Invalid entity: PPPOE", exit 3)',
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
      "5: w1g1ppp: 'PPP' is not a protocol wanconfig knows: with five fields or more the fourth " +
      'names the protocol (fr, ppp, chdlc, lip_atm, lip_katm, lip_x25, lip_lapb, lip_xmtp2, ' +
      'lip_lapd, lip_hdlc, lip_xdlc, tty, lapb, x25, dsp): wanrouter start fails here ' +
      '(wanconfig: "w1g1ppp defined with invalid protocol PPP", exit 3)',
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
      '3: [devices] lists wanpipe1 and wanpipe2: wanconfig accepts this, but configures only the ' +
      'last one (wanpipe2) and gives it every interface',
  },
  {
    name: 'device section with spaces inside the brackets',
    files: { 'wanpipe1.conf': `${DEV}[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[ wanpipe1 ]\nCARD_TYPE = S51X\n` },
    file: 'wanpipe1.conf',
    message:
      '2: wanpipe1 has no [wanpipe1] section: [ wanpipe1 ] at line 5 has spaces inside the ' +
      'brackets, and wanconfig matches section names exactly: wanrouter start fails (wanconfig.c ' +
      '1392: "Invalid configuration file syntax", exit 3)',
  },
  {
    name: 'interface name too long for the kernel',
    files: { 'wanpipe1.conf': ok('wan0-is-far-too-long = wanpipe1, , WANPIPE, c') },
    file: 'wanpipe1.conf',
    message:
      "4: interface name 'wan0-is-far-too-long' is 20 characters long: wanconfig accepts it, but " +
      "gives the driver only 'wan0-is-far-too' (15 characters, the kernel's limit) while it " +
      'reads the section [wan0-is-far-too-long]',
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
    message:
      '4: interface wan0 is also defined at <dir>/wanpipe1.conf:4: wanconfig accepts each file, ' +
      'but the driver refuses a second interface of the same name',
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
    await fs.writeFile(path.join(dir, 'wanpipe1.conf'), ok('wan0 = wanpipe1, , ROUTED, c'));
    await fs.writeFile(path.join(dir, 'wanpipe2.conf'), '');
    const r = await cli('config', 'check', '--conf-dir', dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /wanpipe1\.conf:4: wan0: operation mode 'ROUTED' is not one wanconfig takes/);
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

  it('check shows the number a symbol gives the driver, and what wanconfig accepts as warnings (exit 0)', async () => {
    const dir = await tmpDir();
    await fs.writeFile(
      path.join(dir, 'wanpipe1.conf'),
      ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG = NO\nDYN_INTR_CFG = two\n'),
    );
    const r = await cli('config', 'check', '--conf-dir', dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /wan0 .* YES \(TWO = 2\) /);
    assert.match(
      r.out,
      /\n1 warning \(wanconfig accepts these\):\n {2}\S+wanpipe1\.conf:9: DYN_INTR_CFG is set 2 times/,
    );
    const j = JSON.parse((await cli('config', 'check', '--json', '--conf-dir', dir)).out) as {
      interfaces: { dynIntrCfgNumber: number; dynIntrCfgSection: string }[];
      problems: { severity: string }[];
    };
    assert.deepEqual(
      [j.interfaces[0]?.dynIntrCfgNumber, j.interfaces[0]?.dynIntrCfgSection, j.problems.map((p) => p.severity)],
      [2, 'wan0', ['warning']],
    );
  });

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
