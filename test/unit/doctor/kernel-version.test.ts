// Which upstream kernel a release is, and whether it has TEQL's two fixes; the distribution's
// package commands for a fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familyOf, kernelUpgradeFix, teqlPackageFix } from '../../../src/doctor/distro.js';
import {
  compareVersions,
  fixStatus,
  TEQL_OOPS_FIX,
  TEQL_RACE_FIX,
  upstreamVersion,
} from '../../../src/doctor/kernel-version.js';

const DEBIAN =
  'Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, ' +
  'GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n';

describe('kernel versions', () => {
  it('finds the upstream version where each distribution puts it', () => {
    assert.deepEqual(upstreamVersion('6.1.0-18-amd64', DEBIAN), { version: [6, 1, 76], from: 'Debian 6.1.76' });
    assert.deepEqual(
      upstreamVersion(
        '5.15.0-91-generic',
        'Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) #101-Ubuntu SMP\n',
        'Ubuntu 5.15.0-91.101-generic 5.15.131\n',
      ),
      { version: [5, 15, 131], from: 'Ubuntu, upstream 5.15.131' },
    );
    assert.deepEqual(upstreamVersion('6.8.9-arch1-1'), { version: [6, 8, 9], from: '6.8.9-arch1-1' });
    assert.deepEqual(upstreamVersion('5.4.112'), { version: [5, 4, 112], from: '5.4.112' });
    assert.deepEqual(upstreamVersion('6.1.0'), { version: [6, 1, 0], from: '6.1.0' });
  });

  it("a number that proves nothing is unknown: Debian without /proc/version, RHEL's backports, cloud kernels", () => {
    assert.equal(upstreamVersion('6.1.0-18-amd64'), undefined);
    assert.equal(upstreamVersion('5.15.0-91-generic'), undefined);
    assert.equal(upstreamVersion('5.14.0-362.8.1.el9_3.x86_64'), undefined);
    assert.equal(upstreamVersion('6.1.79-99.167.amzn2023.x86_64'), undefined);
    assert.equal(upstreamVersion(undefined), undefined);
    assert.equal(upstreamVersion('garbage'), undefined);
  });

  it('compares versions numerically, not as text', () => {
    assert.ok(compareVersions([5, 10, 9], [5, 10, 10]) < 0);
    assert.ok(compareVersions([5, 12, 0], [5, 4, 200]) > 0);
    assert.equal(compareVersions([6, 1, 180], [6, 1, 180]), 0);
  });

  it('the teql0-on-teql0 oops: fixed in 5.12 and in 4.4.267, 4.9.267, 4.19.187, 5.4.112; unknown elsewhere', () => {
    const st = (r: string) => fixStatus(upstreamVersion(r), TEQL_OOPS_FIX);
    assert.equal(st('5.4.111'), 'affected');
    assert.equal(st('5.4.112'), 'fixed');
    assert.equal(st('4.19.186'), 'affected');
    assert.equal(st('4.19.187'), 'fixed');
    assert.equal(st('4.4.266'), 'affected');
    assert.equal(st('4.9.267'), 'fixed');
    assert.equal(st('5.12.0'), 'fixed');
    assert.equal(st('6.6.30'), 'fixed');
    assert.equal(st('5.10.20'), 'unknown', 'a series whose fixed release we have not seen');
  });

  it('the slaves_lock race: Debian 6.1.180 and later fixed, earlier 6.1 affected, other series unknown', () => {
    assert.equal(fixStatus(upstreamVersion('6.1.0-18-amd64', DEBIAN), TEQL_RACE_FIX), 'affected');
    assert.equal(
      fixStatus(
        upstreamVersion(
          '6.1.0-30-amd64',
          'Linux version 6.1.0-30-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.180-1 (2026-08-01)',
        ),
        TEQL_RACE_FIX,
      ),
      'fixed',
    );
    assert.equal(fixStatus(upstreamVersion('6.1.192'), TEQL_RACE_FIX), 'fixed');
    assert.equal(fixStatus(upstreamVersion('6.12.5'), TEQL_RACE_FIX), 'unknown');
    assert.equal(fixStatus(undefined, TEQL_RACE_FIX), 'unknown');
  });
});

describe('distribution fixes', () => {
  it('tells Debian, Ubuntu and Red Hat families apart from /etc/os-release', () => {
    assert.equal(familyOf('ID=debian\nVERSION_ID="12"\n'), 'debian');
    assert.equal(familyOf('ID=ubuntu\nID_LIKE=debian\n'), 'ubuntu');
    assert.equal(familyOf('ID=linuxmint\nID_LIKE="ubuntu debian"\n'), 'ubuntu');
    assert.equal(familyOf('ID="rocky"\nID_LIKE="rhel centos fedora"\n'), 'redhat');
    assert.equal(familyOf('ID=alpine\n'), 'other');
    assert.equal(familyOf(undefined), 'other');
  });

  it('names the package of the running kernel and the upgrade of its flavour', () => {
    assert.deepEqual(teqlPackageFix('ID=ubuntu\n', '5.15.0-91-generic'), [
      'apt-get install linux-modules-extra-5.15.0-91-generic',
    ]);
    assert.deepEqual(teqlPackageFix('ID=rocky\nID_LIKE="rhel centos fedora"\n', '5.14.0-362.el9.x86_64'), [
      'dnf install kernel-modules-extra-5.14.0-362.el9.x86_64',
    ]);
    assert.equal(
      teqlPackageFix('ID=debian\n', '6.1.0-18-amd64').at(-1),
      'apt-get install --reinstall linux-image-6.1.0-18-amd64',
    );
    assert.deepEqual(kernelUpgradeFix('ID=debian\n', '6.1.0-18-cloud-amd64'), [
      'apt-get update',
      'apt-get install linux-image-cloud-amd64',
      'reboot',
    ]);
    assert.deepEqual(kernelUpgradeFix('ID=ubuntu\n', '5.15.0-91-generic'), [
      'apt-get update',
      'apt-get install linux-generic',
      'reboot',
    ]);
  });
});
