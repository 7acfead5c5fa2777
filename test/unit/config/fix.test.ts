import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSite } from '../../../src/config/load.js';
import { siteProblems } from '../../../src/config/site.js';
import { cli } from '../../helpers/cli.js';
import { copyDir, samplesDir, sharedSamplesDir, exists, snapshot, tmpDir } from '../../helpers/fs.js';

async function sample(name: string): Promise<string> {
  const dir = await tmpDir();
  await copyDir(path.join(samplesDir, name), dir);
  return dir;
}
const backups = async (dir: string) =>
  (await fs.readdir(dir)).filter((n) => n.includes('.wanbond-') && n.endsWith('.bak')).sort();

const haveShared = await exists(sharedSamplesDir);

describe('config fix', () => {
  it('--dry-run prints a unified diff and writes nothing', async () => {
    const dir = await sample('s514-chdlc-2xt1');
    const before = await snapshot(dir);
    const r = await cli('config', 'fix', '--dry-run', '--conf-dir', dir);
    assert.equal(r.code, 0);
    const f1 = path.join(dir, 'wanpipe1.conf');
    assert.ok(
      r.out.startsWith(
        `--- ${f1}\n+++ ${f1}\n@@ -50,4 +50,4 @@\n KEEPALIVE_ERR_MARGIN\t= 5\n SLARP_TIMER\t\t= 0\n` +
          ` TRUE_ENCODING_TYPE\t= NO\n-DYN_INTR_CFG\t= NO\n+DYN_INTR_CFG\t= YES\n`,
      ),
      r.out,
    );
    assert.match(r.out, /wanpipe2\.conf\n/);
    assert.deepEqual(await snapshot(dir), before);
  });

  it('changes one value per interface, keeps a backup, and a second run is a no-op', async () => {
    const dir = await sample('s514-chdlc-2xt1');
    const f1 = path.join(dir, 'wanpipe1.conf');
    await fs.chmod(f1, 0o640);
    const orig = await fs.readFile(f1, 'latin1');
    const r = await cli('config', 'fix', '--conf-dir', dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wanpipe1\.conf:53: wan0: DYN_INTR_CFG = YES \(replaced-value, was NO\)/);
    const now = await fs.readFile(f1, 'latin1');
    assert.equal(now, orig.replace('DYN_INTR_CFG\t= NO', 'DYN_INTR_CFG\t= YES'));
    assert.equal((await fs.stat(f1)).mode & 0o777, 0o640);
    const bak = await backups(dir);
    assert.equal(bak.length, 2);
    assert.equal(
      await fs.readFile(path.join(dir, bak.find((b) => b.startsWith('wanpipe1')) as string), 'latin1'),
      orig,
    );
    assert.equal((await cli('config', 'check', '--conf-dir', dir)).code, 0);
    const snap = await snapshot(dir);
    const again = await cli('config', 'fix', '--conf-dir', dir);
    assert.equal(again.out, 'nothing to fix: DYN_INTR_CFG = YES is already set wherever it applies\n');
    assert.deepEqual(await snapshot(dir), snap);
  });

  it('CRLF file: inserts a key laid out like its neighbours and appends a missing section', async () => {
    const dir = await sample('frame-relay-3dlci');
    const f = path.join(dir, 'wanpipe1.conf');
    const orig = await fs.readFile(f, 'latin1');
    assert.equal((await cli('config', 'fix', '--conf-dir', dir)).code, 0);
    const now = await fs.readFile(f, 'latin1');
    const expected = `${orig.replace(
      '[wp1fr17]\r\nCIR\t\t= 512\r\nBC\t\t= 512\r\nBE\t\t= 0\r\nINARP\t\t= NO\r\n',
      '[wp1fr17]\r\nCIR\t\t= 512\r\nBC\t\t= 512\r\nBE\t\t= 0\r\nINARP\t\t= NO\r\nDYN_INTR_CFG\t\t= YES\r\n',
    )}\r\n[wp1fr18]\r\nDYN_INTR_CFG = YES\r\n`;
    assert.equal(now, expected);
    const site = await loadSite(dir);
    assert.deepEqual(
      site.interfaces.map((i) => [i.name, i.dynIntrCfg, i.visibility]),
      [
        ['wp1fr16', 'YES', 'driver-downs'],
        ['wp1fr17', 'YES', 'driver-downs'],
        ['wp1fr18', 'YES', 'driver-downs'],
      ],
    );
    assert.deepEqual(siteProblems(site), []);
  });

  it('--only restricts the edit to the named interfaces', async () => {
    const dir = await sample('s514-chdlc-2xt1');
    assert.equal((await cli('config', 'fix', '--only', 'wan1', '--conf-dir', dir)).code, 0);
    const site = await loadSite(dir);
    assert.deepEqual(
      site.interfaces.map((i) => i.dynIntrCfg),
      ['NO', 'YES'],
    );
  });

  it('a file without a final newline gets the key after its last line', async () => {
    const dir = await tmpDir();
    const f = path.join(dir, 'wanpipe1.conf');
    await fs.writeFile(
      f,
      '[devices]\nwanpipe1 = WAN_PPP, c\n[interfaces]\nwp1ppp = wanpipe1, , WANPIPE, c\n[wanpipe1]\n' +
        'CARD_TYPE = S51X\n[wp1ppp]\n   MULTICAST   = NO ; trailing',
    );
    assert.equal((await cli('config', 'fix', '--conf-dir', dir)).code, 0);
    assert.equal(
      await fs.readFile(f, 'latin1'),
      '[devices]\nwanpipe1 = WAN_PPP, c\n[interfaces]\nwp1ppp = wanpipe1, , WANPIPE, c\n[wanpipe1]\n' +
        'CARD_TYPE = S51X\n[wp1ppp]\n   MULTICAST   = NO ; trailing\n   DYN_INTR_CFG = YES',
    );
  });

  it('keeps key case and trailing comments when replacing a value', async () => {
    const dir = await tmpDir();
    const f = path.join(dir, 'wanpipe1.conf');
    await fs.writeFile(
      f,
      '[devices]\nwanpipe1 = WAN_CHDLC, c\n[interfaces]\nwan0 = wanpipe1, , WANPIPE, c\n' +
        '[wanpipe1]\nCARD_TYPE = S51X\n' +
        '[wan0]\n\tDyn_Intr_Cfg =  no\t# set by hand, 2009\n',
    );
    assert.equal((await cli('config', 'fix', '--conf-dir', dir)).code, 0);
    assert.match(await fs.readFile(f, 'latin1'), /\n\tDyn_Intr_Cfg = {2}YES\t# set by hand, 2009\n$/);
  });

  it('does not set the key where it means dynamic IP (WAN_MULTPPP), and says why', {
    skip: !haveShared && 'no ../shared',
  }, async () => {
    const dir = await tmpDir();
    await fs.copyFile(path.join(sharedSamplesDir, 's514-multport-ppp-t1.conf'), path.join(dir, 'wanpipe1.conf'));
    const before = await snapshot(dir);
    const r = await cli('config', 'fix', '--conf-dir', dir);
    assert.equal(r.code, 0);
    assert.equal(
      r.err,
      'wp1mppp: DYN_INTR_CFG not set: on WAN_MULTPPP DYN_INTR_CFG means dynamic IP, not interface down: ' +
        'a dead line stays up\n',
    );
    assert.deepEqual(await snapshot(dir), before);
    assert.equal((await cli('config', 'check', '--conf-dir', dir)).code, 1);
  });

  it('refuses a file changed on disk after it was read', async () => {
    const dir = await sample('s514-chdlc-2xt1');
    const { planFix, writeFix } = await import('../../../src/config/write-fix.js');
    const plan = planFix(await loadSite(dir));
    await fs.appendFile(path.join(dir, 'wanpipe1.conf'), '# edited meanwhile\n');
    await assert.rejects(writeFix(plan), /changed on disk while wanbond was working on it/);
  });
});

describe('atomic write', () => {
  it('a writer killed between the temporary file and the rename leaves the original intact', async () => {
    const dir = await sample('s514-chdlc-2xt1');
    const f = path.join(dir, 'wanpipe1.conf');
    const orig = await fs.readFile(f, 'latin1');
    const helper = fileURLToPath(new URL('../../helpers/interrupted-writer.js', import.meta.url));
    const child = spawn(process.execPath, [helper, f, 'half-finished new content'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tmp = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /^ready (.*)$/m.exec(d.toString());
        if (m) resolve(m[1] as string);
      });
      child.on('exit', (c) => reject(new Error(`writer exited early (${c})`)));
    });
    assert.equal(await fs.readFile(tmp, 'utf8'), 'half-finished new content');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    assert.equal(await fs.readFile(f, 'latin1'), orig);
    const check = await cli('config', 'check', '--conf-dir', dir);
    assert.equal(check.code, 1, check.err);
    assert.equal((await cli('config', 'fix', '--conf-dir', dir)).code, 0);
    assert.equal((await cli('config', 'check', '--conf-dir', dir)).code, 0);
  });
});
