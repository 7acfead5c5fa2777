// SIGINT and SIGTERM during a change do not kill wanbond halfway: they abort the apply, which rolls
// back what it did (or `down`, which stops after its current batch), and the command then exits
// 130 or 143. A second signal while rolling back is noted and ignored: the rollback must finish.
import type { Io } from './io.js';

export interface SignalScope {
  signal: AbortSignal;
  dispose(): void;
}

export function onInterrupt(io: Io): SignalScope {
  const ac = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      io.err(`wanbond: ${name} again: still undoing what was done, please wait\n`);
      return;
    }
    io.err(`wanbond: ${name}: stopping after the current command and undoing what was done\n`);
    ac.abort(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export const exitCodeForSignal = (name: string): number => (name === 'SIGINT' ? 130 : name === 'SIGTERM' ? 143 : 1);
