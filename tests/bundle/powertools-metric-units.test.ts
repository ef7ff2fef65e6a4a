// deploy/esbuild-powertools-metric-units.cjs: Powertools Metrics keeps the CloudWatch units lib/ emits, and only those.
import { createRequire } from 'node:module';
import path from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../e2e/support/service.js';
import { libSources, runBundled } from './support/bundle.js';

const { KEPT } = createRequire(import.meta.url)(
  path.join(repoRoot, 'deploy/esbuild-powertools-metric-units.cjs'),
) as { KEPT: string[] };

/**
 * A probe that adds one metric of each unit and prints, per unit, the units its EMF document names or its error.
 * It imports Metrics as lib/observability.ts does (Powertools' ES modules, which the plugin trims); run as
 * installed, it loads them too.
 */
const probe = (units: string[]) => `
  import { Metrics } from '@aws-lambda-powertools/metrics';
  const results = {};
  for (const unit of ${JSON.stringify(units)}) {
    const documents = [];
    const metrics = new Metrics({ namespace: 'probe', serviceName: 'probe', singleMetric: false });
    metrics.console = { log: (text) => documents.push(JSON.parse(text)) };
    try {
      metrics.addMetric('Probe', unit, 1);
      metrics.publishStoredMetrics();
      results[unit] = documents.map((document) => document._aws.CloudWatchMetrics[0].Metrics[0].Unit);
    } catch (error) {
      results[unit] = error.name + ': ' + error.message;
    }
  }
  console.log(JSON.stringify(results));
`;

describe("Powertools Metrics' units, trimmed", () => {
  it('keeps every unit lib/ emits, and Count for Powertools own ColdStart metric', () => {
    const used = new Set(
      libSources().flatMap((source) =>
        [...source.matchAll(/\bMetricUnit\.(\w+)/g)].map(([, unit]) => unit as string),
      ),
    );
    expect([...used].sort()).toEqual(['Count', 'Milliseconds']);
    for (const unit of [...used, 'Count']) {
      expect(KEPT).toContain(unit);
      expect(Object.keys(MetricUnit)).toContain(unit);
    }
  });

  it('emits a kept unit, bundled, and refuses a dropped one that Powertools as installed accepts', async () => {
    const units = [MetricUnit.Count, MetricUnit.Milliseconds, MetricUnit.Seconds];
    const installed = JSON.parse(
      (await import('node:child_process')).execFileSync(
        process.execPath,
        ['--input-type=module', '-e', probe(units)],
        { encoding: 'utf8', cwd: repoRoot },
      ),
    ) as Record<string, unknown>;
    expect(installed).toEqual({
      Count: ['Count'],
      Milliseconds: ['Milliseconds'],
      Seconds: ['Seconds'],
    });

    const bundled = JSON.parse(await runBundled(probe(units))) as Record<string, unknown>;
    expect(bundled.Count).toEqual(['Count']);
    expect(bundled.Milliseconds).toEqual(['Milliseconds']);
    expect(bundled.Seconds).toBe(
      "RangeError: Invalid metric unit 'Seconds', expected either option: Count,Milliseconds",
    );
  });
});
