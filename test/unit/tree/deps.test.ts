// The import graph's rules (.dependency-cruiser.cjs): the tree keeps them, and the check catches a
// cycle and a pure module importing an effect (a small tree made for the purpose), so a green run
// means something.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../helpers/fs.js';

const CONFIG = path.join(projectRoot, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(projectRoot, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string, dirs: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(DEPCRUISE, [...dirs, '--config', CONFIG, '--output-type', 'err'], { cwd }, (e, stdout, stderr) => {
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('the import graph', () => {
  it('has no cycle, and no pure module imports an effect', async () => {
    const r = await cruise(projectRoot, ['src', 'test', 'bench']);
    assert.equal(r.code, 0, r.out);
  });

  it('the check fails on a cycle and on a pure module that imports node:fs', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-deps-'));
    try {
      await fs.mkdir(path.join(dir, 'src', 'plan'), { recursive: true });
      await fs.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext' } }));
      await fs.writeFile(
        path.join(dir, 'src', 'plan', 'a.ts'),
        "import { b } from './b.js';\nexport const a = () => b;\n",
      );
      await fs.writeFile(
        path.join(dir, 'src', 'plan', 'b.ts'),
        "import { a } from './a.js';\nexport const b = () => a;\n",
      );
      await fs.writeFile(
        path.join(dir, 'src', 'plan', 'c.ts'),
        "import { readFileSync } from 'node:fs';\nexport const c = () => readFileSync('/etc/hostname');\n",
      );
      const r = await cruise(dir, ['src']);
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, /no-circular: src\/plan\/a\.ts/);
      assert.match(r.out, /pure-imports-no-effects: src\/plan\/c\.ts → (node:)?fs\b/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
