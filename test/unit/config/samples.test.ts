import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSite } from '../../../src/config/load.js';
import { parseIpFile, parseWanrouterRc } from '../../../src/config/rc.js';
import { ipInterfaces, siteProblems } from '../../../src/config/site.js';
import { buildFileModel } from '../../../src/config/wanconfig/model.js';
import { readWanpipe } from '../../../src/config/wanconfig/read.js';
import { exists, samplesDir, sharedSamplesDir } from '../../helpers/fs.js';

type Row = [name: string, device: string, mode: string, ip: boolean, visibility: string, dyn: string | undefined];
const rows = (
  ifs: {
    name: string;
    device: string;
    mode: string;
    lipProtocol: string | undefined;
    carriesIp: boolean;
    visibility: string;
    dynIntrCfg: string | undefined;
  }[],
): Row[] =>
  ifs.map((i) => [
    i.name,
    i.device,
    i.lipProtocol ? `${i.mode}/${i.lipProtocol}` : i.mode,
    i.carriesIp,
    i.carriesIp ? i.visibility : '-',
    i.dynIntrCfg,
  ]);

describe('project samples (wanpipe-conf/)', () => {
  it('lists exactly the samples the tests know', async () => {
    assert.deepEqual((await fs.readdir(samplesDir)).sort(), [
      'aft-a104-4xt1-ppp',
      'aft-a104-t1-ft1-mixed',
      'frame-relay-3dlci',
      's514-chdlc-2xt1',
      'two-cards',
    ]);
  });

  it('s514-chdlc-2xt1: two S514 CHDLC T1 ports, both black-holing until fixed', async () => {
    const site = await loadSite(path.join(samplesDir, 's514-chdlc-2xt1'));
    assert.deepEqual(
      site.rc?.devices?.map((d) => d.name),
      ['wanpipe1', 'wanpipe2'],
    );
    assert.deepEqual(
      site.devices.map((d) => [d.name, d.configId, d.card]),
      [
        ['wanpipe1', 'WAN_CHDLC', 'S514'],
        ['wanpipe2', 'WAN_CHDLC', 'S514'],
      ],
    );
    assert.deepEqual(rows(site.interfaces), [
      ['wan0', 'wanpipe1', 'WANPIPE', true, 'none', 'NO'],
      ['wan1', 'wanpipe2', 'WANPIPE', true, 'none', 'NO'],
    ]);
    assert.equal(site.ipFiles.get('wan0')?.ipaddr, '192.0.2.1');
    assert.equal(site.ipFiles.get('wan1')?.pointopoint, '192.0.2.4');
    assert.deepEqual(
      siteProblems(site).map((p) => [p.iface, p.hint, p.where.replace(samplesDir, '')]),
      [
        ['wan0', 'wanbond config fix', '/s514-chdlc-2xt1/wanpipe1.conf:53'],
        ['wan1', 'wanbond config fix', '/s514-chdlc-2xt1/wanpipe2.conf:53'],
      ],
    );
  });

  it('aft-a104-4xt1-ppp: four ports, PPP over LIP, the driver downs a dead line', async () => {
    const site = await loadSite(path.join(samplesDir, 'aft-a104-4xt1-ppp'));
    assert.deepEqual(
      site.devices.map((d) => [d.name, d.configId, d.card]),
      [1, 2, 3, 4].map((n) => [`wanpipe${n}`, 'WAN_AFT_TE1', 'AFT']),
    );
    assert.deepEqual(
      rows(site.interfaces),
      [1, 2, 3, 4].flatMap((n): Row[] => [
        [`w${n}g1`, `wanpipe${n}`, 'STACK', false, '-', undefined],
        [`w${n}g1ppp`, `wanpipe${n}`, 'WANPIPE/ppp', true, 'driver-downs', 'YES'],
      ]),
    );
    assert.deepEqual(
      site.interfaces.filter((i) => i.carriesIp).map((i) => [i.parent, i.profile]),
      [1, 2, 3, 4].map((n) => [`w${n}g1`, `w${n}g1.ppp`]),
    );
    assert.deepEqual(siteProblems(site), []);
  });

  it(
    'aft-a104-t1-ft1-mixed: ' + 'three ports of the same kind, the second a fractional T1 (lines of unequal speed)',
    async () => {
      const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
      assert.deepEqual(
        ipInterfaces(site).map((i) => [i.name, i.parent, i.visibility, i.dynIntrCfg]),
        [1, 2, 3].map((n) => [`w${n}g1ppp`, `w${n}g1`, 'driver-downs', 'YES']),
      );
      assert.deepEqual(
        [...site.ipFiles].map(([n, f]) => [n, f.ipaddr, f.pointopoint]),
        [1, 2, 3].map((n) => [`w${n}g1ppp`, `198.51.100.${4 * n - 3}`, `198.51.100.${4 * n - 2}`]),
      );
      assert.deepEqual(siteProblems(site), []);
    },
  );

  it('frame-relay-3dlci: three DLCIs on one port, CRLF, one section missing', async () => {
    const site = await loadSite(path.join(samplesDir, 'frame-relay-3dlci'));
    assert.equal(site.rc, undefined);
    assert.deepEqual(
      site.interfaces.map((i) => [i.name, i.mediaAddr, i.visibility, i.dynIntrCfg, i.sectionLine]),
      [
        ['wp1fr16', { kind: 'dlci', dlci: 16 }, 'driver-downs', 'YES', 35],
        ['wp1fr17', { kind: 'dlci', dlci: 17 }, 'none', undefined, 42],
        ['wp1fr18', { kind: 'dlci', dlci: 18 }, 'none', undefined, undefined],
      ],
    );
    assert.deepEqual(
      siteProblems(site).map((p) => p.iface),
      ['wp1fr17', 'wp1fr18'],
    );
    assert.ok(site.files[0]?.lexed.lines.every((l) => l.eol === '\r\n'));
  });

  it('two-cards: an S514 and an AFT A101, in wanrouter.rc order', async () => {
    const site = await loadSite(path.join(samplesDir, 'two-cards'));
    assert.deepEqual(
      site.files.map((f) => path.basename(f.file)),
      ['wanpipe1.conf', 'wanpipe2.conf'],
    );
    assert.deepEqual(
      site.devices.map((d) => [d.name, d.configId, d.card]),
      [
        ['wanpipe1', 'WAN_CHDLC', 'S514'],
        ['wanpipe2', 'WAN_AFT_TE1', 'AFT'],
      ],
    );
    assert.deepEqual(
      ipInterfaces(site).map((i) => [i.name, i.visibility]),
      [
        ['wan0', 'driver-downs'],
        ['w2g1ppp', 'driver-downs'],
      ],
    );
    assert.deepEqual(siteProblems(site), []);
  });
});

describe('Sangoma and field samples (../shared/wanpipe-samples)', {
  skip: !(await exists(sharedSamplesDir)) && '../shared is not present',
}, () => {
  const read = async (n: string) => (await fs.readFile(path.join(sharedSamplesDir, n))).toString('latin1');
  const model = async (n: string) => buildFileModel(readWanpipe(n, await read(n)));
  const expected: Record<string, { devices: [string, string, string][]; ifs: Row[] }> = {
    'aft-a101-t1-mp-chdlc.conf': {
      devices: [['wanpipe1', 'WAN_AFT', 'AFT']],
      ifs: [['wp1aft', 'wanpipe1', 'WANPIPE', true, 'none', 'NO']],
    },
    'aft-te1-a101-ppp-128t-production.conf': {
      devices: [['wanpipe1', 'WAN_AFT_TE1', 'AFT']],
      ifs: [
        ['w1g1', 'wanpipe1', 'STACK', false, '-', undefined],
        ['w1g1ppp', 'wanpipe1', 'WANPIPE/ppp', true, 'carrier', 'NO'],
      ],
    },
    'aft-te1-a104-frame-relay-lip-annotated.conf': {
      devices: [['wanpipe1', 'WAN_AFT_TE1', 'AFT']],
      ifs: [
        ['w1g1', 'wanpipe1', 'STACK', false, '-', undefined],
        ['w1g1fr', 'wanpipe1', 'WANPIPE/fr', true, 'carrier', 'NO'],
      ],
    },
    'aft-te1-lip-hdlc-api.conf': {
      devices: [['wanpipe1', 'WAN_AFT_TE1', 'AFT']],
      ifs: [
        ['w1g1', 'wanpipe1', 'STACK', false, '-', undefined],
        ['w1g1hdlc', 'wanpipe1', 'API/lip_hdlc', false, '-', undefined],
      ],
    },
    's514-chdlc-t1-ft1.conf': {
      devices: [['wanpipe1', 'WAN_CHDLC', 'S514']],
      ifs: [['wp1chdlc', 'wanpipe1', 'WANPIPE', true, 'none', 'NO']],
    },
    's514-chdlc-v35.conf': {
      devices: [['wanpipe1', 'WAN_CHDLC', 'S514']],
      ifs: [['wp1chdlc', 'wanpipe1', 'WANPIPE', true, 'none', 'NO']],
    },
    's514-frame-relay-auto-dlci.conf': {
      devices: [['wanpipe1', 'WAN_FR', 'S514']],
      ifs: [['wp1fr16', 'wanpipe1', 'WANPIPE', true, 'none', 'NO']],
    },
    's514-multport-ppp-t1.conf': {
      devices: [['wanpipe1', 'WAN_MULTPPP', 'S514']],
      ifs: [['wp1mppp', 'wanpipe1', 'WANPIPE', true, 'none', 'NO']],
    },
    's514-ppp-t1.conf': {
      devices: [['wanpipe1', 'WAN_PPP', 'S514']],
      ifs: [['wp1ppp', 'wanpipe1', 'WANPIPE', true, 'none', 'NO']],
    },
  };

  it('covers every sample file', async () => {
    const all = (await fs.readdir(sharedSamplesDir)).sort();
    const others = [
      'frame-relay-two-dlci-template-pld.conf',
      'interfaces-dir-ip-file-sample.conf',
      'wanrouter-rc-sample.conf',
    ];
    assert.deepEqual(all, [...Object.keys(expected), ...others].sort());
  });

  for (const [name, exp] of Object.entries(expected)) {
    it(`${name}: devices, interfaces, failure visibility`, async () => {
      const m = await model(name);
      assert.deepEqual(
        m.devices.map((d) => [d.name, d.configId, d.card]),
        exp.devices,
      );
      assert.deepEqual(rows(m.interfaces), exp.ifs);
    });
  }

  it('the annotated A104 sample keeps the FR profile and auto DLCI', async () => {
    const m = await model('aft-te1-a104-frame-relay-lip-annotated.conf');
    const fr = m.interfaces.find((i) => i.name === 'w1g1fr');
    assert.deepEqual(
      [fr?.mediaAddr, fr?.profile, fr?.parent, fr?.dynIntrCfgApplies],
      [{ kind: 'auto' }, 'w1g1.fr', 'w1g1', true],
    );
  });

  it('WAN_MULTPPP: DYN_INTR_CFG means dynamic IP, so it is not applicable', async () => {
    const i = (await model('s514-multport-ppp-t1.conf')).interfaces[0];
    assert.equal(i?.dynIntrCfgApplies, false);
    assert.match(i?.why ?? '', /dynamic IP/);
  });

  it('the PLD two-DLCI template is all comments: no [devices], a precise error', async () => {
    await assert.rejects(model('frame-relay-two-dlci-template-pld.conf'), {
      message:
        'frame-relay-two-dlci-template-pld.conf:1: no [devices] section: wanrouter start fails ' +
        '(wanconfig: "section [devices] not found!", exit 3)',
    });
    const lexed = readWanpipe('t', await read('frame-relay-two-dlci-template-pld.conf'));
    assert.ok(
      lexed.lines.some((l) => l.eol === '\r\n') && lexed.lines.some((l) => l.eol === '\n'),
      'mixed CRLF/LF kept per line',
    );
  });

  it('wanrouter.rc sample: WAN_DEVICES', async () => {
    assert.deepEqual(parseWanrouterRc('rc', await read('wanrouter-rc-sample.conf')).devices, [
      { name: 'wanpipe1', line: 43 },
    ]);
  });

  it('interfaces/ IP file sample', async () => {
    assert.deepEqual(parseIpFile(await read('interfaces-dir-ip-file-sample.conf')), {
      onboot: true,
      ipaddr: '202.1.1.1',
      netmask: '255.255.255.0',
      pointopoint: '202.1.1.2',
      gateway: undefined,
    });
  });
});
