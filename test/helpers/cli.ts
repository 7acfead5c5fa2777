import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type Deps } from '../../src/cli/main.js';
import { silentLogger } from '../../src/log.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Tests never touch the host's /run/wanbond: a private state folder unless a test names one. */
const testStateDir = mkdtempSync(path.join(os.tmpdir(), 'wanbond-test-state-'));

export async function cli(...argv: string[]): Promise<CliResult> {
  return cliWith({}, ...argv);
}

export async function cliWith(deps: Deps, ...argv: string[]): Promise<CliResult> {
  let out = '',
    err = '';
  const args = argv.includes('--state-dir') ? argv : [...argv, '--state-dir', testStateDir];
  const code = await run(
    args,
    {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
    },
    // status's interval without the wait: the counters of a fake kernel do not move meanwhile anyway.
    { log: silentLogger(), sleep: async () => undefined, ...deps },
  );
  return { code, out, err };
}
