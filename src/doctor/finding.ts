// What doctor reports: one finding per problem, in the plain voice of Sangoma's TEQL FAQ: what is
// wrong, why it matters, the commands that fix it. Data only, and the order of severities.

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable check id, `area.problem` (docs/FAQ.md lists them): scripts key on it, never on the text. */
  id: string;
  severity: Severity;
  bond?: string;
  line?: string;
  what: string;
  why: string;
  /**
   * Commands to run in order, each as-is in a root shell. A line starting with `#` is an edit to make
   * by hand or says where the commands after it run (the far router); it is a no-op in a shell.
   */
  fix: string[];
  /** What running the fix takes down meanwhile, when it does. */
  interrupts?: string;
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** The worst severity among these, or 'ok' when there is none. */
export function worstOf(findings: readonly Finding[]): Severity | 'ok' {
  let worst: Severity | 'ok' = 'ok';
  for (const f of findings) if (worst === 'ok' || RANK[f.severity] > RANK[worst]) worst = f.severity;
  return worst;
}

/** Severity first, then by check id and line, so the output of two runs compares line by line. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      RANK[b.severity] - RANK[a.severity] || a.id.localeCompare(b.id) || (a.line ?? '').localeCompare(b.line ?? ''),
  );
}

/** Something to fix: a warning or an error. */
export const needsFix = (f: Finding): boolean => f.severity !== 'info';
