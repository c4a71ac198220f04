/**
 * The import rules of src/ (npm run deps:check). Each folder is one floor and imports only run down;
 * a lower floor that needs something from above declares an interface the higher floor implements.
 * @type {import('dependency-cruiser').IConfiguration}
 */

/** Top to bottom; a file imports from its own floor or lower ones. */
const floors = [
  { name: 'entry', path: '^src/(main\\.ts$|cli/)' },
  { name: 'composition', path: '^src/(app\\.ts$|app/)' },
  { name: 'graphql-http-plugins', path: '^src/(graphql|http|plugins)/' },
  { name: 'modules', path: '^src/modules/' },
  { name: 'auth-metrics', path: '^src/(auth|metrics)/' },
  { name: 'datastore-demo', path: '^src/(datastore|demo)/' },
  { name: 'config', path: '^src/config/' },
  { name: 'telemetry', path: '^src/telemetry/' },
  { name: 'shared-logging-errors', path: '^src/(shared|logging|errors)/' },
];
const anyOf = (paths) => paths.map((path) => `(${path})`).join('|');
const above = (index) => anyOf(floors.slice(0, index).map((floor) => floor.path));

/** A module's GraphQL face; every other file of a module is domain code. */
const graphqlFace = '^src/modules/.+[.](resolver|type|input|args|loaders)[.]ts$';

const upward = floors.slice(1).map((floor, offset) => ({
  name: `floor-${floor.name}-imports-upward`,
  comment: `${floor.name} imports only its own floor and the ones below it`,
  severity: 'error',
  from: { path: floor.path, ...(floor.name === 'modules' ? { pathNot: graphqlFace } : {}) },
  to: { path: above(offset + 1) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no file reaches itself through its imports',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'floor-modules-graphql-face-imports-upward',
      comment: "a module's GraphQL face (resolver, type, input, args, loaders) may also import src/graphql/, and nothing else above",
      severity: 'error',
      from: { path: graphqlFace },
      to: { path: above(3), pathNot: '^src/graphql/' },
    },
    {
      name: 'src-file-on-no-floor',
      comment: 'every file of src/ sits on one floor (see `floors` in .dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(floors.map((floor) => floor.path)) },
      to: {},
    },
    {
      name: 'module-domain-imports-graphql',
      comment: 'services, repositories and the rest of a module speak plain data: no src/graphql/, no GraphQL face',
      severity: 'error',
      from: { path: '^src/modules/', pathNot: graphqlFace },
      to: { path: anyOf(['^src/graphql/', graphqlFace]) },
    },
    {
      name: 'modeling-core-imports-outside',
      comment: 'the k-means core imports only src/shared/ and its own files',
      severity: 'error',
      from: { path: '^src/modules/modeling/' },
      to: { path: '^src/', pathNot: '^src/(modules/modeling|shared)/' },
    },
    {
      name: 'modeling-core-imports-package',
      comment: 'the k-means core is plain TypeScript over Node built-ins: no npm package',
      severity: 'error',
      from: { path: '^src/modules/modeling/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'telemetry-imports-module',
      comment: 'telemetry offers sinks only; it imports no domain module',
      severity: 'error',
      from: { path: '^src/telemetry/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'migration-imports-module',
      comment: 'migrations are literal SQL per version and never call live code',
      severity: 'error',
      from: { path: '^src/datastore/migrations/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'datastore-imports-demo',
      comment: 'demo data sits on the datastore floor and uses it, never the other way',
      severity: 'error',
      from: { path: '^src/datastore/' },
      to: { path: '^src/demo/' },
    },
    {
      name: 'odbc-outside-datastore',
      comment: 'only src/datastore/ talks to odbc',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/datastore/' },
      to: { path: 'node_modules/odbc/' },
    },
    {
      name: 'src-imports-dev-dependency',
      comment: 'src/ runs in production, where devDependencies are not installed',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: 'node_modules/@types/' },
    },
    {
      name: 'package-not-in-package-json',
      comment: 'every package imported is declared in package.json',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'unresolvable-import',
      comment: 'every import resolves to a file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Unanchored: a worktree's node_modules may be a link to another checkout's.
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a service that imports a GraphQL type depends on it all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
