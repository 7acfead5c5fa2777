// Steps of a kind's own. The engine's steps (steps.ts) are the ones the three first kinds share and
// every record since holds; a kind added later brings its steps as data of one shape, a KindStep,
// and says what they do in a StepType (src/bonds/kind.ts: BondKind.steps). src/bonds/registry.ts
// registers every kind's types when it loads; this module imports no kind, so the engine's step
// functions can ask it without an import cycle. Pure apart from that table of types.
import { InternalError } from '../errors.js';
import type { Command } from '../exec/runner.js';
import type { ObservedState } from '../state/types.js';

export interface KindStep {
  kind: 'kind-step';
  /** Its StepType's name. */
  type: string;
  /** The bond it is for (a bond's removal takes its steps back by it). */
  bond: string;
  /** What the step is about, as its type reads it: names and values only, no argv. */
  data: Record<string, string>;
}

export interface StepType {
  readonly name: string;
  /** The command it runs (undefined: a step wanbond performs itself). */
  command(s: KindStep): Command | undefined;
  /** Its undo (undefined: nothing to undo). */
  inverse(s: KindStep): KindStep | undefined;
  /** One line for humans. */
  describe(s: KindStep): string;
  /** What it changes, as a record keeps one entry per thing; undefined for an undo step or nothing to undo. */
  resource(s: KindStep): string | undefined;
  /** An undo step: whether the kernel still shows what wanbond made (`down` leaves alone what others changed). */
  stillOurs(s: KindStep, o: ObservedState): boolean;
  /** Why a step read back from a record cannot be of this type (a name no command may take); undefined: fine. */
  invalid(s: KindStep): string | undefined;
}

const TYPES = new Map<string, StepType>();

export function registerStepTypes(types: readonly StepType[]): void {
  for (const t of types) {
    const had = TYPES.get(t.name);
    if (had && had !== t) throw new InternalError(`two step types are named ${t.name}`);
    TYPES.set(t.name, t);
  }
}

/** The type of a step; undefined when no registered kind has it. */
export const stepTypeNamed = (name: string): StepType | undefined => TYPES.get(name);

export function stepType(s: KindStep): StepType {
  const t = TYPES.get(s.type);
  if (!t) throw new InternalError(`no bond kind registers the step type ${s.type}`);
  return t;
}
