// Small text helpers shared by messages and tables. Pure.

/** "1 step", "2 steps". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
