// Each bond in the kernel: its teql device up with its address and not held, each slave there,
// attached to it, up with carrier, all of one MTU. Pure.
import type { BondKind } from '../../bonds/kind.js';
import type { DesiredBond } from '../../state/types.js';
import type { Finding } from '../finding.js';
import { WanbondError } from '../../errors.js';
import { describe, isHold, isHoldStep, type Step } from '../../plan/steps.js';
import { plural } from '../../text.js';
import { linesDown, weightedSteps } from '../../bonds/weighted/plan.js';
import { toSlashKey } from '../../net/ipv4.js';
import { carriesText, disableIpv6Key, ipv6Carriers, IPV6_WHY } from '../../state/ipv6.js';
import { cmd, note, run } from '../fix.js';
import { daemonLine, hasCarrier, isUp, linkOf, siteIface, monitorIface, type DoctorInput } from '../input.js';

export const BOND_IDS = [
  'bond.not-up',
  'bond.queue-held',
  'bond.address-missing',
  'bond.slave-missing',
  'bond.slave-not-attached',
  'bond.slave-in-other-bond',
  'bond.slave-foreign-qdisc',
  'bond.slave-down',
  'bond.mtu-mismatch',
  'bond.weighted-unequal-mtu',
  'bond.weighted-not-applied',
  'bond.weighted-no-nft',
  'bond.pc-not-applied',
  'bond.pc-no-conntrack',
  'bond.ipv6-unbonded',
  'bond.not-configured',
  'bond.unrecorded',
] as const;

function master(x: DoctorInput, b: DesiredBond): Finding[] {
  const t = linkOf(x.observed.links, b.name);
  const out: Finding[] = [];
  if (!t) {
    // With TEQL loaded, a missing teqlN is too few equalizers; with no TEQL in the kernel, no TEQL (kernel rules).
    if (x.observed.teql.loaded || x.kernel.teqlModule === false) return [];
    return [
      {
        id: 'bond.not-up',
        severity: 'error',
        bond: b.name,
        what: `${b.name} does not exist: sch_teql is not loaded`,
        why: 'the teql devices appear when the sch_teql module loads; nothing is bonded until then',
        fix: [cmd('wanbond', 'up')],
      },
    ];
  }
  if (!isUp(t)) {
    out.push({
      id: 'bond.not-up',
      severity: 'error',
      bond: b.name,
      what: `${b.name} is down`,
      why:
        `a teql device that is down sends nothing, and the kernel dropped the routes through it. "Don't ` +
        `forget the 'ip link set up' command!" (LARTC): \`ip link set dev ${b.name} up\` alone brings the device ` +
        'back, not its routes',
      fix: [cmd('wanbond', 'up')],
    });
  }
  const held = x.observed.qdiscs.find((q) => q.dev === b.name && isHold(q));
  if (held) {
    out.push({
      id: 'bond.queue-held',
      severity: 'error',
      bond: b.name,
      what: `${b.name}'s queue is held: a plug qdisc ${held.handle} stops everything it should send`,
      why:
        'wanbond holds the queue for the milliseconds a slave change takes; a wanbond killed in between ' +
        'leaves the hold behind',
      fix: [run({ kind: 'release-bond', teql: b.name })],
    });
  }
  const [addr, len] = b.address.split('/');
  if (!x.observed.addrs.some((a) => a.dev === b.name && a.local === addr && String(a.prefixlen) === len)) {
    out.push({
      id: 'bond.address-missing',
      severity: 'error',
      bond: b.name,
      what: `${b.name} has no address ${b.address}`,
      why:
        'the address is fake (Sangoma: "ARBITRARY, it is fake"), but without one the kernel has no source ' +
        'address for what the router itself sends through the bond',
      fix: [run({ kind: 'add-address', dev: b.name, cidr: b.address })],
    });
  }
  return out;
}

function slaveDown(x: DoctorInput, teql: string, line: string, adminUp: boolean): Finding {
  const at = {
    bond: teql,
    line,
    what: `${line} is ${adminUp ? 'up without carrier' : 'down'}: the bond runs on its other lines`,
  };
  const i = siteIface(x, line);
  const device = i?.device !== undefined ? x.observed.wanrouterDevices?.find((d) => d.name === i.device) : undefined;
  // The card says the line is fine: nobody but an operator took the interface down, and the driver
  // raises it only when the line comes back, which it never left. A frame-relay PVC is the exception:
  // the carrier's switch reports each DLCI (LMI), and the driver takes a PVC down that the switch calls
  // inactive while the port stays Connected; raising it by hand would hand TEQL's share to a dead PVC.
  const portFine = device?.status === 'Connected' && (x.after.alarms[device.name]?.active ?? []).length === 0;
  if (i && !adminUp && portFine && i.mediaAddr.kind === 'dlci') {
    return {
      id: 'bond.slave-down',
      severity: 'error',
      ...at,
      why:
        `${device?.name} is Connected with no T1 alarm, but the carrier's switch reports DLCI ${i.mediaAddr.dlci} ` +
        'inactive: the driver took the PVC down, and it raises it when the switch reports it active again',
      fix: [
        cmd('wanpipemon', '-i', monitorIface(i), '-c', 'clr'),
        note(
          `if DLCI ${i.mediaAddr.dlci} is listed inactive, call the carrier about the PVC; do not set it up by hand`,
        ),
      ],
    };
  }
  if (i && !adminUp && portFine) {
    return {
      id: 'bond.slave-down',
      severity: 'error',
      ...at,
      why:
        `${device.name} is Connected with no T1 alarm, so the line is fine: someone set the interface down ` +
        '(ip link set down)',
      fix: [run({ kind: 'set-link-up', dev: line })],
    };
  }
  if (i) {
    const how =
      i.visibility === 'driver-downs' && !adminUp
        ? 'the driver takes the interface down when the line fails (DYN_INTR_CFG = YES)'
        : 'the line has no carrier';
    return {
      id: 'bond.slave-down',
      severity: 'error',
      ...at,
      why: `${how}: the T1, its far end or the telco's circuit is down`,
      fix: [cmd('wanpipemon', '-i', monitorIface(i), '-c', 'Ta'), cmd('wanrouter', 'status')],
    };
  }
  if (!adminUp) {
    return {
      id: 'bond.slave-down',
      severity: 'error',
      ...at,
      why: 'someone set it down (ip link set down), or it never came up',
      fix: [run({ kind: 'set-link-up', dev: line })],
    };
  }
  return {
    id: 'bond.slave-down',
    severity: 'error',
    ...at,
    why: 'no link: the cable, the modem or the switch port',
    fix: [cmd('ip', 'link', 'show', 'dev', line), note('check the cable and the device at the other end')],
  };
}

/** The daemon took the line out of the ring on purpose: its own finding says why. */
const outByDaemon = (x: DoctorInput, teql: string, line: string) => daemonLine(x, teql, line)?.inRing === false;

function slaves(x: DoctorInput, b: DesiredBond): Finding[] {
  return b.slaves.flatMap((s): Finding[] => {
    const at = { bond: b.name, line: s.name };
    const l = linkOf(x.observed.links, s.name);
    if (!l) {
      const running = s.device !== undefined && (x.observed.wanrouterDevices ?? []).some((d) => d.name === s.device);
      if (s.device !== undefined && !running) return []; // the device is not started: the card rules say so
      return [
        s.device !== undefined
          ? {
              id: 'bond.slave-missing',
              severity: 'error',
              ...at,
              what: `${s.name} does not exist, although ${s.device} is running`,
              why: 'the driver did not create the interface (see /var/log/wanrouter); the bond runs without it',
              fix: [cmd('wanrouter', 'restart', s.device), cmd('wanbond', 'up')],
              interrupts: `${s.device}'s other lines leave the bond while it restarts`,
            }
          : {
              id: 'bond.slave-missing',
              severity: 'error',
              ...at,
              what: `${s.name} does not exist (${s.where})`,
              why: 'no interface of that name: a typo in the settings, or a USB or PCI interface that got another name',
              fix: [
                cmd('ip', 'link', 'show'),
                note(`${s.where}: name the interface as \`ip link\` shows it`),
                cmd('wanbond', 'up'),
              ],
            },
      ];
    }
    const out: Finding[] = [];
    const root = x.observed.qdiscs.find((q) => q.dev === s.name && q.root);
    if (root && /^teql\d+$/.test(root.kind) && root.kind !== b.name) {
      out.push({
        id: 'bond.slave-in-other-bond',
        severity: 'error',
        ...at,
        what: `${s.name} is a slave of ${root.kind}, not of ${b.name}`,
        why: 'a line can be in one teql device only; wanbond up refuses to take it from another',
        // Under a hold of the other bond's queue, as wanbond changes its own (docs/ENGINE.md).
        fix: [
          run({ kind: 'hold-bond', teql: root.kind }),
          run({ kind: 'detach-slave', dev: s.name, teql: root.kind }),
          run({ kind: 'release-bond', teql: root.kind }),
          cmd('wanbond', 'up'),
        ],
        interrupts: `${root.kind} loses ${s.name}`,
      });
    } else if (root && root.kind !== b.name && root.handle !== '0:' && root.handle !== '') {
      out.push({
        id: 'bond.slave-foreign-qdisc',
        severity: 'error',
        ...at,
        what: `${s.name} has a root qdisc ${root.kind} ${root.handle} that wanbond did not set`,
        why:
          'a line is in a teql bond by having the teql device as its root qdisc; wanbond up will not replace ' +
          'shaping someone set on purpose',
        fix: [cmd('tc', 'qdisc', 'del', 'dev', s.name, 'root'), cmd('wanbond', 'up')],
      });
    } else if (root?.kind !== b.name && !outByDaemon(x, b.name, s.name) && isUp(linkOf(x.observed.links, b.name))) {
      // (A bond that is not up is bond.not-up's: `wanbond up` attaches its lines.)
      out.push({
        id: 'bond.slave-not-attached',
        severity: 'error',
        ...at,
        what: `${s.name} is not in ${b.name}`,
        why:
          `${b.name} sends only over lines whose root qdisc is ${b.name}: this one carries none of the bond's ` +
          'traffic',
        fix: [cmd('wanbond', 'up')],
      });
    }
    if (!isUp(l) || !hasCarrier(l)) out.push(slaveDown(x, b.name, s.name, isUp(l)));
    return out;
  });
}

function mtus(x: DoctorInput, b: DesiredBond): Finding[] {
  const have = b.slaves.map((s) => linkOf(x.observed.links, s.name)).filter((l) => l !== undefined);
  // What the bond runs at: the settings' mtu, else the teql device's own (TEQL took its smallest
  // slave's when they joined), so a line that shrank later is the one put back.
  const want = b.mtu ?? linkOf(x.observed.links, b.name)?.mtu ?? Math.min(...have.map((l) => l.mtu));
  const off = have.filter((l) => l.mtu !== want);
  // Lines that agree with each other are no mismatch, whatever teqlN was set to since; the settings' mtu they
  // must all have.
  const differ = new Set(have.map((l) => l.mtu)).size > 1 || (b.mtu !== undefined && off.length > 0);
  if (have.length === 0 || off.length === 0 || !differ) return [];
  return [
    {
      id: 'bond.mtu-mismatch',
      severity: 'warning',
      bond: b.name,
      what:
        `${b.name}'s slaves differ in MTU: ${have.map((l) => `${l.name} ${l.mtu}`).join(', ')}` +
        `${b.mtu !== undefined ? ` (mtu = ${b.mtu} in the settings)` : ''}`,
      why:
        `TEQL gives ${b.name} its smallest slave's MTU, and an up teql device refuses a slave with a smaller ` +
        'MTU than its own: a line that comes back with another MTU cannot rejoin',
      fix: [...off.map((l) => cmd('ip', 'link', 'set', 'dev', l.name, 'mtu', String(want))), cmd('wanbond', 'up')],
    },
  ];
}

/** How a kind drawn by nftables is judged against its plan: its finding's id, and what it needs and does. */
export interface DrawnWords {
  notApplied: 'bond.pc-not-applied' | 'bond.weighted-not-applied';
  /** What the bond draws with nftables ("weighted bond draws each packet's line"). */
  draws: string;
  /** What the bond needs, and what goes wrong without it. */
  needs: string;
  /** The daemon flushes a dead line's connections with conntrack. */
  flushes: boolean;
  /** The kind's lines held out for a problem of their own. */
  heldOut: BondKind['heldOut'];
}

/** A weighted bond's lines of unequal MTU: each packet goes by the line drawn, as it is. */
export function weightedMtuRules(x: DoctorInput, b: DesiredBond): Finding[] {
  const have = b.slaves
    .filter((s) => !s.leaving)
    .map((s) => linkOf(x.observed.links, s.name))
    .filter((l) => l !== undefined);
  const sizes = [...new Set(have.map((l) => l.mtu))];
  if (sizes.length < 2) return [];
  const least = Math.min(...sizes);
  return [
    {
      id: 'bond.weighted-unequal-mtu',
      severity: 'warning',
      bond: b.name,
      what: `${b.name}'s lines differ in MTU: ${have.map((l) => `${l.name} ${l.mtu}`).join(', ')}`,
      why:
        'a weighted bond sends each packet by the line its draw picks, as it is: a packet sized for the larger MTU' +
        ` is fragmented on a ${least} line, or dropped there when it may not be fragmented (TCP sets DF). Path MTU` +
        ' discovery sees one path through the bond, so only the smallest MTU fits every packet; until a sender' +
        ' learns it from an ICMP "fragmentation needed" (which firewalls often drop), its full-size packets drawn' +
        ' onto the smaller line are lost',
      fix: [
        ...have.filter((l) => l.mtu > least).map((l) => cmd('ip', 'link', 'set', 'dev', l.name, 'mtu', String(least))),
        note(
          `to keep it: MTU = ${least} where each line is configured` +
            " (its interface section of the wanpipe file, or the interface's network configuration)",
        ),
      ],
    },
  ];
}

/**
 * A bond drawn by nftables against its own plan: what `wanbond up` would still change (its dummy,
 * nftables table or draw, per-line tables, rules, main's route), with the lines the daemon keeps out left out.
 */
export function drawnBondRules(x: DoctorInput, b: DesiredBond, w: DrawnWords): Finding[] {
  const noConntrack: Finding[] =
    w.flushes && x.observed.policy?.conntrack === false
      ? [
          {
            id: 'bond.pc-no-conntrack',
            severity: 'warning',
            bond: b.name,
            what: `${b.name}: this system has no conntrack program`,
            why:
              'when an uplink fails, the watch daemon stops drawing it for new connections and flushes the ' +
              'connections marked for it with conntrack; without the program they stay until they time out, and ' +
              'their clients hang on a dead provider',
            fix: [
              note('install it: apt-get install conntrack (dnf install conntrack-tools)'),
              cmd('systemctl', 'restart', 'wanbond-watch'),
            ],
          },
        ]
      : [];
  return [...noConntrack, ...drawnBond(x, b, w)];
}

function drawnBond(x: DoctorInput, b: DesiredBond, w: DrawnWords): Finding[] {
  const notApplied = w.notApplied;
  // The daemon's view of a line where it has one; else what `up` leaves out (a line down at the start).
  const down = linesDown({ ...x.desired, bonds: [b] }, x.observed);
  const out = new Set(
    b.slaves
      .map((s) => s.name)
      .filter((n) => {
        const seen = daemonLine(x, b.name, n);
        return seen ? !seen.inRing : down.has(n);
      }),
  );
  // A line held out for a problem of its own (an uplink without its address) is said on its own, with
  // its fix; first, as `up` says it.
  const held: Finding[] = w.heldOut(b, x.observed, x.desired.settingsFile).map(({ name, text }) => ({
    id: notApplied,
    severity: 'error',
    bond: b.name,
    line: name,
    what: text.what,
    why: text.why,
    fix: [note(text.hint), cmd('wanbond', 'up')],
  }));
  let left: Step[];
  try {
    const p = weightedSteps({ ...x.desired, bonds: [b] }, x.observed, out, true);
    left = [...p.before, ...p.after];
  } catch (e) {
    if (!(e instanceof WanbondError)) throw e;
    // What `up` itself would refuse (a route it could not give back at `down`), said as up says it.
    if (x.observed.policy?.nftAvailable) {
      return [
        ...held,
        {
          id: notApplied,
          severity: 'error',
          bond: b.name,
          what: e.message,
          why: 'wanbond up stops here before it changes anything',
          fix: [note(e.hint), cmd('wanbond', 'up')],
        },
      ];
    }
    const without =
      x.observed.policy?.nftUnusable !== undefined
        ? 'with an nft that cannot list its table wanbond cannot read it back, so it neither checks nor changes it'
        : 'without the nft program wanbond can neither set nor read it';
    return [
      {
        id: 'bond.weighted-no-nft',
        severity: 'error',
        bond: b.name,
        what: e.message,
        why: `a ${w.draws} with nftables; ${without}`,
        fix: [note(e.hint), cmd('wanbond', 'up')],
      },
    ];
  }
  if (left.length === 0) return held;
  return [
    ...held,
    {
      id: notApplied,
      severity: 'error',
      bond: b.name,
      what:
        `${b.name} is not as wanbond set it: ` +
        `${left.slice(0, 3).map(describe).join('; ')}${left.length > 3 ? `; and ${left.length - 3} more` : ''}`,
      why: w.needs,
      fix: [cmd('wanbond', 'plan'), cmd('wanbond', 'up')],
    },
  ];
}

/** A TEQL bond: its teql device, each slave, their MTUs. */
export const teqlBondRules = (x: DoctorInput, b: DesiredBond): Finding[] => [
  ...master(x, b),
  ...slaves(x, b),
  ...mtus(x, b),
];

/** Bonds no longer configured: recorded ones `up` takes down, and unrecorded ones nothing can take down. */
export function removedBondRules(x: DoctorInput): Finding[] {
  const n = x.removed?.steps.filter((s) => !isHoldStep(s)).length ?? 0;
  const others = (b: string) => (x.removed?.bonds ?? []).filter((o) => o !== b).join(', ');
  return [
    ...(x.removed?.bonds ?? []).map(
      (b): Finding => ({
        id: 'bond.not-configured',
        severity: 'warning',
        bond: b,
        what:
          `${b} is no longer in ${x.desired.settingsFile}, but \`wanbond up\` set it up earlier in this boot ` +
          `and the kernel still has it (${plural(n, 'change')} to undo${others(b) ? ` with ${others(b)}` : ''})`,
        why: 'its routes, rules, addresses and nftables chains still steer traffic that the settings no longer ask for',
        fix: [cmd('wanbond', 'up')],
      }),
    ),
    ...(x.unrecorded ?? []).map(
      (b): Finding => ({
        id: 'bond.unrecorded',
        severity: 'warning',
        bond: b,
        what:
          `${b} looks like a bond wanbond set up, but neither ${x.desired.settingsFile} ` +
          "nor this boot's record names it",
        why:
          'without the record of what `wanbond up` changed for it (it was removed, or another --state-dir was used), ' +
          "wanbond cannot tell its changes from anyone else's, so `up` and `down` leave it as it is",
        fix: [
          note('what is left of it is removed by hand, or by a reboot'),
          cmd('ip', 'rule'),
          cmd('ip', 'route', 'show', 'table', 'all'),
          cmd('tc', 'qdisc', 'show'),
          cmd('nft', 'list', 'table', 'ip', 'wanbond'),
        ],
      }),
    ),
  ];
}

/** A bonded line that carries IPv6 beside the bond: wanbond bonds IPv4 only. */
export function ipv6Rules(x: DoctorInput, b: DesiredBond): Finding[] {
  return ipv6Carriers(b, x.observed).map((c): Finding => {
    const key = disableIpv6Key(c.line);
    // sysctl.d reads a dot in an interface's name (eth0.100) as a separator unless the key has slashes.
    const persistent = c.line.includes('.') ? toSlashKey(key) : key;
    return {
      id: 'bond.ipv6-unbonded',
      severity: 'warning',
      bond: b.name,
      line: c.line,
      what: `${c.line} carries IPv6 outside ${b.name}: ${carriesText(c)}`,
      why: IPV6_WHY,
      fix: [
        run({ kind: 'set-sysctl', key, value: '1', was: '0' }),
        note(`to keep it across reboots: ${persistent} = 1 in /etc/sysctl.d/90-wanbond-ipv6.conf`),
        note("or, to keep IPv6, route it by an interface that is none of the bond's lines"),
      ],
    };
  });
}
