// The commands that install or upgrade a kernel, by distribution (/etc/os-release), for fixes that
// name packages. Pure.
import { parseShellVars } from '../config/rc.js';
import { cmd, note } from './fix.js';

export type Family = 'debian' | 'ubuntu' | 'redhat' | 'other';

export function familyOf(osRelease: string | undefined): Family {
  const v = parseShellVars(osRelease ?? '');
  const ids = [v.get('ID')?.value ?? '', ...(v.get('ID_LIKE')?.value ?? '').split(/\s+/)].map((s) => s.toLowerCase());
  if (ids[0] === 'ubuntu') return 'ubuntu';
  if (ids.includes('debian')) return ids.includes('ubuntu') ? 'ubuntu' : 'debian';
  if (ids.some((i) => ['rhel', 'fedora', 'centos'].includes(i))) return 'redhat';
  return 'other';
}

/** Debian and Ubuntu name a kernel's flavour after its ABI: 6.1.0-18-amd64 -> amd64, 5.15.0-91-generic -> generic. */
const flavourOf = (release: string | undefined): string | undefined =>
  /^\d+\.\d+\.\d+-\d+-([a-z0-9-]+)$/.exec(release ?? '')?.[1];

/** The module package for the running kernel, where the distribution ships sch_teql apart. */
export function teqlPackageFix(osRelease: string | undefined, release: string | undefined): string[] {
  const r = release ?? 'RELEASE';
  switch (familyOf(osRelease)) {
    case 'ubuntu':
      return [cmd('apt-get', 'install', `linux-modules-extra-${r}`)];
    case 'debian':
      return [
        note(
          'Debian builds sch_teql as a module of every kernel: this one has its modules missing (upgraded ' +
            "without a reboot?) or is not Debian's",
        ),
        cmd('apt-get', 'install', '--reinstall', `linux-image-${r}`),
      ];
    case 'redhat':
      return [cmd('dnf', 'install', `kernel-modules-extra-${r}`)];
    case 'other':
      return [note("rebuild the kernel with CONFIG_NET_SCH_TEQL=m, or install your distribution's kernel that has it")];
  }
}

/** The newest kernel of the same flavour, then the reboot that runs it. */
export function kernelUpgradeFix(osRelease: string | undefined, release: string | undefined): string[] {
  const flavour = flavourOf(release);
  switch (familyOf(osRelease)) {
    case 'debian':
      return [cmd('apt-get', 'update'), cmd('apt-get', 'install', `linux-image-${flavour ?? 'amd64'}`), cmd('reboot')];
    case 'ubuntu':
      return [cmd('apt-get', 'update'), cmd('apt-get', 'install', `linux-${flavour ?? 'generic'}`), cmd('reboot')];
    case 'redhat':
      return [cmd('dnf', 'upgrade', 'kernel'), cmd('reboot')];
    case 'other':
      return [note("install your distribution's newest kernel"), cmd('reboot')];
  }
}
