import { pino, type Logger } from 'pino';

export type Log = Logger;

// A CLI that exits must log synchronously, or its last lines are lost.
export function makeLogger(cmd: string, level: string = process.env['WANBOND_LOG_LEVEL'] ?? 'info'): Log {
  return pino({ base: { cmd }, level }, pino.destination({ dest: 2, sync: true }));
}

export function silentLogger(): Log {
  return pino({ level: 'silent' });
}

/** A logger that hands each JSON line to `write` (the lab runs wanbond in its own process and keeps what it logs). */
export function makeLoggerTo(cmd: string, write: (line: string) => void, level = 'warn'): Log {
  return pino({ base: { cmd }, level }, { write });
}
