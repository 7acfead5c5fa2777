// A weighted bond's settings section ([wbondN]): the shared keys, with `rates` for lines whose rate
// the wanpipe configuration does not say; no gateway and no MTU of its own. Pure.
import { ConfigError } from '../../errors.js';
import type { KindSettings } from '../kind.js';

export const weightedSettings: KindSettings = {
  sections: '[wbond0], ... (weighted)',
  hint: 'wbondN for a weighted one',
  named: 'a weighted bond is named wbondN (sch_teql owns the names teqlN)',
  defaultRoutes: (b) => (b.index === 0 ? ['default'] : []),
  finish(b, x) {
    if (x.lines.gateway !== undefined)
      throw new ConfigError(
        x.file,
        x.lines.gateway,
        `gateway in [${b.name}]: a weighted bond routes by each line's own table`,
        'remove the line (gateways for weighted bonds are not built yet)',
      );
    if (x.lines.mtu !== undefined) {
      throw new ConfigError(
        x.file,
        x.lines.mtu,
        `mtu in [${b.name}]: a weighted bond sends each packet by one line as it is, so each line keeps its own MTU`,
        'remove the line, or set the MTU on the lines themselves',
      );
    }
    if (b.slaves !== undefined) {
      const unknown = Object.keys(b.rates).filter((n) => !b.slaves?.includes(n));
      if (unknown.length > 0)
        throw new ConfigError(
          x.file,
          b.ratesLine ?? b.line,
          `rates: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a slave of [${b.name}]`,
          `list the rates of ${b.slaves.join(', ')} only`,
        );
    }
  },
};
