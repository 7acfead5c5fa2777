// The settings examples operators copy from the docs: each ```ini block of README.md and
// docs/WEIGHTED.md that is a wanbond.conf must parse, and say what the prose says it does.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings } from '../../../src/config/settings.js';
import { projectRoot } from '../../helpers/fs.js';

async function iniBlocks(file: string): Promise<string[]> {
  const text = await fs.readFile(path.join(projectRoot, file), 'utf8');
  return [...text.matchAll(/```ini\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('settings examples in the docs', () => {
  for (const file of ['README.md', 'docs/WEIGHTED.md', 'docs/SITES.md']) {
    it(`${file}: every wanbond.conf example parses`, async () => {
      const blocks = await iniBlocks(file);
      assert.ok(blocks.length > 0, `no ini example in ${file}`);
      for (const b of blocks) assert.doesNotThrow(() => parseSettings(file, b), b);
    });
  }

  it('README.md and docs/WEIGHTED.md: their [wbond0] examples are weighted bonds with a 768k line', async () => {
    const blocks = [...(await iniBlocks('README.md')), ...(await iniBlocks('docs/WEIGHTED.md'))].filter((b) =>
      b.includes('[wbond0]'),
    );
    assert.equal(blocks.length, 2);
    for (const b of blocks) {
      const bond = parseSettings('x', b).bonds[0];
      assert.equal(bond?.kind, 'weighted');
      assert.equal(bond?.rates?.['w2g1ppp'], 768_000);
    }
  });

  it(
    'README.md and docs/SITES.md: ' + 'their [pcbond0] examples are per-connection bonds of two uplinks weighted 2:1',
    async () => {
      const blocks = [...(await iniBlocks('README.md')), ...(await iniBlocks('docs/SITES.md'))].filter((b) =>
        b.includes('[pcbond0]'),
      );
      assert.equal(blocks.length, 2);
      for (const b of blocks) {
        const bond = parseSettings('x', b).bonds[0];
        assert.equal(bond?.kind, 'per-connection');
        assert.deepEqual(
          bond?.uplinks.map((u) => [u.name, u.address, u.gateway, u.weight]),
          [
            ['eth1', '100.64.1.2', '100.64.1.1', 2],
            ['eth2', '100.64.2.2', '100.64.2.1', 1],
          ],
        );
      }
    },
  );
});
