// deploy/esbuild-powertools-unused.cjs: Powertools Logger's log buffering and Parameters' transforms are left
// out of the bundles, and the functions' code never asks for either.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loggerOptions } from '../../lib/observability.js';
import { repoRoot } from '../e2e/support/service.js';
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

describe('Powertools Parameters without its transforms', () => {
  it('is asked for the SASL password by lib/producer/broker-security.ts without a transform', () => {
    const source = readFileSync(path.join(repoRoot, 'lib/producer/broker-security.ts'), 'utf8');
    expect(source).toContain('await secrets.get(secretId)');
    expect(source).not.toMatch(/transform/);
  });

  it('gets a value as the functions get it, and fails by name when a transform is asked for', async () => {
    // A provider whose store answers at once: no AWS call, only the base provider's own path.
    const printed = await runBundled(`
      import { BaseProvider } from '@aws-lambda-powertools/parameters/base';
      class Fixed extends BaseProvider {
        constructor() { super({ awsSdkV3Client: { send() {}, config: {}, middlewareStack: { identify: () => [], addRelativeTo() {} } } }); }
        async _get() { return '{"a":1}'; }
        async _getMultiple() { return {}; }
      }
      (async () => {
        const provider = new Fixed();
        const plain = await provider.get('name');
        const refusal = await provider.get('other', { transform: 'json' }).then(() => null, (error) => error.message);
        console.log(JSON.stringify({ plain, refusal }));
      })();
    `);
    expect(JSON.parse(printed.trim().split('\n').at(-1) ?? '')).toEqual({
      plain: '{"a":1}',
      refusal:
        'Powertools Parameters transforms is not bundled: lib/producer/broker-security.ts reads the secret without a transform',
    });
  });
});
