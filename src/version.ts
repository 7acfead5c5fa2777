// wanbond's version, from its package.json (dist/src/version.js sits two folders below it).
import { readFileSync } from 'node:fs';

export const VERSION: string = (() => {
  try {
    return (
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string })
        .version ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
})();
