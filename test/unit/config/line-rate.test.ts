import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { countTimeslots, lineRate, teqlCeiling } from '../../../src/config/line-rate.js';
import { loadSite } from '../../../src/config/load.js';
import { samplesDir, tmpDir } from '../../helpers/fs.js';

const bps = (r: ReturnType<typeof lineRate>) => ('bps' in r ? r.bps : r.unknown);

describe('line rates from the wanpipe configuration', () => {
  it("counts T1/E1 timeslots in Sangoma's ACTIVE_CH syntax", () => {
    assert.equal(countTimeslots('ALL', 'T1'), 24);
    assert.equal(countTimeslots('all', 'E1'), 31);
    assert.equal(countTimeslots('1-12', 'T1'), 12);
    assert.equal(countTimeslots('1.3.5-8', 'T1'), 6);
    assert.equal(countTimeslots('1-6.4-8', 'T1'), 8, 'overlapping ranges count each timeslot once');
    assert.equal(countTimeslots('1-25', 'T1'), undefined, 'a T1 has 24 timeslots');
    assert.equal(countTimeslots('12-1', 'T1'), undefined);
    assert.equal(countTimeslots('1,2', 'T1'), undefined);
    assert.equal(countTimeslots('ALL', 'V35'), undefined);
  });

  it('a full T1 on an A104 port (ACTIVE_CH on the LIP hardware channel) is 1.536 Mbit/s of payload', async () => {
    const site = await loadSite(path.join(samplesDir, 'aft-a104-4xt1-ppp'));
    const r = lineRate(site, 'w3g1ppp');
    assert.ok('bps' in r);
    assert.equal(r.bps, 1_536_000);
    assert.match(r.how, /T1, ACTIVE_CH = ALL: 24 x 64 kbit\/s/);
    assert.match(r.where, /wanpipe3\.conf:46$/);
  });

  it("the mixed sample: two full T1s and a fractional T1 of 12 timeslots; TEQL's ceiling is 3 x 768k", async () => {
    const site = await loadSite(path.join(samplesDir, 'aft-a104-t1-ft1-mixed'));
    const rates = ['w1g1ppp', 'w2g1ppp', 'w3g1ppp'].map((n) => bps(lineRate(site, n)));
    assert.deepEqual(rates, [1_536_000, 768_000, 1_536_000]);
    const c = teqlCeiling(rates as number[]);
    assert.equal(c.ceilingBps, 2_304_000);
    assert.equal(c.sumBps, 3_840_000);
    assert.equal(c.ratio, 0.6);
  });

  it(
    'S514 T1 (MEDIA, ACTIVE_CH in the device section); a serial line by its BaudRate; ' +
      'neither: unknown with the reason',
    async () => {
      assert.equal(bps(lineRate(await loadSite(path.join(samplesDir, 's514-chdlc-2xt1')), 'wan1')), 1_536_000);
      const dir = await tmpDir();
      await fs.writeFile(
        path.join(dir, 'wanpipe1.conf'),
        '[devices]\nwanpipe1 = WAN_CHDLC, v35\n[interfaces]\nwp1chdlc = wanpipe1, , WANPIPE, x\n' +
          '[wanpipe1]\nCARD_TYPE = S51X\nBaudRate = 512000\n[wp1chdlc]\nDYN_INTR_CFG = YES\n',
      );
      const serial = lineRate(await loadSite(dir), 'wp1chdlc');
      assert.deepEqual(serial, {
        bps: 512_000,
        how: 'serial clock BaudRate = 512000',
        where: `${dir}/wanpipe1.conf:7`,
      });
      await fs.writeFile(
        path.join(dir, 'wanpipe1.conf'),
        '[devices]\nwanpipe1 = WAN_CHDLC, v35\n[interfaces]\nwp1chdlc = wanpipe1, , WANPIPE, x\n' +
          '[wanpipe1]\nCARD_TYPE = S51X\n[wp1chdlc]\nDYN_INTR_CFG = YES\n',
      );
      assert.match(
        bps(lineRate(await loadSite(dir), 'wp1chdlc')) as string,
        /neither FE_MEDIA\/MEDIA \(T1, E1\) nor BaudRate is set for wanpipe1/,
      );
      assert.match(
        bps(lineRate(await loadSite(dir), 'nosuch')) as string,
        /nosuch is not in any wanpipe configuration/,
      );
      await fs.rm(dir, { recursive: true });
    },
  );

  it('an ACTIVE_CH it cannot read is unknown with file:line, never a guess', async () => {
    const dir = await tmpDir();
    await fs.cp(path.join(samplesDir, 'aft-a104-4xt1-ppp'), dir, { recursive: true });
    const f = path.join(dir, 'wanpipe1.conf');
    await fs.writeFile(f, (await fs.readFile(f, 'utf8')).replace(/ACTIVE_CH\t= ALL/, 'ACTIVE_CH\t= 1-30'));
    assert.equal(
      bps(lineRate(await loadSite(dir), 'w1g1ppp')),
      `${f}:46: ACTIVE_CH = 1-30 is not a timeslot list wanbond understands (ALL, or channels such as 1-12 or 1.3.5-8)`,
    );
    await fs.rm(dir, { recursive: true });
  });
});
