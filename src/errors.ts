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

/**
 * A wanpipe file problem, with what Sangoma's wanconfig does with it: the exit status `wanrouter start` fails
 * with, or 'accepts' where wanconfig takes the file and wanbond still refuses it (the driver or the kernel would
 * fail later, or configure something other than what the file says).
 */
export class WanconfigError extends ConfigError {
  readonly wanconfig: number | 'accepts';
  constructor(file: string, line: number, what: string, hint: string, wanconfig: number | 'accepts') {
    super(file, line, what, hint);
    this.wanconfig = wanconfig;
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
  /** For `ip -batch -` / `tc -batch -`: the input line that failed, as the tool numbered it. */
  readonly failedLine: { no: number; text: string } | undefined;
  constructor(
    argv: readonly string[],
    exitCode: number | undefined,
    stderr: string,
    hint: string,
    options?: ErrorOptions & { input?: string | undefined },
  ) {
    const m = /Command failed -:(\d+)/.exec(stderr);
    const no = m ? Number(m[1]) : undefined;
    const text = no !== undefined && options?.input !== undefined ? options.input.split('\n')[no - 1] : undefined;
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => !/^Command failed -:\d+$/.test(l.trim()) && l.trim() !== '');
    const why = lines.slice(-3).join(' / ') || `exit code ${exitCode ?? 'unknown'}`;
    const what = text !== undefined ? `${argv.join(' ')}, line ${no} \`${text}\`` : argv.join(' ');
    super(`command failed: ${what}: ${why}`, hint, options);
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.failedLine = text !== undefined && no !== undefined ? { no, text } : undefined;
  }
}

/** A command line that cannot be right (an unknown name in an option): exit 2, like a config error. */
export class UsageError extends WanbondError {}

/** The kernel, read back after apply, disagrees with the plan. */
export class VerifyError extends WanbondError {}

/**
 * The system is in a state wanbond will not change on its own (for example sch_teql loaded with too few
 * equalizers).
 */
export class StateError extends WanbondError {}

/** A server the daemon could not start listening (metrics): the daemon logs it and goes on without. */
export class ListenError extends WanbondError {
  readonly address: string;
  /** The system's error code: EADDRINUSE, EADDRNOTAVAIL, EACCES, ... */
  readonly code: string | undefined;
  constructor(address: string, code: string | undefined, message: string, hint: string, options?: ErrorOptions) {
    super(message, hint, options);
    this.address = address;
    this.code = code;
  }
}

/** A bug in wanbond itself: exit 70 with the stack. */
export class InternalError extends Error {}

/** An error as one log field: a wanbond error with its fix, any other by its message. */
export const errText = (e: unknown): string =>
  e instanceof WanbondError ? `${e.message} (fix: ${e.hint})` : e instanceof Error ? e.message : String(e);
