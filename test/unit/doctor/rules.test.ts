// Every doctor check on the healthy fixture: the broken case yields it, the fix applied to that
// case makes it go, and the healthy router yields no warning at all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { needsFix } from '../../../src/doctor/finding.js';
import { buildReport } from '../../../src/doctor/report.js';
import { CHECK_IDS, diagnose } from '../../../src/doctor/rules/index.js';
import { projectRoot } from '../../helpers/fs.js';
import { CASES } from './cases.js';
import { healthy } from './fixture.js';

const base = await healthy();
const fresh = () => structuredClone(base);

describe('doctor rules', () => {
  it('a healthy router: no warning, no error, and the all-good line', () => {
    const found = diagnose(fresh());
    assert.deepEqual(found.filter(needsFix), []);
    assert.deepEqual(found, []);
    const r = buildReport(fresh());
    assert.equal(r.worst, 'ok');
    assert.deepEqual(
      r.bonds.map((b) => [b.bond, b.ok, b.summary]),
      [['teql0', true, 'teql0: all good: 4 lines up, equalizing both ways']],
    );
  });

  for (const c of CASES) {
    it(`${c.id}: ${c.name}`, () => {
      const x = fresh();
      c.break(x);
      const broken = diagnose(x);
      const f = broken.find((v) => v.id === c.id);
      assert.ok(f, `${c.id} not reported; found: ${broken.map((v) => v.id).join(', ') || 'nothing'}`);
      assert.ok(f.what && f.why && f.fix.length > 0, 'every finding says what, why and the fix');
      c.check?.(f, broken);
      c.fix(x);
      const after = diagnose(x).filter((v) => v.id === c.id);
      assert.deepEqual(after, [], `${c.id} still reported after the fix`);
    });
  }

  it('lines that agree on their MTU are no mismatch, whatever teqlN was set to', () => {
    const x = fresh();
    const t = x.observed.links.find((l) => l.name === 'teql0');
    assert.ok(t);
    t.mtu = 1400;
    assert.deepEqual(
      diagnose(x).filter((f) => f.id === 'bond.mtu-mismatch'),
      [],
    );
  });

  it('every check id has a broken case and a fix', () => {
    const covered = new Set(CASES.map((c) => c.id));
    assert.deepEqual(
      CHECK_IDS.filter((id) => !covered.has(id)),
      [],
    );
    assert.deepEqual(
      [...covered].filter((id) => !CHECK_IDS.includes(id)),
      [],
      'a case names an id no rule declares',
    );
  });

  it('every check id is answered in docs/FAQ.md', () => {
    const faq = readFileSync(path.join(projectRoot, 'docs', 'FAQ.md'), 'utf8');
    assert.deepEqual(
      CHECK_IDS.filter((id) => !faq.includes(`\`${id}\``)),
      [],
    );
  });

  it('the rules are pure: no file, process or logger imports', () => {
    const dir = path.join(projectRoot, 'src', 'doctor');
    const pure = [
      'finding.ts',
      'input.ts',
      'fix.ts',
      'distro.ts',
      'kernel-version.ts',
      'mask.ts',
      'tar.ts',
      'report.ts',
      ...['index', 'kernel', 'config', 'card', 'bond', 'routes', 'sysctl', 'traffic', 'daemon'].map(
        (n) => `rules/${n}.ts`,
      ),
    ];
    for (const f of pure) {
      const imports = readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => /^import /.test(l));
      assert.deepEqual(
        imports.filter(
          (l) =>
            /node:(fs|child_process)|'execa'|'pino'|\/log\.js'|\/exec\/runner\.js'/.test(l) && !/import type/.test(l),
        ),
        [],
        f,
      );
    }
  });
});
