// How a line's ping leaves: bound to the line (`-I`, SO_BINDTODEVICE), or marked (`-m`) where the answer
// may come back by another line, which a bound socket never sees: a DSL-router site, whose ISP returns
// the bond's address by whichever router it likes (src/bonds/teql/probe-routes.ts). Pure.

/** ping's arguments that choose the way out: the daemon's, and doctor's fix that repeats its probe by hand. */
export const pingRoute = (line: string, mark: number | undefined): string[] =>
  mark === undefined ? ['-I', line] : ['-m', String(mark)];
