// install-units: writes wanbond.service and wanbond-watch.service for this machine; never enables them.
import type { Command } from 'commander';
import { execa } from 'execa';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_UNIT_DIR,
  isSystemUnitDir,
  PASSED_OPTIONS,
  renderUnit,
  SYSTEMD_PATH,
  UNIT_NAMES,
  checkUnitPath,
} from '../../boot/units.js';
import { unifiedDiff } from '../../config/diff.js';
import { CommandError, UsageError, WanbondError } from '../../errors.js';
import { writeBackup } from '../../fsx/atomic-write.js';
import { fileError, readNoFollow, writeNoFollow } from '../../fsx/safe-files.js';
import { shellQuote } from '../../plan/steps.js';
import type { Io } from '../io.js';

/** units/ of the package: this file is dist/src/cli/commands/install-units.js once compiled. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../../../units/', import.meta.url));

const ENABLE = 'systemctl enable --now wanbond.service wanbond-watch.service';

export interface InstallOptions {
  unitDir: string;
  /** The wanbond program the units run; default: the one running now. */
  bin?: string | undefined;
  dryRun: boolean;
  force: boolean;
  reload: boolean;
  globals: readonly (readonly [string, string])[];
  templateDir?: string;
}

export interface InstallDeps {
  systemctl?: (args: string[]) => Promise<void>;
  /** Whether systemd is PID 1 (sd_booted(3)'s test); a daemon-reload fails otherwise. */
  booted?: () => Promise<boolean>;
}

async function systemctl(args: string[]): Promise<void> {
  const r = await execa('systemctl', args, { reject: false, env: { LC_ALL: 'C' } });
  if (r.failed) {
    const missing = (r as { code?: string }).code === 'ENOENT';
    throw new CommandError(
      ['systemctl', ...args],
      r.exitCode,
      missing ? 'systemctl: command not found' : String(r.stderr ?? ''),
      `the units are written; run it by hand once systemd runs: systemctl ${args.join(' ')}`,
      { cause: r },
    );
  }
}

const booted = () =>
  fs.stat('/run/systemd/system').then(
    (s) => s.isDirectory(),
    () => false,
  );

/**
 * The program as the operator typed it: npm's link (/usr/local/bin/wanbond), not the file it points
 * to, so the units stay right when an upgrade replaces the package behind it.
 */
function defaultBin(): string {
  const argv1 = process.argv[1];
  if (argv1 === undefined || path.basename(argv1) !== 'wanbond') {
    throw new UsageError(
      `cannot tell where the wanbond program is (running as ${argv1 ?? 'no script'})`,
      'pass --bin /path/to/wanbond (command -v wanbond prints it)',
    );
  }
  return path.resolve(argv1);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** node for a `#!/usr/bin/env node` program when systemd's PATH has none (nvm, /opt/node): this one. */
async function nodeFor(bin: string): Promise<string | undefined> {
  const h = await fs.open(bin, 'r');
  const head = await h
    .read(Buffer.alloc(128), 0, 128, 0)
    .then((r) => r.buffer.subarray(0, r.bytesRead).toString('latin1').split('\n', 1)[0] ?? '')
    .finally(() => h.close());
  if (!/^#!\s*\/usr\/bin\/env\s+node\s*$/.test(head)) return undefined;
  for (const d of SYSTEMD_PATH) if (await isExecutable(path.join(d, 'node'))) return undefined;
  return process.execPath;
}

async function readTemplate(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT')
      throw new WanbondError(
        `${file}: missing from wanbond's package`,
        'reinstall wanbond from a package that includes units/',
      );
    throw fileError(file, err, 'read');
  }
}

type Planned = { name: string; file: string; text: string; state: 'new' | 'same' | 'differs'; old?: string };

async function inspect(file: string, name: string, text: string): Promise<Planned> {
  const st = await fs.lstat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw fileError(file, e, 'read');
  });
  if (st === undefined) return { name, file, text, state: 'new' };
  if (st.isSymbolicLink()) {
    const to = await fs.readlink(file);
    throw new WanbondError(
      `${file}: a symbolic link to ${to}` +
        `${to === '/dev/null' ? ' (the unit is masked)' : ''}; wanbond does not write through it`,
      to === '/dev/null'
        ? `systemctl unmask ${name}, then run install-units again`
        : `remove the link (rm ${file}) and run install-units again`,
    );
  }
  const old = await readNoFollow(file);
  return { name, file, text, state: old === text ? 'same' : 'differs', ...(old !== undefined ? { old } : {}) };
}

/** The install-units command line with these options, for the operator to run again. */
function commandLine(o: InstallOptions, extra: string[]): string {
  return shellQuote([
    'wanbond',
    ...o.globals.flat(),
    'install-units',
    ...(path.resolve(o.unitDir) !== DEFAULT_UNIT_DIR ? ['--unit-dir', o.unitDir] : []),
    ...(o.bin !== undefined ? ['--bin', o.bin] : []),
    ...(o.reload ? [] : ['--no-reload']),
    ...extra,
  ]);
}

export async function installUnits(o: InstallOptions, io: Io, deps: InstallDeps = {}): Promise<number> {
  const bin = o.bin ?? defaultBin();
  checkUnitPath('--bin', bin);
  if (!(await isExecutable(bin)))
    throw new WanbondError(
      `--bin ${bin}: not an executable file`,
      'point --bin at the installed wanbond program (command -v wanbond prints it)',
    );
  const node = await nodeFor(bin);
  if (node !== undefined)
    io.err(`note: no node on systemd's PATH (${SYSTEMD_PATH.join(':')}): the units run ${bin} with ${node}\n`);
  const unitDir = path.resolve(o.unitDir);
  const templateDir = o.templateDir ?? TEMPLATE_DIR;
  const planned: Planned[] = [];
  for (const name of UNIT_NAMES) {
    const text = renderUnit(name, await readTemplate(templateDir, name), { bin, node, globals: o.globals });
    planned.push(await inspect(path.join(unitDir, name), name, text));
  }
  const differs = planned.filter((p) => p.state === 'differs');
  const toWrite = planned.filter((p) => p.state === 'new' || (p.state === 'differs' && o.force));
  const reload = toWrite.length > 0 && o.reload && isSystemUnitDir(unitDir) && (await (deps.booted ?? booted)());

  if (o.dryRun) {
    io.out('# wanbond install-units --dry-run: nothing was changed\n');
    for (const p of planned) {
      if (p.state === 'same') io.out(`# ${p.file}: already installed, nothing to change\n`);
      if (p.state === 'differs') {
        io.out(
          `# ${p.file} differs from the unit wanbond would install` +
            `${o.force ? '; --force replaces it, keeping a backup' : '; only --force replaces it'}:\n`,
        );
        io.out(unifiedDiff(p.file, p.old ?? '', p.text).replace(/^/gm, '#   '));
      }
      if (toWrite.includes(p))
        io.out(`cat > ${shellQuote([p.file])} <<'EOF'\n${p.text}${p.text.endsWith('\n') ? '' : '\n'}EOF\n`);
    }
    if (reload) io.out('systemctl daemon-reload\n');
    io.out(`# then, to start them now and at every boot:\n# ${ENABLE}\n`);
    return 0;
  }

  if (differs.length > 0 && !o.force) {
    throw new WanbondError(
      `${differs.map((p) => p.file).join(' and ')} ${differs.length > 1 ? 'differ' : 'differs'} ` +
        `from the unit wanbond would install; nothing was written`,
      `see the difference: ${commandLine(o, ['--dry-run'])}; ` +
        `keep local changes in a drop-in (systemctl edit ${differs[0]?.name}), ` +
        `then replace the file (a backup is kept): ${commandLine(o, ['--force'])}`,
    );
  }
  if (toWrite.length === 0) {
    io.out(`${UNIT_NAMES.join(', ')} in ${unitDir}: already installed, nothing to change\n`);
  } else {
    const st = await fs.stat(unitDir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new WanbondError(
        `${unitDir}: no such folder; nothing was written`,
        `without systemd, start wanbond from an init script (docs/BOOT.md); ` +
          `or point --unit-dir at the folder systemd reads (${DEFAULT_UNIT_DIR})`,
      );
    }
    for (const p of toWrite) {
      const backup =
        p.state === 'differs'
          ? await writeBackup(p.file).catch((e: NodeJS.ErrnoException) => {
              throw fileError(p.file, e, 'back up');
            })
          : undefined;
      await writeNoFollow(p.file, p.text, 0o644);
      io.out(backup !== undefined ? `replaced ${p.file} (backup: ${backup})\n` : `wrote ${p.file}\n`);
    }
    if (reload) {
      await (deps.systemctl ?? systemctl)(['daemon-reload']);
      io.out('systemctl daemon-reload\n');
    } else if (!o.reload)
      io.out('not reloaded (--no-reload): systemd reads the new units after: systemctl daemon-reload\n');
    else if (!isSystemUnitDir(unitDir))
      io.out(`${unitDir} is not a folder systemd loads system units from: no daemon-reload\n`);
    else
      io.out(
        'systemd is not running here (no /run/systemd/system): no daemon-reload; it reads the units when it starts\n',
      );
  }
  io.out(`to start them now and at every boot: ${ENABLE}\n`);
  return 0;
}

export function registerInstallUnits(
  program: Command,
  io: Io,
  setExit: (c: number) => void,
  deps: InstallDeps = {},
): void {
  program
    .command('install-units')
    .description(
      'write the systemd units wanbond.service and wanbond-watch.service for this wanbond (does not enable them)',
    )
    .option('--unit-dir <dir>', 'where to write them', DEFAULT_UNIT_DIR)
    .option('--bin <path>', 'the wanbond program the units run (default: this one)')
    .option('--dry-run', 'print the units and the commands, change nothing')
    .option('--force', 'replace units that differ (keeps a backup)')
    .option('--no-reload', 'do not run systemctl daemon-reload')
    .action(
      async (
        o: { unitDir: string; bin?: string; dryRun?: boolean; force?: boolean; reload: boolean },
        cmd: Command,
      ) => {
        const g = cmd.optsWithGlobals<Record<string, unknown>>();
        // Only what the operator gave: the units keep following wanbond's defaults otherwise.
        const globals = PASSED_OPTIONS.filter(
          ([key]) => typeof g[key] === 'string' && cmd.getOptionValueSourceWithGlobals(key) !== 'default',
        ).map(([key, flag]) => [flag, g[key] as string] as const);
        setExit(
          await installUnits(
            {
              unitDir: o.unitDir,
              bin: o.bin,
              dryRun: o.dryRun === true,
              force: o.force === true,
              reload: o.reload,
              globals,
            },
            io,
            deps,
          ),
        );
      },
    );
}
