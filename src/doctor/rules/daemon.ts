// The watch daemon: running and answering, what it judges of each line, and whether each line has a
// far end to probe (the only signal of a failure the driver does not show). Pure.
import { kindOf } from '../../bonds/registry.js';
import type { Finding } from '../finding.js';
import type { DesiredBond } from '../../state/types.js';
import type { LineSummary } from '../../watch/health.js';
import { cmd, note } from '../fix.js';
import { pingRoute } from '../../watch/ping-route.js';
import {
  configuredProbe,
  hasCarrier,
  isUp,
  linkOf,
  monitorIface,
  probeOf,
  siteIface,
  type DoctorInput,
} from '../input.js';

export const DAEMON_IDS = [
  'watch.not-running',
  'watch.not-answering',
  'watch.all-lines-down',
  'watch.line-down',
  'watch.line-suppressed',
  'watch.line-unverified',
  'watch.no-probe-target',
] as const;

function running(x: DoctorInput): Finding[] {
  const d = x.daemon;
  if (!d.running) {
    return [
      {
        id: 'watch.not-running',
        severity: 'warning',
        what: `the watch daemon is not running: ${d.why}`,
        why:
          'TEQL alone skips a line only when its interface is down; a line that fails silently (a dead far ' +
          'end or DLCI) keeps its share of the packets, and a dead line left in the ring costs most of the bond ' +
          '(docs/WATCH.md). The daemon takes such a line out within a second',
        fix: [
          note('once, if systemd does not know the unit: wanbond install-units'),
          cmd('systemctl', 'enable', '--now', 'wanbond-watch.service'),
        ],
      },
    ];
  }
  if (!d.stale) return [];
  return [
    {
      id: 'watch.not-answering',
      severity: 'error',
      what: `the watch daemon (pid ${d.file.pid}) has not written its health since ${d.file.updatedAt}`,
      why: 'it writes every 5 s; stuck, it takes no failed line out of the bond',
      fix: [
        cmd('journalctl', '-u', 'wanbond-watch.service', '-n', '50', '--no-pager'),
        cmd('systemctl', 'restart', 'wanbond-watch.service'),
      ],
    },
  ];
}

function lines(x: DoctorInput): Finding[] {
  if (!x.daemon.running) return [];
  const file = x.daemon.file;
  return x.desired.bonds.flatMap((b): Finding[] => {
    const seen = file.bonds.find((v) => v.teql === b.name);
    if (!seen) return [];
    if (seen.allDown) {
      return [
        {
          id: 'watch.all-lines-down',
          severity: 'error',
          bond: b.name,
          what: `every line of ${b.name} is down`,
          why:
            'nothing goes out through the bond; the daemon keeps every line in the ring so the first one back ' +
            'carries traffic at once',
          fix: [cmd('wanbond', 'status'), cmd('wanrouter', 'status')],
        },
      ];
    }
    return seen.lines.flatMap((h): Finding[] => {
      const l = linkOf(x.observed.links, h.line);
      const at = { bond: b.name, line: h.line };
      if (h.suppressed) {
        return [
          {
            id: 'watch.line-suppressed',
            severity: 'warning',
            ...at,
            what: `${h.line} is kept out of ${b.name} for flapping (${h.flaps} falls, penalty ${h.penalty})`,
            why:
              'each fall adds to a penalty that halves every half_life; above suppress the line stays out, ' +
              'even when it works, until the penalty decays below reuse (route flap damping, RFC 2439): a line ' +
              'that comes and goes costs more than it carries',
            fix: [cmd('wanbond', 'status'), note('ask the telco about the line if it keeps flapping')],
          },
        ];
      }
      if (h.state === 'unverified') return unverifiedLine(x, b, seen.lines, h);
      // A line down in the kernel too is the bond rules' to report; here, lines only the probe sees.
      if (h.inRing || !isUp(l) || !hasCarrier(l)) return [];
      const probation = h.state === 'probation';
      // A T1 alarm is the card's word, not the far end's silence: the line, not what lies beyond it.
      const alarmed = h.alarms.length > 0;
      const i = siteIface(x, h.line);
      return [
        {
          id: 'watch.line-down',
          severity: probation ? 'info' : 'error',
          ...at,
          what: probation
            ? `${h.line} is back and in probation since ${h.since}: it rejoins ${b.name} after hold_down clean`
            : `the watch daemon took ${h.line} out of ${b.name}: ${h.reason}`,
          why: probation
            ? 'a line rejoins only after staying healthy for the hold-down, so a line that fails again within ' +
              'seconds never does'
            : alarmed
              ? `the card reports ${h.alarms.join(', ')} on the line while the interface stays up: the T1 or ` +
                "the telco's circuit is down; the bond runs on its other lines"
              : 'the interface is up, yet ' +
                `${h.probe ? `its far end ${h.probe} does not answer` : 'the card reports it down'}: the line or ` +
                'the circuit beyond it is dead while the driver shows nothing; the bond runs on its other lines',
          fix: probation
            ? [cmd('wanbond', 'status')]
            : alarmed && i
              ? [cmd('wanpipemon', '-i', monitorIface(i), '-c', 'Ta'), cmd('wanbond', 'status')]
              : [
                  ...(h.probe
                    ? [cmd('ping', '-c', '5', ...pingRoute(h.line, kindOf(b).probeMark?.(b, h.line)), h.probe)]
                    : []),
                  cmd('wanbond', 'status'),
                ],
        },
      ];
    });
  });
}

/**
 * A line in its ring on its link alone: its probe has never answered. When no line of the bond has an answer,
 * the probes themselves do not come back (a source address the far side does not route back, a firewall);
 * otherwise this line's far end is the one that does not answer (the daemon takes it out after never_answered).
 */
function unverifiedLine(x: DoctorInput, b: DesiredBond, all: readonly LineSummary[], h: LineSummary): Finding[] {
  const bond = b.name;
  const none = all.every((l) => l.verified !== true);
  const target = h.probe ?? '?';
  return [
    {
      id: 'watch.line-unverified',
      severity: 'warning',
      bond,
      line: h.line,
      what: `${h.line} is in ${bond} on its link alone: its probe to ${target} has never answered`,
      why: none
        ? `no probe of ${bond} has ever answered: the probes do not come back (their source address not routed ` +
          'back to this router, a firewall dropping ICMP, a wrong target), so a line that dies silently stays in ' +
          'the bond'
        : `the other lines' probes answer: ${target} does not, so either the line does not carry or that ` +
          'address drops ICMP; the daemon takes the line out after never_answered',
      fix: [
        cmd('ping', '-c', '5', ...pingRoute(h.line, kindOf(b).probeMark?.(b, h.line)), target),
        note(
          `if ${target} never answers ICMP, set probe.${h.line} in [watch] of ${x.desired.settingsFile} to an ` +
            'address beyond the line that does, then: systemctl reload wanbond-watch.service',
        ),
      ],
    },
  ];
}

function probes(x: DoctorInput): Finding[] {
  return x.desired.bonds.flatMap((b) =>
    b.slaves.flatMap((s): Finding[] => {
      if (probeOf(x, b.name, s.name) !== undefined) return [];
      const i = siteIface(x, s.name);
      const configured = configuredProbe(x, s.name);
      if (configured !== undefined && x.daemon.running && x.daemon.file.probesOff === null) {
        // Its probes run, but not this one: it read the configuration before the far end was given.
        return [
          {
            id: 'watch.no-probe-target',
            severity: 'warning',
            bond: b.name,
            line: s.name,
            what: `the watch daemon does not probe ${s.name} yet, although its far end is now ${configured}`,
            why: 'the daemon reads probe targets when it starts and on a reload; it was given this one since',
            fix: [cmd('systemctl', 'reload', 'wanbond-watch.service')],
          },
        ];
      }
      if (configured !== undefined) {
        // The configuration names a far end, the running daemon probes none: its probes are off.
        return [
          {
            id: 'watch.no-probe-target',
            severity: 'warning',
            bond: b.name,
            line: s.name,
            what: `the watch daemon does not probe ${s.name}, although its far end is ${configured}`,
            why:
              "the daemon turns every probe off when its ping is not iputils' (busybox's has no -O) and logs " +
              'probes-off; it then sees only what the driver shows',
            fix: [
              cmd('ping', '-V'),
              cmd('journalctl', '-u', 'wanbond-watch.service', '-n', '50', '--no-pager'),
              note('install iputils ping (Debian: apt-get install iputils-ping)'),
              cmd('systemctl', 'restart', 'wanbond-watch.service'),
            ],
          },
        ];
      }
      // A line whose failure the driver does not show at all is config.invisible-failure's, as an error.
      if (i?.visibility === 'none') return [];
      const off = x.settings.watch.probes[s.name] === null;
      const beyond = kindOf(b).probeBeyond(b);
      return [
        {
          id: 'watch.no-probe-target',
          severity: off ? 'info' : 'warning',
          bond: b.name,
          line: s.name,
          what: off ? `${s.name}'s probe is off (probe.${s.name} = none)` : `${s.name} has no far end to probe`,
          why:
            `the daemon sees ${s.name} fail only when ` +
            `${i ? 'the driver takes it down or drops carrier' : 'it loses its link'}; a far end or circuit that ` +
            `dies while the line stays up goes unseen, and ${kindOf(b).unseenShare}`,
          // Behind a DSL router or a provider, the link stays up when what is beyond dies: the probe must ask past it.
          fix: [
            note(
              `in [watch] of ${x.desired.settingsFile}: probe.${s.name} = ` +
                (beyond
                  ? `<an address beyond its ${beyond} (the router's own address answers while its DSL line is dead)>`
                  : '<the address of its far end>') +
                `${i ? ` (or POINTOPOINT=<address> in ${x.site?.confDir}/interfaces/${s.name})` : ''}`,
            ),
            cmd('systemctl', 'reload', 'wanbond-watch.service'),
          ],
        },
      ];
    }),
  );
}

export function daemonRules(x: DoctorInput): Finding[] {
  return [...running(x), ...lines(x), ...probes(x)];
}
