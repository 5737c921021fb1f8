/**
 * The layer rule: a module may import only from its own layer or from layers below it.
 * Lowest first; each entry is a regex on the path under src/. Also: no import cycles anywhere in
 * src/, and nothing in src/ (but the demo) imports a devDependency.
 */
const LAYERS = [
  ['errors', '^src/(errors|option-checks)\\.ts$'],
  ['jose', '^src/jose/'],
  // Where signature checks run (calling thread, worker thread, threadpool): calls jose/signature.
  ['concurrency', '^src/concurrency/'],
  ['keys', '^src/keys/'],
  ['cache', '^src/cache/'],
  ['claims', '^src/claims/'],
  ['remote', '^src/remote/'],
  ['replay', '^src/replay/'],
  ['dpop', '^src/dpop/'],
  ['options/issuers', '^src/(options|issuers|issuer-templates)\\.ts$'],
  ['verifier', '^src/verifier(\\.ts$|/)'],
  ['http', '^src/http/'],
  ['adapters/report', '^src/(adapters|report)/'],
  ['cli/inspector/server', '^src/(cli|inspector|server)/'],
  // The public entry re-exports every layer, so it sits on top.
  ['index', '^src/(index|edge|api)\\.ts$'],
  // The demo uses the package as a user would, through its public entry.
  ['demo', '^src/demo/'],
];

const layerRules = LAYERS.slice(0, -1).map(([name, from], i) => ({
  name: `layer-${name.replace(/\W+/g, '-')}`,
  comment: `${name} is below ${LAYERS.slice(i + 1)
    .map(([n]) => n)
    .join(', ')}: it must not import them`,
  severity: 'error',
  from: { path: from },
  to: {
    path: LAYERS.slice(i + 1)
      .map(([, p]) => `(${p})`)
      .join('|'),
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'inspector-not-cli',
      comment: 'the inspector and the CLI share the report layer; the inspector never imports cli/',
      severity: 'error',
      from: { path: '^src/inspector/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'edge-no-node',
      comment:
        'the workerd/worker/browser entries run where node: modules do not exist (browsers, workerd without nodejs_compat): only the listed Node-only modules, which src/edge.ts never reaches (test/runtimes/edge-bundle.test.ts), may import one; types excepted',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot:
          '^src/(index\\.ts|jose/signature\\.ts|concurrency/(dispatch|worker-lane|node-platform)\\.ts|adapters/(express|fastify)\\.ts|cli/|inspector/|server/|report/|demo/)',
      },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-cycles',
      comment: 'import cycles make the layers meaningless',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-no-dev-deps',
      comment: 'the published code never imports a devDependency (the demo is not part of the API)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/demo/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'core-no-frameworks',
      comment: 'frameworks and Redis clients are optional peers: only their adapter may import them',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(adapters|replay)/' },
      to: { dependencyTypes: ['npm-peer', 'npm-optional'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^|/)(dist|node_modules)/' },
  },
};
