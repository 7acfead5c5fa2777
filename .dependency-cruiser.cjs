// The import graph's rules, checked by `npm run check:deps` (part of `npm test`): no cycles, and the
// pure folders (parsing, planning, health, diagnosis rules, the bond kinds' logic) import no effect,
// so they can be tested offline and reasoned about without a kernel.
const PURE = [
  '^src/(net|plan|bonds|doctor/rules)/',
  // record.ts and drivers.ts are the state folder's files on disk (what `up` did, the drivers' notes).
  '^src/state/(?!record\\.ts$|drivers\\.ts$)',
  '^src/config/(?!load\\.ts$|write-fix\\.ts$)',
  '^src/observe/parse\\.ts$',
  '^src/watch/(health|parse)\\.ts$',
];
// Modules that act on the world: the file system, processes, the log, file watching, servers, and
// wanbond's own effect modules (the one runner, the lock, the safe file writers, the CLI, the lab).
const EFFECTS = [
  '^node:(fs|fs/promises|child_process|http|https|dgram|worker_threads|cluster)$',
  '^(fs|fs/promises|child_process|http|https|dgram)$',
  '^(execa|pino|chokidar|prom-client)$',
  '^src/(exec|fsx|cli|lab)/',
  '^src/log\\.ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: break it by moving the shared piece down (src/net holds what every folder uses).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'pure-imports-no-effects',
      severity: 'error',
      comment: 'A pure module imports an effect: pass the data in, or move the effect to observe/, apply/ or cli/.',
      from: { path: PURE },
      to: { path: EFFECTS, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
