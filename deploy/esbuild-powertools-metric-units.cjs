// An esbuild plugin that trims Powertools Metrics' table of CloudWatch units (MetricUnit in its constants.js: 27
// units, about 0.65 KB of every function) to those the service emits: Count and Milliseconds (lib/observability.ts),
// Count also for Powertools' own ColdStart metric. Metrics checks each metric's unit against that table, so a unit
// used later without being added to KEPT is refused when the metric is added (a RangeError naming the kept units),
// in every test that publishes, never in silence. tests/bundle/powertools-metric-units.test.ts checks that every
// unit lib/ uses is kept and that a dropped one is refused.
const { withEntriesKept } = require('./esbuild-left-out.cjs');

/** The units lib/ emits (MetricUnit's keys). */
const KEPT = ['Count', 'Milliseconds'];

module.exports = {
  name: 'powertools-metric-units',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-lambda-powertools[\\/]metrics[\\/]lib[\\/]esm[\\/]constants\.js$/ },
      (args) => ({
        loader: 'js',
        contents: withEntriesKept(args.path, 'const MetricUnit = {', '};', KEPT),
      }),
    );
  },
};
// For the test; not enumerable, since esbuild refuses a plugin with keys other than its own.
Object.defineProperty(module.exports, 'KEPT', { value: KEPT });
