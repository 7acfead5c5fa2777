// The wanpipe configuration of the bonded lines: how a dead line shows (DYN_INTR_CFG, the driver),
// and whether the running driver has read its file. The judgement is config/site.ts's; this says
// it in the doctor's words, with the probe that may still cover a line. Pure.
import { siteNotes, siteProblems, staleDriverProblems, type Problem } from '../../config/site.js';
import { KEY_MEANS_DYNAMIC_IP } from '../../config/visibility.js';
import type { Finding } from '../finding.js';
import { cmd, note } from '../fix.js';
import { bondOfLine, linesOfDevice, probeOf, siteIface, type DoctorInput } from '../input.js';

export const CONFIG_IDS = [
  'config.dyn-intr-cfg',
  'config.misnamed-section',
  'config.invisible-failure',
  'config.dynamic-ip',
  'config.wanconfig-note',
  'config.stale-driver',
] as const;

const restartNote = (x: DoctorInput, device: string) =>
  `${device}'s lines (${linesOfDevice(x, device).join(', ')}) leave the bond while the device restarts, a few ` +
  'seconds; wanbond up restarts one device at a time';

function fromProblem(x: DoctorInput, p: Problem): Finding {
  const line = p.iface;
  const i = line ? siteIface(x, line) : undefined;
  const device = p.device ?? i?.device;
  const anchor = line ?? (device ? linesOfDevice(x, device)[0] : undefined);
  const bond = anchor ? bondOfLine(x, anchor)?.name : undefined;
  const running = device !== undefined && (x.observed.wanrouterDevices ?? []).some((d) => d.name === device);
  const at = { ...(bond ? { bond } : {}), ...(line ? { line } : {}) };
  switch (p.kind) {
    case 'dyn-intr-cfg':
      return {
        id: 'config.dyn-intr-cfg',
        severity: 'error',
        ...at,
        what: `${p.where}: ${p.what}`,
        why:
          'TEQL skips a line only when its interface is down or has lost carrier; the link must follow the ' +
          "line (Sangoma's TEQL FAQ), or a dead line keeps getting its share of the packets and loses them",
        // A misnamed section must be renamed first (config.misnamed-section): config fix will not write where the
        // driver never reads.
        fix:
          line && !i?.misnamedSection
            ? [cmd('wanbond', 'config', 'fix', '--only', line), cmd('wanbond', 'up')]
            : [note(p.hint)],
        ...(running && device ? { interrupts: restartNote(x, device) } : {}),
      };
    case 'misnamed-section':
      return {
        id: 'config.misnamed-section',
        severity: 'error',
        ...at,
        what: `${p.where}: ${p.what}`,
        why:
          'wanconfig applies a section only to the interface named exactly so: every key in it (DYN_INTR_CFG ' +
          'too) is ignored',
        fix: [note(`${p.where}: ${p.hint}`), cmd('wanbond', 'up')],
        ...(running && device ? { interrupts: restartNote(x, device) } : {}),
      };
    case 'invisible-failure': {
      const target = bond && line ? probeOf(x, bond, line) : undefined;
      return {
        id: 'config.invisible-failure',
        severity: target && x.daemon.running ? 'warning' : 'error',
        ...at,
        what: `${p.where}: ${p.what}`,
        why: target
          ? 'the interface stays up when the line dies, so TEQL keeps handing it its share; only the watch ' +
            `daemon's probe to ${target} can see it (within a second), and only while the daemon runs`
          : 'the interface stays up when the line dies and nothing probes its far end: TEQL keeps handing it its ' +
            'share of the packets, which are lost, for as long as the line is down',
        fix: [
          note(p.hint),
          ...(target
            ? []
            : [
                note(
                  `or give it a probe: in [watch] of ${x.desired.settingsFile}: probe.${line} = <its far end's ` +
                    'address>',
                ),
              ]),
        ],
      };
    }
    case 'stale-driver':
      return {
        id: 'config.stale-driver',
        severity: 'error',
        ...at,
        what: `${p.where}: ${p.what}`,
        why:
          'a wanpipe driver reads its configuration only when its device starts: until then a dead line stays ' +
          'up and keeps its share of the packets',
        // `up` restarts it as it restarts every stale device: one at a time, its lines out of the bond first.
        fix: [cmd('wanbond', 'up')],
        interrupts: restartNote(x, device as string),
      };
    case 'wanconfig-note':
      return {
        id: 'config.wanconfig-note',
        severity: 'warning',
        ...at,
        what: `${p.where}: ${p.what}`,
        why:
          'wanrouter start accepts the file, but what the driver runs may not be what the file seems to say: ' +
          'the value or section that wins is named',
        fix: [note(`${p.where}: ${p.hint}`)],
      };
  }
}

/** DYN_INTR_CFG = YES where it asks for a dynamic address instead (WAN_MULTPPP, ADSL). */
function dynamicIp(x: DoctorInput, bonded: { bond: string; line: string }[]): Finding[] {
  return bonded.flatMap(({ bond, line }) => {
    const i = siteIface(x, line);
    const dev = i && x.site?.devices.find((d) => d.name === i.device);
    if (!i || !dev || i.dynIntrCfg !== 'YES' || !KEY_MEANS_DYNAMIC_IP.has(dev.configId)) return [];
    const at = `${i.file}:${i.dynIntrCfgLine ?? i.line}`;
    return [
      {
        id: 'config.dynamic-ip',
        severity: 'warning',
        bond,
        line,
        what:
          `${at}: DYN_INTR_CFG = YES on ${dev.configId} asks the peer for a dynamic IP address; it never ` +
          `takes ${line} down`,
        why:
          `on ${dev.configId} the key means dynamic IP negotiation (IPCP), not "down the interface when the ` +
          `line fails" as on the other drivers: set in the hope that TEQL skips ${line} when it dies, it does ` +
          'not do that',
        fix: [note(`${at}: DYN_INTR_CFG = NO in [${line}], unless the telco assigns ${line}'s address by IPCP`)],
      },
    ];
  });
}

export function configRules(x: DoctorInput): Finding[] {
  if (!x.site) return [];
  const bonded = x.desired.bonds.flatMap((b) =>
    b.slaves.filter((s) => s.device !== undefined).map((s) => ({ bond: b.name, line: s.name })),
  );
  const problems = [
    ...siteProblems(
      x.site,
      bonded.map((b) => b.line),
    ),
    ...staleDriverProblems(x.site, x.observed.staleDrivers),
    ...siteNotes(x.site),
  ];
  return [...problems.map((p) => fromProblem(x, p)), ...dynamicIp(x, bonded)];
}
