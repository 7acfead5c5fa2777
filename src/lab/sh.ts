// Command helpers for the lab (test infrastructure, not the product): argv arrays, never a shell.
// Plain child_process, not execa: the card simulator is a process of its own for every `wanrouter`
// call, and under TCG loading execa costs it a second each time.
import { execFile } from 'node:child_process';

export function sh(
  file: string,
  args: string[],
  opts: { input?: string; allowFail?: boolean; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { maxBuffer: 64 << 20, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? (err as unknown as { code: number }).code
            : 1
          : 0;
        if (code !== 0 && !opts.allowFail) {
          reject(
            new Error(
              `lab: ${file} ${args.join(' ')} failed (${code}): ${String(stderr).trim() || (err as Error).message}`,
            ),
          );
          return;
        }
        resolve(String(stdout));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** `ip -n NS ...`, or the root namespace when ns is undefined. */
export const ip = (ns: string | undefined, ...args: string[]) => sh('ip', ns ? ['-n', ns, ...args] : args);
export const tc = (ns: string | undefined, ...args: string[]) => sh('tc', ns ? ['-n', ns, ...args] : args);
export const nsExec = (ns: string, file: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, file, ...args]);
export const sysctlIn = (ns: string | undefined, key: string, value: string) =>
  ns ? nsExec(ns, 'sysctl', '-q', '-w', `${key}=${value}`) : sh('sysctl', ['-q', '-w', `${key}=${value}`]);

export async function batchIp(ns: string | undefined, lines: string[]): Promise<void> {
  if (lines.length > 0) await sh('ip', [...(ns ? ['-n', ns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}
