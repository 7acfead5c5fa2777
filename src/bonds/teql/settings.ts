// A TEQL bond's settings section ([teqlN]), the kind a site gets when it writes none: the shared
// keys, a gateway and the routers beyond the slaves for a DSL-router site; no rates. Pure.
import { ConfigError } from '../../errors.js';
import type { KindSettings } from '../kind.js';

export const teqlSettings: KindSettings = {
  sections: '[teql0], [teql1], ... (TEQL)',
  hint: 'teqlN for a TEQL bond',
  named: '',
  defaultRoutes: (b) => (b.index === 0 ? ['default'] : []),
  finish(b, x) {
    if (b.ratesLine !== undefined) {
      throw new ConfigError(
        x.file,
        b.ratesLine,
        `rates in [${b.name}]: TEQL hands every line the same number of packets, whatever their rates`,
        `for lines of unequal speed, make it a weighted bond: rename the section [wbond${b.index}]`,
      );
    }
  },
};
