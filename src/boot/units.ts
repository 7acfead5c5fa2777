// The systemd units wanbond ships (units/), rendered for one machine: the wanbond program to run and
// the global options to run it with. Pure: install-units reads the templates and writes the result.
import path from 'node:path';
import { InternalError, UsageError } from '../errors.js';

export const UNIT_NAMES = ['wanbond.service', 'wanbond-watch.service'] as const;
export type UnitName = (typeof UNIT_NAMES)[number];

/** The program the templates name; rendering replaces it. */
export const TEMPLATE_BIN = '/usr/local/bin/wanbond';

export const DEFAULT_UNIT_DIR = '/etc/systemd/system';

/** Where systemd loads system units from: only there does a daemon-reload make it read ours. */
export const SYSTEM_UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

/** systemd's PATH for system services, where a `#!/usr/bin/env node` script finds node. */
export const SYSTEMD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The global options a unit passes on when the operator gave them to install-units: commander key, flag. */
export const PASSED_OPTIONS = [
  ['confDir', '--conf-dir'],
  ['settings', '--settings'],
  ['stateDir', '--state-dir'],
  ['wanrouterProc', '--wanrouter-proc'],
  ['wanrouter', '--wanrouter'],
] as const;

export interface UnitOptions {
  bin: string;
  /** The node to run bin with, when systemd's PATH has none for its `#!/usr/bin/env node`. */
  node?: string | undefined;
  /** Global options as [flag, value], written before the command. */
  globals: readonly (readonly [string, string])[];
}

const SAFE = /[A-Za-z0-9/._+,:=@-]/;

function why(c: string): string {
  if (/\s/.test(c)) return 'a blank, where systemd splits the command line';
  if (c === '"' || c === "'") return 'a quote, which systemd reads as quoting';
  if (c === '%') return "'%', which systemd reads as a specifier (%h, %n, ...)";
  if (c === '$') return "'$', which systemd reads as an environment variable";
  if (c === '\\') return 'a backslash, which systemd reads as an escape';
  if (c === ';') return "';', where systemd can split commands";
  return (
    `'${c}' (U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}), ` +
    `which wanbond does not write into a unit`
  );
}

/** A path as it goes into an Exec line: absolute, and nothing systemd would interpret. */
export function checkUnitPath(option: string, value: string): void {
  if (!value.startsWith('/')) {
    throw new UsageError(
      `${option} ${value}: not an absolute path; systemd starts wanbond in /, where it would mean something else`,
      `give the full path, starting with / (realpath -m ${value} prints it)`,
    );
  }
  const bad = [...value].find((c) => !SAFE.test(c));
  if (bad !== undefined) {
    throw new UsageError(
      `${option} ${JSON.stringify(value)}: contains ${why(bad)}`,
      `use a path of letters, digits and / . _ - + , : = @ only; ` +
        `a symbolic link with such a name works: ` +
        `ln -s '${value.replace(/'/g, `'\\''`)}' /etc/wanbond-path, then ${option} /etc/wanbond-path`,
    );
  }
}

/** One unit for this machine: every Exec line that names TEMPLATE_BIN runs the real program instead. */
export function renderUnit(name: string, template: string, o: UnitOptions): string {
  checkUnitPath('--bin', o.bin);
  if (o.node !== undefined) checkUnitPath('node', o.node);
  for (const [flag, value] of o.globals) checkUnitPath(flag, value);
  const program = [...(o.node !== undefined ? [o.node] : []), o.bin, ...o.globals.flat()].join(' ');
  let replaced = 0;
  const text = template
    .split('\n')
    .map((line) => {
      const m = /^(Exec[A-Za-z]+=)(\S+)(.*)$/.exec(line);
      if (!m || m[2] !== TEMPLATE_BIN) return line;
      replaced++;
      return `${m[1]}${program}${m[3]}`;
    })
    .join('\n');
  if (replaced === 0) throw new InternalError(`${name}: the template has no Exec line that runs ${TEMPLATE_BIN}`);
  return text;
}

export function isSystemUnitDir(dir: string): boolean {
  return SYSTEM_UNIT_DIRS.includes(path.posix.normalize(dir).replace(/(.)\/$/, '$1'));
}
