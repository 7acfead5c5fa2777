// The module files a kernel read needs: modules.builtin and modules.dep (half a megabyte on Debian) only
// where /proc/modules does not already tell whether TEQL and the hold qdisc are there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runner } from '../../../src/exec/runner.js';
import { observe } from '../../../src/observe/read.js';

function kernel(procModules: string): Runner & { files: string[] } {
  return {
    files: [],
    read: async () => '[]',
    change: async () => undefined,
    async readFile(p) {
      this.files.push(p);
      if (p === '/proc/sys/kernel/osrelease') return '6.1.0-57-amd64\n';
      if (p === '/proc/modules') return procModules;
      if (p.endsWith('/modules.dep')) return 'kernel/net/sched/sch_plug.ko:\n';
      return undefined;
    },
  };
}
const read = (k: Runner) => observe(k, { sysctls: [], wanrouterProc: '/nonexistent', lean: true });
const moduleFilesRead = (k: { files: string[] }) => k.files.filter((f) => f.startsWith('/lib/modules/')).sort();

test('both modules loaded: neither modules.builtin nor modules.dep is read, and both are there', async () => {
  const k = kernel('sch_teql 16384 0 - Live 0x0\nsch_plug 16384 1 - Live 0x0\n');
  const o = await read(k);
  assert.deepEqual(moduleFilesRead(k), []);
  assert.equal(o.teql.loaded, true);
  assert.equal(o.plug, true);
});

test('a module not loaded: both files read, and what they say counts', async () => {
  const k = kernel('sch_teql 16384 0 - Live 0x0\n');
  const o = await read(k);
  assert.deepEqual(moduleFilesRead(k), [
    '/lib/modules/6.1.0-57-amd64/modules.builtin',
    '/lib/modules/6.1.0-57-amd64/modules.dep',
  ]);
  assert.equal(o.plug, true, 'loadable, from modules.dep');
});
