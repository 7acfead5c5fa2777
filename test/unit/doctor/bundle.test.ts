// The support bundle: one tar.gz, mode 0600, written atomically, with PAP/CHAP credentials and SNMP
// communities masked wherever they were; the tar writer read back byte by byte.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MASK, maskSecrets, maskText } from '../../../src/doctor/mask.js';
import { tar } from '../../../src/doctor/tar.js';
import { writeHealthFile } from '../../../src/watch/health-file.js';
import { cliWith } from '../../helpers/cli.js';
import { copyDir, samplesDir, tmpDir } from '../../helpers/fs.js';
import { daemonFile } from './fixture.js';
import { deviceProc, DoctorKernel } from './kernel.js';

/** name -> content of each regular file of an uncompressed ustar archive; checks every header's checksum. */
function untar(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (let at = 0; at + 512 <= buf.length; ) {
    const h = buf.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const str = (o: number, n: number) =>
      h
        .subarray(o, o + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const sum = [...h].reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    assert.equal(parseInt(str(148, 8), 8), sum, 'header checksum');
    assert.equal(str(257, 6), 'ustar');
    assert.equal(parseInt(str(100, 8), 8), 0o600);
    const size = parseInt(str(124, 12), 8);
    const prefix = str(345, 155);
    out.set((prefix ? `${prefix}/` : '') + str(0, 100), buf.subarray(at + 512, at + 512 + size).toString('utf8'));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** The 4-line sample in a fresh folder, with one edit to wanpipe1.conf (which must apply). */
async function sampleWithWanpipe1(from: string, to: string): Promise<{ dir: string; conf: string }> {
  const dir = await tmpDir();
  const conf = path.join(dir, 'wanpipe');
  await copyDir(path.join(samplesDir, 'aft-a104-4xt1-ppp'), conf);
  const f1 = path.join(conf, 'wanpipe1.conf');
  const text = await fs.readFile(f1, 'utf8');
  assert.ok(text.includes(from), `wanpipe1.conf has no ${JSON.stringify(from)} to replace`);
  await fs.writeFile(f1, text.replace(from, to));
  return { dir, conf };
}

const SECRETS = ['pap-s3cret-42', 'bob-the-user', 'chap-s3cret-77', 'c0mmunity-99', 'ifcfg-s3cret-5'];

describe('doctor --bundle', () => {
  it('masks secret values and keeps the line', () => {
    assert.equal(
      maskSecrets('[w1g1.ppp]\nPAP\t= YES\nUSERID\t= bob\nPASSWD\t= s3cret ; the PAP password\nMTU = 1500\r\n'),
      `[w1g1.ppp]\nPAP\t= YES\nUSERID\t= ${MASK}\nPASSWD\t= ${MASK}\nMTU = 1500\r\n`,
    );
    assert.equal(
      maskSecrets('export SNMP_COMMUNITY="pub lic"\nCHAP_SECRET=x\nIPADDR=192.0.2.1\n'),
      `export SNMP_COMMUNITY=${MASK}\nCHAP_SECRET=${MASK}\nIPADDR=192.0.2.1\n`,
    );
    assert.equal(maskSecrets('PASSWD =\n'), 'PASSWD =\n', 'nothing to hide in an empty value');
    assert.equal(
      maskSecrets('PASSWD s3cret\nMTU 1500\n'),
      `PASSWD ${MASK}\nMTU 1500\n`,
      'a line without its = still hides its secret',
    );
    assert.equal(
      maskSecrets('#PASSWD = old-one\n  ; CHAP_SECRET=older\n# a comment = fine\n'),
      `#PASSWD = ${MASK}\n  ; CHAP_SECRET=${MASK}\n# a comment = fine\n`,
      'commented-out secrets too',
    );
  });

  it('masks a secret quoted in an error or a log line, and nothing else', () => {
    assert.equal(
      maskText(`wanpipe1.conf:12: expected 'KEY = value' in section [w1g1], found 'PASSWD s3cret'`),
      `wanpipe1.conf:12: expected 'KEY = value' in section [w1g1], found 'PASSWD ${MASK}'`,
    );
    assert.equal(
      maskText(`{"msg":"x.conf:3: 'chap_secret = a b' is outside any section"}`),
      `{"msg":"x.conf:3: 'chap_secret = ${MASK}' is outside any section"}`,
    );
    assert.equal(
      maskText(`found 'MTU 1500' and 'PASSWD'`),
      `found 'MTU 1500' and 'PASSWD'`,
      'no value, nothing to hide',
    );
  });

  it('masks every line ending, every quoting, and every assignment on a line (issue 22 defect 7)', () => {
    // A CR-only file: each line is its own.
    assert.equal(
      maskSecrets('[w1g1.ppp]\rUSERID = bob\rPASSWD = s3cret\rMTU = 1500\r'),
      `[w1g1.ppp]\rUSERID = ${MASK}\rPASSWD = ${MASK}\rMTU = 1500\r`,
    );
    assert.equal(
      maskSecrets('PASSWD = a\r\nMTU = 1\nCHAP_SECRET = b'),
      `PASSWD = ${MASK}\r\nMTU = 1\nCHAP_SECRET = ${MASK}`,
    );
    // Two assignments on one line, the secret second: it goes, and all after it.
    assert.equal(maskSecrets('IPADDR=192.0.2.1 PASSWD=x USERID=y\n'), `IPADDR=192.0.2.1 PASSWD=${MASK}\n`);
    assert.equal(maskSecrets('a=1; export CHAP_SECRET=z\n'), `a=1; export CHAP_SECRET=${MASK}\n`);
    // Quoted secrets that hold a quote or a backslash: nothing of them is left.
    for (const secret of [`it's-s3cret`, 'say "s3cret"', 'back\\slash-s3cret', `mixed'"\\s3cret`]) {
      const error = `wanpipe1.conf:12: expected 'KEY = value' in section [w1g1], found 'PASSWD ${secret}'`;
      const masked = maskText(error);
      assert.ok(!masked.includes('s3cret'), masked);
      assert.match(masked, /found 'PASSWD \*{8}/);
      // The same error in pino's JSON, with its escaping of quotes and backslashes.
      const json = JSON.stringify({ level: 50, msg: error, err: { message: error } });
      const maskedJson = maskText(`${json}\n`);
      assert.ok(!maskedJson.includes('s3cret'), maskedJson);
      assert.equal((JSON.parse(maskedJson) as { level: number }).level, 50, 'the log line stays JSON');
    }
  });

  it(
    'a configuration that does not load: ' +
      'the bundle is still written, with the error and the raw files masked, and doctor exits 2',
    async () => {
      const { dir, conf } = await sampleWithWanpipe1('PAP\t\t= NO\n', 'PAP\t\t= YES\nPASSWD pap-s3cret-42\n');
      const kernel = new DoctorKernel({ wanpipe: { wanpipe1: ['w1g1', 'w1g1ppp'] }, wanrouterRunning: ['wanpipe1'] });
      kernel.files['/proc/net/wanrouter/wanpipe1'] = deviceProc(['RED']);
      const file = path.join(dir, 'support.tgz');
      const r = await cliWith(
        { runner: kernel },
        'doctor',
        '--bundle',
        file,
        '--conf-dir',
        conf,
        '--state-dir',
        path.join(dir, 'run'),
      );
      assert.equal(r.code, 2, r.err);
      assert.match(
        r.err,
        new RegExp(
          String.raw`^bundle: .*support\.tgz \(\d+ files, \d+ kB, secrets masked; no plan or report: the ` +
            String.raw`configuration does not load\)$`,
          'm',
        ),
      );
      assert.match(r.err, /wanpipe1\.conf:\d+/, 'the error itself, file:line, as without --bundle');
      const raw = gunzipSync(await fs.readFile(file));
      assert.equal(raw.includes('pap-s3cret-42'), false, 'the secret of the line that does not parse');
      const files = untar(raw);
      const names = [...files.keys()].map((n) => n.replace(/^[^/]+\//, ''));
      for (const want of [
        'error.txt',
        'wanpipe/wanpipe1.conf',
        'ip-route.txt',
        'tc-qdisc.txt',
        'proc-net-wanrouter/status',
        'proc-net-wanrouter/wanpipe1',
        'versions.txt',
      ]) {
        assert.ok(names.includes(want), `${want} missing from ${names.join(', ')}`);
      }
      assert.ok(!names.includes('plan.json') && !names.includes('doctor.json'));
      const get = (n: string) => [...files].find(([k]) => k.endsWith(`/${n}`))?.[1] ?? '';
      assert.match(get('error.txt'), /wanpipe1\.conf:\d+: .*PASSWD \*{8}/);
      assert.match(get('versions.txt'), /\nkernel 6\.1\.0-fake-amd64\n/);
    },
  );

  it('the tar writer: names over 100 bytes in the prefix field, contents padded to 512', () => {
    const long = `${'d'.repeat(80)}/${'f'.repeat(60)}`;
    const files = untar(
      tar(
        [
          { name: 'a.txt', data: 'hello\n' },
          { name: long, data: Buffer.alloc(700, 65) },
        ],
        new Date(0),
      ),
    );
    assert.deepEqual([...files.keys()], ['a.txt', long]);
    assert.equal(files.get(long)?.length, 700);
    assert.throws(() => tar([{ name: 'x'.repeat(101), data: '' }]), /name too long/);
  });

  it(
    'a bundle from a site with secrets: ' + 'everything support needs, none of the secrets, mode 0600, atomically',
    async () => {
      const { dir, conf } = await sampleWithWanpipe1(
        'PAP\t\t= NO\nCHAP\t\t= NO',
        'PAP\t\t= YES\nCHAP\t\t= YES\nUSERID\t\t= bob-the-user\n' + 'PASSWD\t\t= pap-s3cret-42',
      );
      await fs.appendFile(path.join(conf, 'wanrouter.rc'), 'SNMP_COMMUNITY="c0mmunity-99"\n');
      // wanconfig knows no CHAP_SECRET key: it lives in the interface's shell file, next to PASSWORD.
      await fs.appendFile(
        path.join(conf, 'interfaces', 'w2g1ppp'),
        'PASSWORD=ifcfg-s3cret-5\nCHAP_SECRET=chap-s3cret-77\n',
      );
      const state = path.join(dir, 'run');
      const kernel = new DoctorKernel({
        wanpipe: {
          wanpipe1: ['w1g1', 'w1g1ppp'],
          wanpipe2: ['w2g1', 'w2g1ppp'],
          wanpipe3: ['w3g1', 'w3g1ppp'],
          wanpipe4: ['w4g1', 'w4g1ppp'],
        },
        wanrouterRunning: ['wanpipe1', 'wanpipe2', 'wanpipe3', 'wanpipe4'],
      });
      kernel.files['/proc/net/wanrouter/wanpipe2'] = deviceProc(['AIS']);
      const args = ['--conf-dir', conf, '--state-dir', state];
      assert.equal((await cliWith({ runner: kernel }, 'up', ...args)).code, 0);
      await writeHealthFile(state, daemonFile());
      const file = path.join(dir, 'support.tgz');
      await fs.symlink(path.join(dir, 'elsewhere'), file); // a link at the name is replaced, never followed
      const r = await cliWith({ runner: kernel }, 'doctor', '--window', '0s', '--bundle', file, ...args);
      assert.equal(r.code, 1, r.err);
      assert.match(r.out, /wanpipe2: T1 alarm AIS on/);
      assert.match(r.err, /^bundle: .*support\.tgz \(\d+ files, \d+ kB, secrets masked\)\n$/);
      const st = await fs.lstat(file);
      assert.ok(st.isFile());
      assert.equal(st.mode & 0o777, 0o600);
      await assert.rejects(fs.access(path.join(dir, 'elsewhere')));
      assert.deepEqual(
        (await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')),
        [],
        'no temporary file left',
      );

      const raw = gunzipSync(await fs.readFile(file));
      for (const s of SECRETS) assert.equal(raw.includes(s), false, `${s} is in the bundle`);
      const files = untar(raw);
      const top = [...files.keys()][0]?.split('/')[0] ?? '';
      assert.match(top, /^wanbond-doctor-\d{8}T\d{6}Z$/);
      const names = [...files.keys()].map((n) => n.slice(top.length + 1));
      for (const want of [
        'wanpipe/wanpipe1.conf',
        'wanpipe/wanrouter.rc',
        'wanpipe/interfaces/w2g1ppp',
        'wanbond.conf',
        'plan.json',
        'doctor.json',
        'sysctl.txt',
        'ip-addr.txt',
        'ip-link.txt',
        'ip-route.txt',
        'ip-rule.txt',
        'tc-qdisc.txt',
        'proc-net-wanrouter/status',
        'proc-net-wanrouter/wanpipe2',
        'state/health.json',
        'state/applied.json',
        'watch-log.txt',
        'versions.txt',
      ])
        assert.ok(names.includes(want), `${want} missing from ${names.join(', ')}`);
      const get = (n: string) => files.get(`${top}/${n}`) ?? '';
      assert.match(get('wanpipe/wanpipe1.conf'), /\nPASSWD\t\t= \*{8}\n/);
      assert.match(get('wanpipe/interfaces/w2g1ppp'), /\nCHAP_SECRET=\*{8}\n/);
      assert.match(get('wanpipe/wanrouter.rc'), /SNMP_COMMUNITY=\*{8}/);
      assert.deepEqual(
        JSON.parse(get('plan.json')),
        { version: 1, steps: [] },
        'the plan of a router that is up: nothing to do',
      );
      assert.equal(JSON.parse(get('doctor.json')).schema, 'wanbond-doctor/1');
      assert.match(
        get('versions.txt'),
        new RegExp(
          String.raw`^wanbond \d+\.\d+\.\d+\nnode v\d+.*\nkernel 6\.1\.0-fake-amd64\n.*Debian 6\.1\.192.*\n` +
            String.raw`ip utility, iproute2-6\.1\.0`,
        ),
      );
      assert.match(get('proc-net-wanrouter/wanpipe2'), /RED\/AIS|AIS: +ON/);
      assert.match(get('wanbond.conf'), /does not exist: embedded defaults/);
    },
  );
});
