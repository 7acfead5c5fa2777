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

interface Case { name: string; files: Record<string, string | Buffer>; file: string; message: string }

const cases: Case[] = [
  { name: 'unknown device in [interfaces]', files: { 'wanpipe1.conf': ok('wan0 = wanpipe2, , WANPIPE, Comment') }, file: 'wanpipe1.conf',
    message: "4: wan0: unknown device 'wanpipe2': [devices] defines wanpipe1" },
  { name: 'too few fields', files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, WANPIPE') }, file: 'wanpipe1.conf',
    message: "4: wan0: too few fields: expected '<device>, <media address>, <operation mode>[, <comment>]', found 2" },
  { name: 'key outside any section', files: { 'wanpipe1.conf': `# header\nDYN_INTR_CFG = YES\n${ok('wan0 = wanpipe1, , WANPIPE, c')}` }, file: 'wanpipe1.conf',
    message: "2: 'DYN_INTR_CFG = YES' is outside any section" },
  { name: 'duplicate section', files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nMTU = 1500\n[wan0]\nDYN_INTR_CFG = YES\n') }, file: 'wanpipe1.conf',
    message: '9: duplicate section [wan0] (first defined at line 7)' },
  { name: 'unterminated section header', files: { 'wanpipe1.conf': `${DEV}[interfaces\nwan0 = wanpipe1, , WANPIPE, c\n` }, file: 'wanpipe1.conf',
    message: "3: unterminated section header: expected '[name]', found '[interfaces'" },
  { name: 'DLCI out of range', files: { 'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr5 = wanpipe1, 5, WANPIPE, c\n[wanpipe1]\nCARD_TYPE = S51X\n' }, file: 'wanpipe1.conf',
    message: '4: wp1fr5: DLCI 5 out of range: expected 16 to 1007' },
  { name: 'DLCI not a number', files: { 'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_FR, fr\n[interfaces]\nwp1fr = wanpipe1, x16, WANPIPE, c\n[wanpipe1]\nCARD_TYPE = S51X\n' }, file: 'wanpipe1.conf',
    message: "4: wp1fr: expected a DLCI number (16-1007) or 'auto', found 'x16'" },
  { name: 'LIP interface whose profile section is missing', files: { 'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1 = wanpipe1, , STACK, c\nw1g1ppp = wanpipe1, , WANPIPE, ppp, w1g1.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n' }, file: 'wanpipe1.conf',
    message: '5: w1g1ppp: protocol profile section [w1g1.ppp] is missing' },
  { name: 'LIP interface without its STACK hardware interface', files: { 'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_AFT_TE1, a\n[interfaces]\nw1g1ppp = wanpipe1, , WANPIPE, ppp, w1g1.ppp\n[wanpipe1]\nCARD_TYPE = AFT\n[w1g1.ppp]\nIP_MODE = STATIC\n' }, file: 'wanpipe1.conf',
    message: "4: w1g1ppp: profile w1g1.ppp names hardware interface w1g1, but [interfaces] has no 'w1g1 = wanpipe1, , STACK, ...'" },
  { name: 'device without its own section', files: { 'wanpipe1.conf': `${DEV}[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n` }, file: 'wanpipe1.conf',
    message: '2: wanpipe1 has no [wanpipe1] section' },
  { name: 'binary garbage', files: { 'wanpipe1.conf': Buffer.concat([Buffer.from(`${DEV}[interfaces]\n`), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a])]) }, file: 'wanpipe1.conf',
    message: '4: binary data (byte 0x00) in a text configuration file' },
  { name: 'empty file', files: { 'wanpipe1.conf': '  \n\n' }, file: 'wanpipe1.conf', message: '1: file is empty' },
  { name: 'comments only', files: { 'wanpipe1.conf': '# nothing here\n; nor here\n' }, file: 'wanpipe1.conf', message: '1: no [devices] section' },
  { name: "a line without '='", files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG YES\n') }, file: 'wanpipe1.conf',
    message: "8: expected 'KEY = value' in section [wan0], found 'DYN_INTR_CFG YES'" },
  { name: 'unknown operation mode', files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , ROUTED, c') }, file: 'wanpipe1.conf',
    message: "4: wan0: unknown operation mode 'ROUTED': expected WANPIPE (IP), API, STACK, ..." },
  { name: 'unknown protocol in [devices]', files: { 'wanpipe1.conf': '[devices]\nwanpipe1 = WAN_CHDLCX, c\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n[wanpipe1]\n' }, file: 'wanpipe1.conf',
    message: "2: wanpipe1: unknown protocol 'WAN_CHDLCX': expected one of WAN_CHDLC, WAN_PPP, WAN_FR, WAN_MULTPPP, WAN_AFT, WAN_AFT_TE1, ..." },
  { name: 'DYN_INTR_CFG neither YES nor NO', files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG = MAYBE\n') }, file: 'wanpipe1.conf',
    message: "8: wan0: DYN_INTR_CFG must be YES or NO, found 'MAYBE'" },
  { name: 'duplicate key', files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c', '[wan0]\nDYN_INTR_CFG = NO\ndyn_intr_cfg = YES\n') }, file: 'wanpipe1.conf',
    message: '9: duplicate key dyn_intr_cfg in section [wan0] (first at line 8)' },
  { name: 'no [interfaces]', files: { 'wanpipe1.conf': `${DEV}${DEVSEC}` }, file: 'wanpipe1.conf', message: '1: no [interfaces] section' },
  { name: 'interface name too long for the kernel', files: { 'wanpipe1.conf': ok('wan0-is-far-too-long = wanpipe1, , WANPIPE, c') }, file: 'wanpipe1.conf',
    message: "4: invalid interface name 'wan0-is-far-too-long': expected 1-15 letters, digits, '_', '.', '-'" },
  { name: 'WAN_DEVICES names a missing file', files: { 'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c'), 'wanrouter.rc': 'ROUTER_BOOT=YES\nWAN_DEVICES="wanpipe1 wanpipe2"\n' }, file: 'wanrouter.rc',
    message: '2: WAN_DEVICES names wanpipe2, but <dir>/wanpipe2.conf does not exist' },
  { name: 'interface defined in two files', files: {
    'wanpipe1.conf': ok('wan0 = wanpipe1, , WANPIPE, c'),
    'wanpipe2.conf': '[devices]\nwanpipe2 = WAN_CHDLC, c\n[interfaces]\nwan0 = wanpipe2, , WANPIPE, c\n[wanpipe2]\nCARD_TYPE = S51X\n' }, file: 'wanpipe2.conf',
    message: '4: interface wan0 is also defined at <dir>/wanpipe1.conf:4' },
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

  it('a missing folder is an error that says where to look', async () => {
    const r = await cli('config', 'check', '--conf-dir', '/nonexistent/wanpipe');
    assert.equal(r.code, 1);
    assert.equal(r.err, 'error: /nonexistent/wanpipe: cannot read the wanpipe configuration folder (ENOENT)\nhint: install wanpipe and run wancfg, or point --conf-dir at the folder holding wanpipeN.conf\n');
  });
});
