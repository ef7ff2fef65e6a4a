// deploy/esbuild-powertools-log-buffer.cjs: Powertools Logger's log buffering is left out of the bundles, and
// the Logger the functions make (lib/observability.ts) never asks for it.
import { describe, expect, it } from '@jest/globals';
import { loggerOptions } from '../../lib/observability.js';
import { runBundled } from './support/bundle.js';

describe('Powertools Logger without its log buffering', () => {
  it('is made by lib/observability.ts without logBufferOptions, at every level', () => {
    for (const level of ['DEBUG', 'INFO', 'ERROR'] as const)
      expect(loggerOptions(level)).not.toHaveProperty('logBufferOptions');
  });

  it('logs as the functions log, and fails by name when buffering is asked for', async () => {
    // Imported as lib/observability.ts imports it (its ES module build, the one the plugin replaces in).
    const printed = await runBundled(`
      import { Logger } from '@aws-lambda-powertools/logger';
      const logger = new Logger({ serviceName: 'probe', logLevel: 'INFO' });
      logger.info('a line', { n: 1 });
      let refusal = null;
      try {
        new Logger({ serviceName: 'probe', logBufferOptions: { enabled: true } });
      } catch (error) {
        refusal = error.message;
      }
      console.log(JSON.stringify({ refusal }));
    `);
    const lines = printed.trim().split('\n');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'INFO',
      message: 'a line',
      service: 'probe',
      n: 1,
    });
    expect(JSON.parse(lines.at(-1) ?? '')).toEqual({
      refusal:
        'Powertools Logger log buffering is not bundled: lib/observability.ts sets no logBufferOptions',
    });
  });
});
