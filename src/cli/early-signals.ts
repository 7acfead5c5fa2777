// Signals that arrive while `wanbond watch` is still loading its modules (a few hundred ms on a slow
// router CPU): without a handler, SIGHUP's default kills the process, and systemd's Restart=on-failure
// takes a death by SIGHUP for a clean exit, so the bond would run unwatched. bin/wanbond holds them
// from its first line for `watch` only, and the daemon takes them over with its own handlers.
const KEY = Symbol.for('wanbond.earlySignals');
const SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;

interface Held {
  got: NodeJS.Signals[];
  handler: (s: NodeJS.Signals) => void;
}

type WithHeld = typeof globalThis & { [KEY]?: Held };

export function holdEarlySignals(): void {
  const got: NodeJS.Signals[] = [];
  const handler = (s: NodeJS.Signals) => {
    got.push(s);
  };
  for (const s of SIGNALS) process.on(s, handler);
  (globalThis as WithHeld)[KEY] = { got, handler };
}

/** The signals held so far, in order; the holding handlers go (the caller has installed its own). */
export function takeEarlySignals(): NodeJS.Signals[] {
  const g = globalThis as WithHeld;
  const held = g[KEY];
  if (!held) return [];
  for (const s of SIGNALS) process.off(s, held.handler);
  delete g[KEY];
  return held.got;
}
