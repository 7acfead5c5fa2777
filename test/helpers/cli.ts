import { run } from '../../src/cli/main.js';
import type { Runner } from '../../src/exec/runner.js';
import { silentLogger } from '../../src/log.js';

export interface CliResult { code: number; out: string; err: string }

export async function cli(...argv: string[]): Promise<CliResult> {
  return cliWith({}, ...argv);
}

export async function cliWith(deps: { runner?: Runner }, ...argv: string[]): Promise<CliResult> {
  let out = '', err = '';
  const code = await run(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } }, { log: silentLogger(), ...deps });
  return { code, out, err };
}
