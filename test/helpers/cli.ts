import { run } from '../../src/cli/main.js';

export interface CliResult { code: number; out: string; err: string }

export async function cli(...argv: string[]): Promise<CliResult> {
  let out = '', err = '';
  const code = await run(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}
