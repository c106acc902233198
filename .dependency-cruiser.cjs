// The import rules `npm test` enforces (issue 17): no cycles, type-only imports included, since a cycle is a pair of
// modules that cannot be understood, tested or replaced apart; and SQLite only inside src/store/, so that another
// store backend is one new folder there and nothing else.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules must not import each other, directly or through others, not even for types.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'sqlite-only-in-store',
      comment: 'better-sqlite3 belongs to src/store/; everything else reaches SQLite through the store interfaces.',
      severity: 'error',
      from: { pathNot: '^src/store/' },
      to: { path: 'node_modules/better-sqlite3' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^dist/' },
  },
};
