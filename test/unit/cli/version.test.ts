import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cli } from '../../helpers/cli.js';
import { projectRoot } from '../../helpers/fs.js';

describe('wanbond --version', () => {
  it('prints the version of package.json and exits 0, touching nothing', async () => {
    const pkg = JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      assert.deepEqual([r.code, r.out, r.err], [0, `${pkg.version}\n`, '']);
    }
  });
});
