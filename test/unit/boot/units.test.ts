// The systemd units: rendered for this machine, paths systemd would misread refused, installed once
// (a second run changes nothing, a differing file is kept), and accepted by systemd-analyze verify.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { checkUnitPath, isSystemUnitDir, renderUnit, TEMPLATE_BIN, UNIT_NAMES } from '../../../src/boot/units.js';
import { registerInstallUnits, TEMPLATE_DIR } from '../../../src/cli/commands/install-units.js';
import { answer, buildProgram } from '../../../src/cli/main.js';
import { UsageError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { projectRoot, snapshot, tmpDir } from '../../helpers/fs.js';

const run = promisify(execFile);
const BIN = path.join(projectRoot, 'bin', 'wanbond');
const template = (name: string) => fs.readFile(path.join(TEMPLATE_DIR, name), 'utf8');

/** wanbond with install-units registered as main.ts will, global options and error boundary included. */
async function wanbond(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '',
    code = 0;
  const io = {
    out: (s: string) => {
      out += s;
    },
    err: (s: string) => {
      err += s;
    },
  };
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    { log: silentLogger() },
  );
  if (!program.commands.some((c) => c.name() === 'install-units'))
    registerInstallUnits(program, io, (c) => {
      code = c;
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const a = answer(e);
    err += a.text;
    code = a.code;
  }
  return { code, out, err };
}

async function which(cmd: string): Promise<string | undefined> {
  for (const d of (process.env['PATH'] ?? '').split(':').concat('/usr/bin', '/bin')) {
    const f = path.join(d, cmd);
    if (
      await fs.access(f, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return f;
  }
  return undefined;
}

describe('units: rendering', () => {
  it(
    'every Exec line of wanbond runs the given program with the given global options, ' + 'before the command',
    async () => {
      const text = renderUnit('wanbond.service', await template('wanbond.service'), {
        bin: '/usr/bin/wanbond',
        globals: [
          ['--conf-dir', '/srv/wanpipe'],
          ['--state-dir', '/run/wb'],
        ],
      });
      assert.match(text, /^ExecStart=\/usr\/bin\/wanbond --conf-dir \/srv\/wanpipe --state-dir \/run\/wb up$/m);
      assert.match(text, /^ExecStop=\/usr\/bin\/wanbond --conf-dir \/srv\/wanpipe --state-dir \/run\/wb down$/m);
      assert.ok(!text.includes(TEMPLATE_BIN));
      const watch = renderUnit('wanbond-watch.service', await template('wanbond-watch.service'), {
        bin: '/opt/wb/bin/wanbond',
        node: '/opt/node/bin/node',
        globals: [],
      });
      assert.match(watch, /^ExecStart=\/opt\/node\/bin\/node \/opt\/wb\/bin\/wanbond watch$/m);
      assert.match(watch, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, 'not a wanbond line: left as it is');
    },
  );

  it('the ordering an operator relies on', async () => {
    const up = await template('wanbond.service');
    assert.match(up, /^After=wanrouter\.service network\.target$/m);
    assert.match(up, /^Before=network-online\.target$/m);
    assert.doesNotMatch(
      up,
      /^(Wants|Requires)=.*(network-online|wanrouter)/m,
      'the bond makes the network online; wanbond up starts wanpipe devices itself',
    );
    assert.match(up, /^WantedBy=multi-user\.target network-online\.target$/m);
    const watch = await template('wanbond-watch.service');
    assert.match(watch, /^Wants=wanbond\.service$/m);
    assert.doesNotMatch(watch, /^Requires=/m, 'a failed up at boot must not keep the daemon from starting');
    assert.match(watch, /^TimeoutStopSec=\d+s$/m);
  });

  it('refuses paths that systemd would read otherwise, saying how to fix them', () => {
    const bad: [string, RegExp][] = [
      ['etc/wanpipe', /not an absolute path/],
      ['/etc/my wanpipe', /a blank/],
      ['/etc/wan"pipe', /a quote/],
      ["/etc/wan'pipe", /a quote/],
      ['/etc/50%', /specifier/],
      ['/etc/$HOME', /environment variable/],
      ['/etc/a\\b', /backslash/],
      ['/etc/a;b', /';'/],
      ['/etc/a\tb', /a blank/],
      ['/etc/wänpipe', /U\+00E4/],
    ];
    for (const [value, why] of bad) {
      assert.throws(
        () => checkUnitPath('--conf-dir', value),
        (e: unknown) => e instanceof UsageError && why.test(e.message) && /\S/.test(e.hint),
        value,
      );
    }
    assert.throws(
      () =>
        renderUnit('wanbond.service', `ExecStart=${TEMPLATE_BIN} up\n`, {
          bin: '/usr/bin/wanbond',
          globals: [['--settings', '/etc/wb 1.conf']],
        }),
      /--settings/,
    );
    checkUnitPath('--conf-dir', '/etc/wanpipe-site_2/a.b+c,d:e=f@g');
  });

  it('knows the folders systemd loads system units from', () => {
    assert.ok(isSystemUnitDir('/etc/systemd/system/'));
    assert.ok(isSystemUnitDir('/lib/systemd/system'));
    assert.ok(!isSystemUnitDir('/tmp/units'));
  });

  it('src/boot/units.ts does no I/O', async () => {
    const text = await fs.readFile(path.join(projectRoot, 'src/boot/units.ts'), 'utf8');
    for (const l of text.split('\n').filter((x) => /^import /.test(x) && !/^import type /.test(x))) {
      assert.doesNotMatch(l, /node:child_process|node:fs|'execa'|'pino'|exec\/runner\.js'/, l);
    }
  });
});

describe('units: wanbond install-units', () => {
  it('writes both units once; a second run changes nothing', async () => {
    const dir = await tmpDir();
    const first = await wanbond(
      'install-units',
      '--unit-dir',
      dir,
      '--bin',
      BIN,
      '--no-reload',
      '--conf-dir',
      '/srv/wanpipe',
    );
    assert.equal(first.code, 0, first.err);
    for (const name of UNIT_NAMES) assert.match(first.out, new RegExp(`^wrote ${path.join(dir, name)}$`, 'm'));
    assert.match(first.out, /systemctl enable --now wanbond\.service wanbond-watch\.service/);
    const unit = await fs.readFile(path.join(dir, 'wanbond.service'), 'utf8');
    assert.match(
      unit,
      new RegExp(`^ExecStart=${BIN} --conf-dir /srv/wanpipe up$`, 'm'),
      'only the options given, not the defaults',
    );
    assert.equal((await fs.stat(path.join(dir, 'wanbond.service'))).mode & 0o777, 0o644);
    const before = await snapshot(dir);
    const second = await wanbond(
      'install-units',
      '--unit-dir',
      dir,
      '--bin',
      BIN,
      '--no-reload',
      '--conf-dir',
      '/srv/wanpipe',
    );
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /already installed, nothing to change/);
    assert.deepEqual(await snapshot(dir), before);
  });

  it('keeps a unit that differs unless --force, and says how to see the difference', async () => {
    const dir = await tmpDir();
    assert.equal((await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--no-reload')).code, 0);
    const file = path.join(dir, 'wanbond-watch.service');
    await fs.appendFile(file, '# local edit\n');
    const before = await snapshot(dir);
    const r = await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--no-reload');
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`error: ${file} differs from the unit wanbond would install; nothing was written`));
    assert.match(
      r.err,
      /hint: see the difference: wanbond install-units --unit-dir \S+ --bin \S+ --no-reload --dry-run/,
    );
    assert.deepEqual(await snapshot(dir), before);
    const dry = await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^# {3}-# local edit$/m);
    assert.deepEqual(await snapshot(dir), before, '--dry-run writes nothing');
    const forced = await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--no-reload', '--force');
    assert.equal(forced.code, 0, forced.err);
    const backup = /backup: (\S+)\)/.exec(forced.out)?.[1];
    assert.ok(backup !== undefined, forced.out);
    assert.match(await fs.readFile(backup, 'utf8'), /# local edit/);
    assert.doesNotMatch(await fs.readFile(file, 'utf8'), /# local edit/);
  });

  it('--dry-run prints the units and the commands, and writes nothing', async () => {
    const dir = await tmpDir();
    const r = await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--dry-run');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^cat > ${path.join(dir, 'wanbond.service')} <<'EOF'\n`, 'm'));
    assert.match(r.out, new RegExp(`^ExecStart=${BIN} watch$`, 'm'));
    assert.doesNotMatch(r.out, /daemon-reload/, 'not a folder systemd reads');
    assert.deepEqual([...(await snapshot(dir)).keys()], []);
  });

  it('refuses a bad --bin or global option, and a masked unit', async () => {
    const dir = await tmpDir();
    let r = await wanbond(
      'install-units',
      '--unit-dir',
      dir,
      '--bin',
      BIN,
      '--settings',
      '/etc/wan bond.conf',
      '--no-reload',
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /--settings "\/etc\/wan bond\.conf": contains a blank[^\n]*\nhint: .*ln -s/);
    r = await wanbond('install-units', '--unit-dir', dir, '--bin', path.join(dir, 'nothing'), '--no-reload');
    assert.equal(r.code, 1);
    assert.match(r.err, /not an executable file/);
    await fs.symlink('/dev/null', path.join(dir, 'wanbond.service'));
    r = await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--no-reload');
    assert.equal(r.code, 1);
    assert.match(r.err, /masked[^\n]*\nhint: systemctl unmask wanbond\.service/);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['wanbond.service']);
  });
});

describe('units: systemd-analyze verify', async () => {
  const analyze = await which('systemd-analyze');
  const skip =
    analyze === undefined
      ? 'systemd-analyze is not installed (apt-get install systemd): cannot verify the units'
      : false;

  /** Problems systemd reports about these units: an error exit, or any line about them or an ordering cycle. */
  async function verify(files: string[]): Promise<string[]> {
    const r = await run(analyze as string, ['verify', ...files]).then(
      (x) => ({ code: 0, err: x.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }),
    );
    const lines = r.err.split('\n').filter((l) => /wanbond|wanrouter|cycle/.test(l));
    return r.code === 0 ? lines : [`exit ${r.code}`, ...lines];
  }

  it('accepts both rendered units; wanrouter.service absent is fine', { skip }, async () => {
    const dir = await tmpDir();
    assert.equal(
      (await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--no-reload', '--conf-dir', '/etc/wanpipe'))
        .code,
      0,
    );
    assert.deepEqual(await verify(UNIT_NAMES.map((n) => path.join(dir, n))), []);
  });

  it('rejects a unit whose program does not exist (so the test above means something)', { skip }, async () => {
    const dir = await tmpDir();
    await fs.writeFile(
      path.join(dir, 'wanbond.service'),
      renderUnit('wanbond.service', await template('wanbond.service'), { bin: path.join(dir, 'wanbond'), globals: [] }),
    );
    assert.match((await verify([path.join(dir, 'wanbond.service')])).join('\n'), /not executable/);
  });

  // Sangoma's /etc/init.d/wanrouter has a chkconfig line and no LSB header; the unit systemd makes of
  // it must not be ordered after network-online.target, or wanbond.service (Before= it) would close a cycle.
  const generator = [
    '/usr/lib/systemd/system-generators/systemd-sysv-generator',
    '/lib/systemd/system-generators/systemd-sysv-generator',
  ];
  it("no ordering cycle with the wanrouter.service systemd generates from Sangoma's init script", {
    skip,
  }, async (t) => {
    const gen = (
      await Promise.all(
        generator.map(async (g) =>
          (await fs.access(g, constants.X_OK).then(
            () => true,
            () => false,
          ))
            ? g
            : undefined,
        ),
      )
    ).find((g) => g);
    if (gen === undefined) {
      t.skip('no systemd-sysv-generator (systemd 260 and later dropped it)');
      return;
    }
    const dir = await tmpDir();
    await fs.mkdir(path.join(dir, 'init.d'));
    await fs.mkdir(path.join(dir, 'rc3.d'));
    await fs.mkdir(path.join(dir, 'out'));
    await fs.writeFile(
      path.join(dir, 'init.d', 'wanrouter'),
      '#!/bin/bash -p\n# chkconfig: 2345 7 9\n# Description:\tWANPIPE WAN Router Initialization Script.\nexit 0\n',
      { mode: 0o755 },
    );
    await fs.symlink('../init.d/wanrouter', path.join(dir, 'rc3.d', 'S07wanrouter'));
    const out = path.join(dir, 'out');
    await run(gen, [out, out, out], {
      env: {
        ...process.env,
        SYSTEMD_SYSVINIT_PATH: path.join(dir, 'init.d'),
        SYSTEMD_SYSVRCND_PATH: dir,
        SYSTEMD_LOG_LEVEL: 'err',
      },
    });
    const wanrouter = path.join(out, 'wanrouter.service');
    assert.doesNotMatch(await fs.readFile(wanrouter, 'utf8'), /network-online/);
    assert.equal((await wanbond('install-units', '--unit-dir', out, '--bin', BIN, '--no-reload')).code, 0);
    assert.deepEqual(await verify([wanrouter, ...UNIT_NAMES.map((n) => path.join(out, n))]), []);
  });

  it('would see such a cycle: a wanrouter.service after network-online.target', { skip }, async () => {
    const dir = await tmpDir();
    await fs.writeFile(
      path.join(dir, 'wanrouter.service'),
      '[Unit]\nAfter=network-online.target\nWants=network-online.target\n[Service]\nType=oneshot\n' +
        'ExecStart=/bin/true\n',
    );
    assert.equal((await wanbond('install-units', '--unit-dir', dir, '--bin', BIN, '--no-reload')).code, 0);
    assert.match(
      (await verify([path.join(dir, 'wanrouter.service'), path.join(dir, 'wanbond.service')])).join('\n'),
      /ordering cycle/,
    );
  });
});
