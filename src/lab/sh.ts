// Command helpers for the lab (test infrastructure, not the product): argv arrays, never a shell.
import { execa } from 'execa';

export async function sh(file: string, args: string[], opts: { input?: string; allowFail?: boolean; env?: Record<string, string> } = {}): Promise<string> {
  const r = await execa(file, args, { reject: false, input: opts.input, env: opts.env });
  if (r.exitCode !== 0 && !opts.allowFail) {
    throw new Error(`lab: ${file} ${args.join(' ')} failed (${r.exitCode}): ${String(r.stderr).trim()}`);
  }
  return String(r.stdout);
}

/** `ip -n NS ...`, or the root namespace when ns is undefined. */
export const ip = (ns: string | undefined, ...args: string[]) => sh('ip', ns ? ['-n', ns, ...args] : args);
export const tc = (ns: string | undefined, ...args: string[]) => sh('tc', ns ? ['-n', ns, ...args] : args);
export const nsExec = (ns: string, file: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, file, ...args]);
export const sysctlIn = (ns: string | undefined, key: string, value: string) =>
  ns ? nsExec(ns, 'sysctl', '-q', '-w', `${key}=${value}`) : sh('sysctl', ['-q', '-w', `${key}=${value}`]);

export async function batchIp(ns: string | undefined, lines: string[]): Promise<void> {
  if (lines.length > 0) await sh('ip', [...(ns ? ['-n', ns] : []), '-batch', '-'], { input: lines.join('\n') + '\n' });
}
