// wanbond's routing tables: one range per use, so a table's number alone says whose it is and
// route validation needs to know no bond kind. Bond indexes 0-99, lines 0-253 in each range.

export const TABLE_BASES = { weighted: 77_620_000, probe: 77_650_000, perConnection: 77_700_000 } as const;

/** The table of line `lineIndex` of bond `bondIndex` in the range starting at `base`. */
export const tableIn = (base: number, bondIndex: number, lineIndex: number): number =>
  base + bondIndex * 256 + lineIndex + 1;

export const tableRange = (base: number): { min: number; max: number } => ({
  min: tableIn(base, 0, 0),
  max: tableIn(base, 99, 253),
});

/** A table in one of wanbond's ranges: one wanbond may write. */
export const isWanbondTable = (t: number): boolean =>
  Object.values(TABLE_BASES).some((base) => t >= tableRange(base).min && t <= tableRange(base).max);

/** The bond index of a table in the range starting at `base`; undefined when it is not in that range. */
export const bondIndexIn = (base: number, t: number): number | undefined =>
  t >= tableRange(base).min && t <= tableRange(base).max ? Math.floor((t - tableIn(base, 0, 0)) / 256) : undefined;
