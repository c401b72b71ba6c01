/**
 * The import rules of src/ (ARCHITECTURE.md draws them): no import cycle, type-only imports included,
 * and every module imports only its own layer or the layers below it. `npm run check:imports` checks
 * them; `npm test` runs it first.
 */

/** Bottom first. A module may import modules of its own layer and of the layers listed before it. */
const layers = [
  { name: 'consolidate', paths: ['src/consolidate/'], what: 'the post shape every stage speaks; pure' },
  { name: 'basics', paths: ['src/config.ts', 'src/log.ts', 'src/metrics.ts', 'src/concurrency.ts', 'src/messages.ts', 'src/network.ts', 'src/threads.ts'], what: 'configuration, logging, metrics, small utilities' },
  { name: 'core', paths: ['src/core/'], what: 'the contracts operators, capabilities and the evaluator share' },
  { name: 'store', paths: ['src/store/'], what: 'SQLite, and PostgreSQL for what processes share' },
  { name: 'capabilities', paths: ['src/models/', 'src/political/', 'src/llm/', 'src/social/', 'src/images/', 'src/toxicity/'], what: 'what operators need beyond the post' },
  { name: 'operators', paths: ['src/operators/'], what: 'one module per manifest operator' },
  { name: 'evaluate', paths: ['src/evaluate/'], what: 'the compiler and the batched evaluator' },
  { name: 'manifests', paths: ['src/manifests/'], what: 'manifest files: schema, loading, hot reload' },
  { name: 'edges', paths: ['src/ingest/', 'src/label/', 'src/moderation/'], what: 'the I/O stages: events in, labels out, reports in' },
  { name: 'console', paths: ['src/console/'], what: 'the operator console: a web page over manifests, labels, reports and health' },
  { name: 'composition', paths: ['src/pipeline.ts', 'src/warm-up.ts', 'src/services/'], what: 'one batch through the stages, and its warm-up; every capability opened' },
  { name: 'service', paths: ['src/service.ts', 'src/health.ts', 'src/label-server-role.ts', 'src/cluster-roles.ts'], what: 'the running labeler' },
  { name: 'cli', paths: ['src/cli/'], what: 'the skysift command' },
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One regex for a list of folders (`src/core/`) and files (`src/log.ts`). */
const matching = (paths) => `^(${paths.map((p) => (p.endsWith('/') ? escape(p) : `${escape(p)}$`)).join('|')})`;

const upward = layers.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name}`,
  severity: 'error',
  comment: `${layer.name} (${layer.what}) imports only itself and the layers below it, never ${layers
    .slice(i + 1)
    .map((l) => l.name)
    .join(', ')}`,
  from: { path: matching(layer.paths) },
  to: { path: matching(layers.slice(i + 1).flatMap((l) => l.paths)) },
}));

const placed = matching(layers.flatMap((l) => l.paths));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle ties modules that should be readable and testable apart. Move the shared type down a layer (often into src/core/).',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'ingest-knows-nothing-downstream',
      severity: 'error',
      comment: 'Ingest hands events on (the pipeline consolidates, evaluates and labels them); it never reaches into evaluate or label.',
      from: { path: '^src/ingest/' },
      to: { path: '^src/(evaluate|label)/' },
    },
    {
      name: 'label-knows-nothing-upstream-of-consolidate',
      severity: 'error',
      comment: 'Label takes verdicts; the two edges of the data flow meet only in src/pipeline.ts.',
      from: { path: '^src/label/' },
      to: { path: '^src/ingest/' },
    },
    {
      name: 'unplaced-module',
      severity: 'error',
      comment: 'Every module of src/ belongs to a layer: add its folder to the layers in .dependency-cruiser.cjs (and to ARCHITECTURE.md).',
      from: { path: '^src/', pathNot: placed },
      to: {},
    },
    {
      name: 'import-of-unplaced-module',
      severity: 'error',
      comment: 'Every module of src/ belongs to a layer: add its folder to the layers in .dependency-cruiser.cjs (and to ARCHITECTURE.md).',
      from: {},
      to: { path: '^src/', pathNot: placed },
    },
  ],
  options: {
    // Type-only imports count: a cycle through types is still a cycle of ideas.
    tsPreCompilationDeps: true,
    includeOnly: '^(src|bin|bench|scripts|test)/',
    exclude: { path: '^test/fixtures/' },
  },
};
