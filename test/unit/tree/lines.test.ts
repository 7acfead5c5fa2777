// Lines of at most 120 characters in the source, tests and benchmarks: the formatter (Biome, 120)
// breaks code, but not a long string, template or comment, so this check holds the rest.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../helpers/fs.js';

export const MAX_LINE = 120;

/** Each line longer than `max` in `text`, as `file:line: length`. */
export function longLines(file: string, text: string, max = MAX_LINE): string[] {
  return text.split('\n').flatMap((l, i) => ([...l].length > max ? [`${file}:${i + 1}: ${[...l].length}`] : []));
}

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(path.join(projectRoot, dir), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'fixtures') out.push(...(await tsFiles(rel)));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

describe('line length', () => {
  it(`no line of src/, test/ or bench/ is longer than ${MAX_LINE} characters`, async () => {
    const files = (await Promise.all(['src', 'test', 'bench'].map(tsFiles))).flat();
    assert.ok(files.length > 100, `found ${files.length} files`);
    const long = (
      await Promise.all(files.map(async (f) => longLines(f, await fs.readFile(path.join(projectRoot, f), 'utf8'))))
    ).flat();
    assert.deepEqual(
      long,
      [],
      `${long.length} lines too long; wrap them (the formatter cannot break strings or comments)`,
    );
  });

  it('the check counts characters, not bytes, and finds a line one over', () => {
    assert.deepEqual(longLines('f.ts', `${'x'.repeat(120)}\n${'é'.repeat(120)}\n${'y'.repeat(121)}`), ['f.ts:3: 121']);
  });
});
