import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANNEXG_TABLES,
  ANNEXG_WITHOUT_PROTOCOL,
  CONFIG_ID_NAMES,
  DEVICE_MEDIA_TABLES,
  IFACE_MEDIA_TABLES,
  KEY_TABLES,
  lookupKey,
  SYMBOLS,
  symbolValue,
} from '../../../src/config/wanconfig/tables.js';

// Expected values read from util/wanconfig/wanconfig.{h,c} and patches/kdrivers/include of Distrotech/wanpipe at
// 8c8aab8273c224a87a0a7b498bb990f8126c8cab, not from the generated file.
describe('wanconfig 7.0.15 tables', () => {
  it('DYN_INTR_CFG is an interface key (chan_conftab, uchar), not a device key', () => {
    assert.deepEqual(lookupKey('chan_conftab', 'DYN_INTR_CFG'), { key: 'DYN_INTR_CFG', dtype: 'uchar' });
    assert.equal(lookupKey('common_conftab', 'DYN_INTR_CFG'), undefined);
  });

  it('TTL is a uchar device key; MULTICAST is an interface key only', () => {
    assert.equal(lookupKey('common_conftab', 'TTL')?.dtype, 'uchar');
    assert.equal(lookupKey('common_conftab', 'MULTICAST'), undefined);
    assert.equal(lookupKey('chan_conftab', 'MULTICAST')?.dtype, 'uchar');
  });

  it('keys left out by `//`, `/* */` and `#if 0` are absent', () => {
    assert.equal(lookupKey('chan_conftab', 'BAUDRATE'), undefined, '// at wanconfig.h 828');
    assert.equal(lookupKey('common_conftab', 'ATM_SYNC_MODE'), undefined, '#if 0 at wanconfig.h 388');
    assert.equal(lookupKey('atm_conftab', 'ATM_SYNC_MODE')?.dtype, 'ushort');
  });

  it('entry counts: common_conftab 119, chan_conftab 61 (grep -c of the ranges less the dropped lines)', () => {
    assert.equal(KEY_TABLES['common_conftab']?.length, 119);
    assert.equal(KEY_TABLES['chan_conftab']?.length, 61);
    assert.deepEqual(KEY_TABLES['xmtp2_conftab'], []);
  });

  it('lookupKey answers undefined for an unknown table, an inherited property name, or an unknown key', () => {
    assert.equal(lookupKey('no_such_conftab', 'MTU'), undefined);
    assert.equal(lookupKey('toString', 'MTU'), undefined);
    assert.equal(lookupKey('xilinx_if_conftab', 'NO_SUCH_KEY'), undefined);
  });

  it('symbol values from the driver headers', () => {
    const expected: [string, number][] = [
      ['TWO', 2],
      ['PRI', 0],
      ['SEC', 1],
      ['INTERNAL', 1],
      ['T1', 1],
      ['PPP', 103],
      ['YES', 1],
      ['NO', 0],
      ['ANSI', 1],
    ];
    for (const [name, value] of expected) assert.equal(symbolValue(name), value, name);
    assert.equal(symbolValue('yes'), undefined, 'the caller upper-cases, as set_conf_param does');
    assert.equal(symbolValue('IGNORE_DCD'), undefined, 'inside /* */ at wanconfig.h 1140');
  });

  it('sym_table keeps its 205 entries and duplicates in source order; ANSI is first the Frame Relay one', () => {
    assert.equal(SYMBOLS.length, 205);
    assert.deepEqual(
      SYMBOLS.filter(([n]) => n === 'ANSI').map(([, v]) => v),
      [1, 1],
    );
    assert.deepEqual(SYMBOLS[0], ['OFF', 0]);
    assert.deepEqual(SYMBOLS.at(-1), ['LINEAR', 1]);
  });

  it('media tables by [devices] media id', () => {
    assert.equal(DEVICE_MEDIA_TABLES['WAN_AFT_TE1'], 'xilinx_conftab');
    assert.equal(IFACE_MEDIA_TABLES['WAN_AFT_TE1'], 'xilinx_if_conftab');
    assert.equal(DEVICE_MEDIA_TABLES['WAN_AFT_GSM'], undefined, 'conf_def_tables has no WANCONFIG_AFT_GSM');
    assert.equal(IFACE_MEDIA_TABLES['WAN_AFT_GSM'], 'xilinx_if_conftab');
    assert.equal(IFACE_MEDIA_TABLES['WAN_PPP'], undefined);
    assert.equal(CONFIG_ID_NAMES.length, 34);
    assert.equal(CONFIG_ID_NAMES[0], 'WAN_PPP');
  });

  it('annexg tables by [interfaces] protocol word', () => {
    assert.equal(ANNEXG_TABLES['ppp'], 'sppp_conftab');
    assert.equal(ANNEXG_TABLES['chdlc'], 'sppp_conftab');
    assert.equal(ANNEXG_TABLES['tty'], 'xdlc_conftab', 'build_chandef_list gives tty ANNEXG_LIP_XDLC');
    assert.equal(ANNEXG_TABLES['lip_lapd'], 'lapb_annexg_conftab');
    assert.equal(ANNEXG_TABLES['lip_xmtp2'], 'xmtp2_conftab');
    assert.deepEqual([...ANNEXG_WITHOUT_PROTOCOL].sort(), ['dsp', 'lapb', 'x25']);
  });

  it('every table a lookup table names is in KEY_TABLES', () => {
    const named = [
      ...Object.values(DEVICE_MEDIA_TABLES),
      ...Object.values(IFACE_MEDIA_TABLES),
      ...Object.values(ANNEXG_TABLES),
    ];
    for (const t of named) assert.ok(Object.hasOwn(KEY_TABLES, t), t);
  });
});
