// Every rule, and every check id a rule can report. Pure.
import type { Finding } from '../finding.js';
import type { DoctorInput } from '../input.js';
import { kindOf } from '../../bonds/registry.js';
import { BOND_IDS, ipv6Rules, removedBondRules } from './bond.js';
import { CARD_IDS, cardRules } from './card.js';
import { CONFIG_IDS, configRules } from './config.js';
import { DAEMON_IDS, daemonRules } from './daemon.js';
import { KERNEL_IDS, kernelRules } from './kernel.js';
import { ROUTE_IDS } from './routes.js';
import { SYSCTL_IDS, sysctlRules } from './sysctl.js';
import { TRAFFIC_IDS } from './traffic.js';

// The bond sections are each kind's own rules (src/bonds/<kind>/kind.ts), bond by bond.
// IPv6 beside a bond concerns every kind: wanbond bonds IPv4 only.
const bondRules = (x: DoctorInput) => [
  ...x.desired.bonds.flatMap((b) => [...kindOf(b).doctor.bond(x, b), ...ipv6Rules(x, b)]),
  ...removedBondRules(x),
];
const routeRules = (x: DoctorInput) => x.desired.bonds.flatMap((b) => kindOf(b).doctor.routes(x, b));
const trafficRules = (x: DoctorInput) => x.desired.bonds.flatMap((b) => kindOf(b).doctor.traffic(x, b));

export const RULES: readonly ((x: DoctorInput) => Finding[])[] = [
  kernelRules,
  configRules,
  cardRules,
  bondRules,
  routeRules,
  sysctlRules,
  trafficRules,
  daemonRules,
];

export const CHECK_IDS: readonly string[] = [
  ...KERNEL_IDS,
  ...CONFIG_IDS,
  ...CARD_IDS,
  ...BOND_IDS,
  ...ROUTE_IDS,
  ...SYSCTL_IDS,
  ...TRAFFIC_IDS,
  ...DAEMON_IDS,
];

export function diagnose(x: DoctorInput): Finding[] {
  return RULES.flatMap((r) => r(x));
}
