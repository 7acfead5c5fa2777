// Fix lines are spelled by the engine's own toCommand, so a fix is exactly what wanbond would run,
// quoted for a shell. Pure.
import { InternalError } from '../errors.js';
import { shellQuote, toCommand, type Step } from '../plan/steps.js';
import type { DoctorInput } from './input.js';

/** The shell line of a step that runs a command. */
export function run(s: Step): string {
  const c = toCommand(s);
  if (!c) throw new InternalError(`doctor: step ${s.kind} has no command`);
  return shellQuote([c.file, ...c.args]);
}

/** An edit to make by hand, or where the lines after it run: a comment in a shell. */
export const note = (text: string): string => `# ${text}`;

/** Argv words of a command that is not a step (diagnostics), quoted like the rest. */
export const cmd = (...argv: string[]): string => shellQuote(argv);

/**
 * Taking a line out of a bond for good: the settings change, then the running daemon's reload (it
 * takes removed lines out of the ring under the hold), else down and up again.
 */
export function removeLine(x: DoctorInput, teql: string, line: string): { fix: string[]; interrupts?: string } {
  const b = x.desired.bonds.find((d) => d.name === teql);
  const rest = b?.slaves.map((s) => s.name).filter((n) => n !== line) ?? [];
  const edit = note(`in [${teql}] of ${x.desired.settingsFile}: slaves = ${rest.join(', ')}`);
  if (x.daemon.running) return { fix: [edit, cmd('systemctl', 'reload', 'wanbond-watch.service')] };
  return {
    fix: [edit, cmd('wanbond', 'down'), cmd('wanbond', 'up')],
    interrupts:
      'wanbond down takes every bond it brought up, with their routes, away until wanbond up brings ' +
      `them back: a few seconds without ${teql}`,
  };
}
