import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { describe, it } from 'node:test';
import { lineRate } from '../../../src/config/line-rate.js';
import { loadSite } from '../../../src/config/load.js';
import { ipInterfaces, siteProblems } from '../../../src/config/site.js';
import { writeT1Sample } from '../../../src/lab/samples.js';
import { tmpDir } from '../../helpers/fs.js';

describe('lab samples of any size', () => {
  it('16 ports on four A104s, one of them a fractional T1: a site wanbond reads without a problem', async () => {
    const dir = await tmpDir();
    const names = await writeT1Sample(
      dir,
      Array.from({ length: 16 }, (_, k) => (k === 5 ? { timeslots: 12 } : {})),
    );
    const site = await loadSite(dir);
    assert.deepEqual(
      ipInterfaces(site).map((i) => i.name),
      names,
    );
    assert.deepEqual(siteProblems(site), []);
    assert.deepEqual(
      site.rc?.devices?.map((d) => d.name),
      names.map((_, k) => `wanpipe${k + 1}`),
    );
    assert.deepEqual(
      names.map((n) => {
        const r = lineRate(site, n);
        return 'bps' in r ? r.bps : r.unknown;
      }),
      names.map((_, k) => (k === 5 ? 768_000 : 1_536_000)),
    );
    assert.deepEqual(
      [site.ipFiles.get('w16g1ppp')?.ipaddr, site.ipFiles.get('w16g1ppp')?.pointopoint],
      ['198.51.100.61', '198.51.100.62'],
    );
    const w7 = await fs.readFile(`${dir}/wanpipe7.conf`, 'utf8');
    assert.match(w7, /^FE_LINE\t\t= 3$/m);
    assert.match(w7, /^PCISLOT\t\t= 5$/m);
    assert.match(w7, /^wanpipe7 = WAN_AFT_TE1, A104 #2 port 3$/m);
    await fs.rm(dir, { recursive: true });
  });

  it('refuses sizes and timeslot counts a T1 card cannot have', async () => {
    await assert.rejects(writeT1Sample('/nonexistent', []), /a sample of 0 lines/);
    await assert.rejects(writeT1Sample('/nonexistent', [{ timeslots: 25 }]), /25 timeslots/);
  });
});
