// The weights of a weighted bond's lines, from what the site already states: the settings' `rates`
// for a line, else its rate in the wanpipe configuration (line-rate.ts); a line with neither is a
// configuration error that names where to write it. Pure.
import { lineRate } from '../../config/line-rate.js';
import type { BondSettings } from '../../config/settings-types.js';
import type { Site } from '../../config/site.js';
import { ConfigError } from '../../errors.js';
import { integerWeights, shareError, type LineWeight } from './weights.js';

export type { LineWeight } from './weights.js';

export function bondWeights(
  b: Pick<BondSettings, 'name' | 'rates' | 'ratesLine' | 'line'>,
  lines: readonly string[],
  site: Site | undefined,
  settingsFile: string,
): { lines: LineWeight[]; shareError: number } {
  const rated = lines.map((name) => {
    const own = b.rates[name];
    if (own !== undefined) return { name, bps: own, how: `rates in ${settingsFile}:${b.ratesLine ?? b.line}` };
    const r = site ? lineRate(site, name) : { unknown: `${name} is not a wanpipe line` };
    if ('bps' in r) return { name, bps: r.bps, how: `${r.how} (${r.where})` };
    throw new ConfigError(
      settingsFile,
      b.ratesLine ?? b.line,
      `[${b.name}]: the rate of ${name} is unknown: ${r.unknown}`,
      `state it in [${b.name}]: rates = ${name}:1536k (bit/s; k, M or G)`,
    );
  });
  const weights = integerWeights(rated.map((r) => r.bps));
  return {
    lines: rated.map((r, i) => ({ ...r, weight: weights[i] as number })),
    shareError: shareError(
      rated.map((r) => r.bps),
      weights,
    ),
  };
}
