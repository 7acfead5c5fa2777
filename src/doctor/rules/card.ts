// The cards: wanrouter running, each device Connected, no T1 alarm, error counters not rising
// between the two readings. Pure.
import { LINE_ALARMS } from '../../watch/health.js';
import type { Finding } from '../finding.js';
import { cmd, note } from '../fix.js';
import { bondOfLine, linesOfDevice, siteIface, monitorIface, windowMs, type DoctorInput } from '../input.js';

export const CARD_IDS = [
  'card.device-stopped',
  'card.device-disconnected',
  'card.t1-alarm',
  'card.errors-rising',
] as const;

type T1Alarm = Exclude<(typeof LINE_ALARMS)[number], 'DISCONNECTED'>;

/** What each alarm the daemon acts on says about where the fault is, for the call to the telco. */
const ALARM_MEANING: Record<T1Alarm, string> = {
  LOS: "no signal at all from the line (cable, jack, the telco's smartjack)",
  ALOS: "no signal at all from the line (cable, jack, the telco's smartjack)",
  LOF:
    "a signal but no framing: ESF/D4 (FE_FRAME) or B8ZS/AMI (FE_LCODE) differ from the telco's, or the line " +
    'is too noisy',
  RED: 'the card has lost the line (it follows LOS or LOF)',
  AIS: 'the telco sends all ones: their network has lost the circuit upstream of you',
  RAI: "the far end does not hear you: your transmit side, or the far end's receive side, is at fault",
};

/** A device's bond, when its bonded lines are all in one. */
function bondOfDevice(x: DoctorInput, device: string): { bond?: string; line?: string } {
  const lines = linesOfDevice(x, device);
  const bonds = [...new Set(lines.map((l) => bondOfLine(x, l)?.name))];
  return {
    ...(bonds.length === 1 && bonds[0] ? { bond: bonds[0] } : {}),
    ...(lines.length === 1 ? { line: lines[0] as string } : {}),
  };
}

const diagnose = (x: DoctorInput, device: string): string[] => {
  const hw = [
    ...new Set(
      linesOfDevice(x, device)
        .map((l) => siteIface(x, l))
        .filter((i) => i !== undefined)
        .map(monitorIface),
    ),
  ];
  return [...hw.map((h) => cmd('wanpipemon', '-i', h, '-c', 'Ta')), cmd('cat', `${x.wanrouterProc}/${device}`)];
};

function devices(x: DoctorInput): Finding[] {
  const status = x.observed.wanrouterDevices;
  const wanted = x.desired.wanpipeDevices.map((d) => d.name);
  if (status === undefined) {
    if (wanted.length === 0) return [];
    const bonds = [...new Set(wanted.map((d) => bondOfDevice(x, d).bond))];
    return [
      {
        id: 'card.device-stopped',
        severity: 'error',
        ...(bonds.length === 1 && bonds[0] ? { bond: bonds[0] } : {}),
        what:
          `wanrouter is not running: ${x.wanrouterProc}/status does not exist, so ${wanted.join(', ')} ` +
          `${wanted.length > 1 ? 'are' : 'is'} not started`,
        why:
          `the lines (${wanted.flatMap((d) => linesOfDevice(x, d)).join(', ')}) do not exist until their ` +
          'devices start',
        fix: [cmd('wanbond', 'up')],
      },
    ];
  }
  return wanted.flatMap((name) => {
    const at = bondOfDevice(x, name);
    const row = status.find((d) => d.name === name);
    if (!row) {
      return [
        {
          id: 'card.device-stopped',
          severity: 'error' as const,
          ...at,
          what: `${name} is not started: ${x.wanrouterProc}/status does not list it`,
          why:
            `its lines (${linesOfDevice(x, name).join(', ')}) do not exist until the device starts; the bond ` +
            'runs without them',
          fix: [cmd('wanbond', 'up')],
        },
      ];
    }
    if (row.status === 'Connected') return [];
    const alarms = t1AlarmsOn(x, name);
    return [
      {
        id: 'card.device-disconnected',
        severity: 'error' as const,
        ...at,
        what: `${name} is ${row.status}: its line${linesOfDevice(x, name).length > 1 ? 's carry' : ' carries'} nothing`,
        why:
          alarms.length > 0
            ? `the card reports ${alarms.join(', ')} (below)`
            : 'the protocol on the line (PPP, CHDLC keepalives, frame relay LMI) does not come up with the far ' +
              'end, or the T1 itself is down',
        fix: diagnose(x, name),
      },
    ];
  });
}

/** The T1 alarms on at the second reading, in the daemon's order (DISCONNECTED is the device's status). */
const t1AlarmsOn = (x: DoctorInput, device: string): T1Alarm[] =>
  LINE_ALARMS.filter((a): a is T1Alarm => a !== 'DISCONNECTED' && (x.after.alarms[device]?.active ?? []).includes(a));

function alarms(x: DoctorInput): Finding[] {
  return x.desired.wanpipeDevices.flatMap(({ name }) => {
    const on = t1AlarmsOn(x, name);
    if (on.length === 0) return [];
    return [
      {
        id: 'card.t1-alarm',
        severity: 'error' as const,
        ...bondOfDevice(x, name),
        what: `${name}: T1 alarm${on.length > 1 ? 's' : ''} ${on.join(', ')} on`,
        why:
          `the line is down: ${on.map((a) => `${a}: ${ALARM_MEANING[a]}`).join('; ')}. Give the telco these ` +
          'alarms when you call',
        fix: [
          ...diagnose(x, name),
          ...(on.includes('LOF')
            ? [note('check FE_FRAME and FE_LCODE in the device section against what the telco provisioned')]
            : []),
        ],
      },
    ];
  });
}

function rising(x: DoctorInput): Finding[] {
  const secs = (windowMs(x) / 1000).toFixed(1);
  return x.desired.wanpipeDevices.flatMap(({ name }) => {
    const a = x.before.alarms[name]?.counters,
      b = x.after.alarms[name]?.counters;
    if (!a || !b) return [];
    const grew = Object.entries(b)
      .filter(([k, v]) => a[k] !== undefined && v > (a[k] as number))
      .map(([k, v]) => `${k} +${v - (a[k] as number)}`);
    if (grew.length === 0) return [];
    return [
      {
        id: 'card.errors-rising',
        severity: 'warning' as const,
        ...bondOfDevice(x, name),
        what: `${name}: ${grew.join(', ')} in ${secs} s`,
        why:
          'the line corrupts frames: each one is a packet lost, TEQL hands this line its full share all the ' +
          'same, and every TCP flow over the bond slows down for its losses. The watch daemon marks such a line ' +
          'suspect but keeps it',
        fix: [
          ...diagnose(x, name),
          note('ask the telco to test the line; until then, leave it out of the bond if the errors go on'),
        ],
      },
    ];
  });
}

export function cardRules(x: DoctorInput): Finding[] {
  return [...devices(x), ...alarms(x), ...rising(x)];
}
