// wanbond for a lab site built outside the Lab class (the DSL and per-connection sites): its command
// line in the test's own process, and as a process of its own (the daemon), both pointed at the
// site's settings file and state folder under `dir` (a folder made when the test starts: read late).
import path from 'node:path';
import { execa } from 'execa';
import { run } from '../cli/main.js';
import { makeLoggerTo } from '../log.js';
import { projectRoot } from './lab.js';

export function siteCli(dir: () => string) {
  const where = () => [
    '--conf-dir',
    path.join(dir(), 'none'),
    '--settings',
    path.join(dir(), 'wanbond.conf'),
    '--state-dir',
    path.join(dir(), 'run'),
  ];
  return {
    wanbond: async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '',
        err = '';
      const code = await run(
        [args[0] as string, ...where(), ...args.slice(1)],
        {
          out: (x) => {
            out += x;
          },
          err: (x) => {
            err += x;
          },
        },
        {
          log: makeLoggerTo(args[0] ?? 'wanbond', (l) => {
            err += l;
          }),
        },
      );
      return { code, out, err };
    },
    startWanbond: (args: string[], env: Record<string, string> = {}) =>
      execa(
        process.execPath,
        [path.join(projectRoot, 'bin', 'wanbond'), args[0] as string, ...where(), ...args.slice(1)],
        {
          reject: false,
          stripFinalNewline: false,
          forceKillAfterDelay: false,
          env: { WANBOND_LOG_LEVEL: 'warn', ...env },
        },
      ),
  };
}
