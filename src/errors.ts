// One error family. Every WanbondError carries a hint: the command or edit that fixes it.
// cli/main.ts is the only place that turns these into exit codes.

export class WanbondError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** A syntax or reference error in a file: exit 2. */
export class ConfigError extends WanbondError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, what: string, hint: string) {
    super(`${file}:${line}: ${what}`, hint);
    this.file = file;
    this.line = line;
  }
}

/** Several ConfigErrors found in one pass, so the operator fixes them all at once. */
export class ConfigErrors extends WanbondError {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    const first = errors[0];
    super(errors.map((e) => e.message).join('\n'), first ? first.hint : '');
    this.errors = errors;
  }
}

export class CommandError extends WanbondError {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly stderr: string;
  constructor(argv: readonly string[], exitCode: number | undefined, stderr: string, hint: string, options?: ErrorOptions) {
    const why = stderr.trim().split('\n').slice(-3).join(' / ') || `exit code ${exitCode ?? 'unknown'}`;
    super(`command failed: ${argv.join(' ')}: ${why}`, hint, options);
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The kernel, read back after apply, disagrees with the plan. */
export class VerifyError extends WanbondError {}

/** The system is in a state wanbond will not change on its own (for example sch_teql loaded with too few equalizers). */
export class StateError extends WanbondError {}

/** A bug in wanbond itself: exit 70 with the stack. */
export class InternalError extends Error {}
