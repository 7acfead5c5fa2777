// The kernel: TEQL there at all, enough equalizers, the TEQL bugs of this kernel, slaves whose
// driver TEQL cannot survive. Pure.
import { kindOf } from '../../bonds/registry.js';
import { kernelUpgradeFix, teqlPackageFix } from '../distro.js';
import type { Finding } from '../finding.js';
import { cmd, note } from '../fix.js';
import { linkOf, type DoctorInput } from '../input.js';
import { fixStatus, formatVersion, TEQL_OOPS_FIX, TEQL_RACE_FIX, upstreamVersion } from '../kernel-version.js';

export const KERNEL_IDS = [
  'kernel.no-teql',
  'kernel.too-few-equalizers',
  'kernel.teql-race',
  'kernel.teql-oops',
  'kernel.veth-tun-slave',
] as const;

function noTeql(x: DoctorInput): Finding[] {
  if (x.observed.teql.loaded || x.kernel.teqlModule !== false || !x.desired.bonds.some((b) => kindOf(b).needsTeql))
    return [];
  const n = x.desired.maxEqualizers;
  return [
    {
      id: 'kernel.no-teql',
      severity: 'error',
      what:
        `this kernel (${x.kernel.release ?? 'unknown release'}) has no TEQL: sch_teql is neither loaded, ` +
        'built in, nor among its modules',
      why:
        "TEQL is the kernel's equalizer (sch_teql): without it there is no teql device to bond the lines " +
        'with, and `wanbond up` stops at `modprobe sch_teql`',
      fix: [
        ...teqlPackageFix(x.kernel.osRelease, x.kernel.release),
        cmd('modprobe', 'sch_teql', `max_equalizers=${n}`),
        cmd('wanbond', 'up'),
      ],
    },
  ];
}

function tooFew(x: DoctorInput): Finding[] {
  if (!x.observed.teql.loaded) return [];
  const missing = x.desired.bonds.filter((b) => kindOf(b).needsTeql && !linkOf(x.observed.links, b.name));
  const have = x.observed.links.filter((l) => /^teql\d+$/.test(l.name)).map((l) => l.name);
  const n = x.desired.maxEqualizers;
  return missing.map((b) => {
    const what =
      `${b.name} does not exist: sch_teql was loaded with ${have.length} ` +
      `equalizer${have.length === 1 ? '' : 's'} (${have.join(', ') || 'none'}) and ${b.name} needs ${b.index + 1}`;
    if (x.observed.teql.builtin) {
      return {
        id: 'kernel.too-few-equalizers',
        severity: 'error' as const,
        bond: b.name,
        what,
        why:
          'TEQL is built into this kernel: it makes its teql devices at boot, as many as ' +
          'sch_teql.max_equalizers on the kernel command line says (default 1)',
        fix: [
          note(`add sch_teql.max_equalizers=${n} to GRUB_CMDLINE_LINUX in /etc/default/grub`),
          cmd('update-grub'),
          cmd('reboot'),
        ],
        interrupts: 'a reboot: the router forwards nothing until it is back',
      };
    }
    return {
      id: 'kernel.too-few-equalizers',
      severity: 'error' as const,
      bond: b.name,
      what,
      why:
        'max_equalizers is fixed when sch_teql loads: more teql devices take unloading the module and loading ' +
        'it again',
      fix: [
        cmd('wanbond', 'down'),
        cmd('modprobe', '-r', 'sch_teql'),
        cmd('modprobe', 'sch_teql', `max_equalizers=${n}`),
        `echo 'options sch_teql max_equalizers=${n}' > /etc/modprobe.d/wanbond.conf`,
        cmd('wanbond', 'up'),
      ],
      interrupts:
        `unloading sch_teql deletes every teql device: ${have.join(', ') || 'every TEQL bond'} and the ` +
        `routes through ${have.length === 1 ? 'it carry' : 'them carry'} nothing until wanbond up brings them ` +
        'back, a few seconds; modprobe -r refuses while anything else still uses TEQL',
    };
  });
}

function kernelBugs(x: DoctorInput): Finding[] {
  if (x.kernel.release === undefined) return [];
  const up = upstreamVersion(x.kernel.release, x.kernel.procVersion, x.kernel.signature);
  const name = `${x.kernel.release}${up && up.from !== x.kernel.release ? ` (${up.from})` : ''}`;
  const upgrade = kernelUpgradeFix(x.kernel.osRelease, x.kernel.release);
  const out: Finding[] = [];
  const race = fixStatus(up, TEQL_RACE_FIX);
  if (race === 'affected') {
    out.push({
      id: 'kernel.teql-race',
      severity: 'warning',
      what: `kernel ${name} lets TEQL send on a slave that is being added or removed`,
      why:
        'before the 2026 slaves_lock fix (Debian 6.1.180 and later), TEQL walks its ring of slaves without a ' +
        'lock while a slave joins or leaves: a use-after-free that can crash the router (CVE-2026-72390). ' +
        "wanbond holds the bond's queue for every change it makes, which leaves a window of a few instructions; " +
        'the watch daemon makes such a change each time a line fails or returns',
      fix: upgrade,
      interrupts: 'a reboot: the router forwards nothing until it is back',
    });
  } else if (race === 'unknown' && x.desired.bonds.length > 0) {
    out.push({
      id: 'kernel.teql-race',
      severity: 'info',
      what: `cannot tell whether kernel ${name} has TEQL's slaves_lock fix`,
      why:
        "without it, a slave added or removed while traffic flows races TEQL's transmit path (a " +
        "use-after-free); wanbond holds the bond's queue around its changes, which narrows the window to a few " +
        'instructions',
      fix: [
        /^\d+\.\d+\.\d+-\d+-[a-z0-9-]+$/.test(x.kernel.release)
          ? // Debian's linux-image packages ship changelog.gz (the lab's 6.1.0-56 has only that file).
            cmd('zgrep', '-i', 'slaves_lock', `/usr/share/doc/linux-image-${x.kernel.release}/changelog.gz`)
          : note('look for "sch_teql: Introduce slaves_lock" in your kernel\'s changelog'),
      ],
    });
  }
  if (fixStatus(up, TEQL_OOPS_FIX) === 'affected') {
    out.push({
      id: 'kernel.teql-oops',
      severity: 'info',
      what: `kernel ${name} oopses on \`tc qdisc add dev teql0 root teql0\``,
      why:
        'a teql device made a slave of itself dereferences a null pointer in teql_destroy() on kernels before ' +
        `the April 2021 fix (${up ? formatVersion(up.version) : '?'} is one); wanbond never does it, a typo by ` +
        'hand does',
      fix: [note('never give a teql device a teql root qdisc'), ...upgrade],
    });
  }
  return out;
}

/**
 * veth and tun return NET_XMIT_DROP after freeing a packet; TEQL reads that as "not sent" and sends it
 * again. A note, not a warning: nothing is misconfigured, and such slaves are test labs and
 * containers, whose operators need to know the window, not to change the link.
 */
function virtualSlaves(x: DoctorInput): Finding[] {
  if (!x.linkKinds) return [];
  // Other kinds hand a packet to one line through routing: no TEQL, no retry of a freed packet.
  return x.desired.bonds
    .filter((b) => kindOf(b).needsTeql)
    .flatMap((b) =>
      b.slaves.flatMap((s) => {
        const kind = x.linkKinds?.[s.name];
        if (kind !== 'veth' && kind !== 'tun') return [];
        return [
          {
            id: 'kernel.veth-tun-slave',
            severity: 'info' as const,
            bond: b.name,
            line: s.name,
            what: `${s.name} is a ${kind} link: TEQL can crash the kernel with it`,
            why:
              `${kind} frees a packet it drops and returns NET_XMIT_DROP; TEQL takes that for "not sent" and ` +
              "hands the freed packet to the next slave, a double free (seen on Debian's 6.1 when the veth peer " +
              'of a slave went down under traffic). Line drivers return 0 when they drop, so real lines are not ' +
              'exposed',
            fix: [
              note(
                'bond the line interfaces themselves; in a test lab, take carrier away without that window: down ' +
                  `${s.name}, then its peer, then bring ${s.name} up again without carrier`,
              ),
            ],
          },
        ];
      }),
    );
}

export function kernelRules(x: DoctorInput): Finding[] {
  return [...noTeql(x), ...tooFew(x), ...kernelBugs(x), ...virtualSlaves(x)];
}
