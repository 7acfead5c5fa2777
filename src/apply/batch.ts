// Groups consecutive ip/tc/sysctl commands into one process each (`ip -batch -`, `tc -batch -`,
// `sysctl -w a=1 b=2`), so `up` for 8 lines costs a handful of process starts. Pure.
import type { Command } from '../exec/runner.js';
import { toCommand, type Step } from '../plan/steps.js';

export interface Group {
  steps: Step[];
  command: Command | undefined;
}

/**
 * iproute2's batch reader splits lines itself (quotes, '#' comments, a trailing backslash joins
 * lines): a command goes into a batch only if every word is one that reader passes through as is.
 * Anything else runs as its own process with an argument array.
 */
const BATCH_WORD = /^[A-Za-z0-9_.:/@%+,=-]+$/;
export const batchSafe = (c: Command): boolean => c.args.every((a) => BATCH_WORD.test(a));

const batchable = (c: Command | undefined): c is Command =>
  c !== undefined && (c.file === 'ip' || c.file === 'tc' || c.file === 'sysctl') && batchSafe(c);

export function groupSteps(steps: readonly Step[], batch: boolean): Group[] {
  const groups: { steps: Step[]; cmds: (Command | undefined)[] }[] = [];
  for (const s of steps) {
    const c = toCommand(s);
    const last = groups[groups.length - 1];
    if (batch && last && batchable(c) && batchable(last.cmds[0]) && last.cmds[0]?.file === c.file) {
      last.steps.push(s);
      last.cmds.push(c);
    } else groups.push({ steps: [s], cmds: [c] });
  }
  return groups.map((g) => ({ steps: g.steps, command: g.cmds.length === 1 ? g.cmds[0] : merge(g.cmds as Command[]) }));
}

function merge(cmds: Command[]): Command {
  const file = cmds[0]!.file;
  if (file === 'sysctl') return { file, args: ['-q', '-w', ...cmds.map((c) => c.args[c.args.length - 1] as string)] };
  return { file, args: ['-batch', '-'], input: `${cmds.map((c) => c.args.join(' ')).join('\n')}\n` };
}

/** How many lines of a batch ran before the one that failed ("Command failed -:3"). */
export function completedBeforeFailure(stderr: string): number | undefined {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) - 1 : undefined;
}
