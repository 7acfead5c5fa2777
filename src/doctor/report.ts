// Findings -> the report: grouped by bond, the router's own apart, with one short line for a bond
// that is all good; as text for a terminal or as JSON (docs/doctor.schema.json). Pure.
import { plural } from '../text.js';
import { needsFix, sortFindings, worstOf, type Finding, type Severity } from './finding.js';
import { enslaved, hasCarrier, isUp, linkOf, windowMs, type DoctorInput } from './input.js';
import { diagnose } from './rules/index.js';
import { inbound } from './rules/traffic.js';

export const SCHEMA = 'wanbond-doctor/1';

export interface BondReport {
  bond: string;
  ok: boolean;
  summary: string;
  findings: Finding[];
}

export interface DoctorReport {
  schema: typeof SCHEMA;
  checkedAt: string;
  /** How far apart the two readings of the counters were. */
  windowMs: number;
  worst: Severity | 'ok';
  /** The router's own: kernel, daemon, forwarding. */
  findings: Finding[];
  bonds: BondReport[];
}

/** 0: nothing above info; 1: a warning or an error (as `config check`: something to fix). */
export const exitCodeOf = (r: DoctorReport): number => (r.worst === 'error' || r.worst === 'warning' ? 1 : 0);

function counts(findings: readonly Finding[]): string {
  const e = findings.filter((f) => f.severity === 'error').length,
    w = findings.filter((f) => f.severity === 'warning').length;
  return [e > 0 ? plural(e, 'error') : '', w > 0 ? plural(w, 'warning') : ''].filter(Boolean).join(', ');
}

function goodLine(x: DoctorInput, teql: string): string {
  const b = x.desired.bonds.find((d) => d.name === teql);
  if (!b) return `${teql}: all good`;
  const up = b.slaves.filter((s) => {
    const l = linkOf(x.observed.links, s.name);
    return isUp(l) && hasCarrier(l) && enslaved(x.observed, s.name, teql);
  }).length;
  const lines = up === b.slaves.length ? `${plural(up, 'line')} up` : `${up} of ${plural(b.slaves.length, 'line')} up`;
  const v = inbound(x, b);
  const eq =
    v.kind === 'equalized'
      ? 'equalizing both ways'
      : v.kind === 'unmeasured'
        ? `equalizing outbound; inbound not judged (${v.why})`
        : 'inbound concentrated';
  return `${teql}: all good: ${lines}, ${eq}`;
}

export function buildReport(x: DoctorInput, checkedAt: Date = new Date()): DoctorReport {
  const all = sortFindings(diagnose(x));
  const bonds = x.desired.bonds.map((b) => {
    const findings = all.filter((f) => f.bond === b.name);
    const ok = !findings.some(needsFix);
    return { bond: b.name, ok, summary: ok ? goodLine(x, b.name) : `${b.name}: ${counts(findings)}`, findings };
  });
  const known = new Set(bonds.map((b) => b.bond));
  const findings = all.filter((f) => f.bond === undefined || !known.has(f.bond));
  return {
    schema: SCHEMA,
    checkedAt: checkedAt.toISOString(),
    windowMs: windowMs(x),
    worst: worstOf(all),
    findings,
    bonds,
  };
}

function formatFinding(f: Finding): string {
  if (f.severity === 'info') return `  note: ${f.what}  [${f.id}]\n`;
  const pad = '       ';
  let s = `  ${f.severity.toUpperCase()}  ${f.what}  [${f.id}]\n`;
  s += `${pad}why: ${f.why}\n`;
  f.fix.forEach((l, i) => {
    s += `${pad}${i === 0 ? 'fix: ' : '     '}${l}\n`;
  });
  if (f.interrupts) s += `${pad}interrupts: ${f.interrupts}\n`;
  return s;
}

export function formatReport(r: DoctorReport): string {
  const parts: string[] = [];
  if (r.findings.length > 0) {
    const c = counts(r.findings);
    parts.push(`this router: ${c || 'all good'}\n${r.findings.map(formatFinding).join('')}`);
  }
  for (const b of r.bonds) parts.push(`${b.summary}\n${b.findings.map(formatFinding).join('')}`);
  return parts.join('\n');
}
