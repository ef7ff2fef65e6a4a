// deploy/esbuild-powertools-idempotency.cjs: the JMESPath subset bundled in place of
// @aws-lambda-powertools/jmespath answers exactly as the library does for the expressions lib/idempotency.ts
// configures, and the local cache it leaves out is not enabled there.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { search as librarySearch } from '@aws-lambda-powertools/jmespath';
import { PowertoolsFunctions as LibraryFunctions } from '@aws-lambda-powertools/jmespath/functions';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PowertoolsFunctions, search } from '../../deploy/shims/jmespath-subset.js';
import { repoRoot } from '../e2e/support/service.js';
import { runBundled } from './support/bundle.js';

const idempotencySource = readFileSync(path.join(repoRoot, 'lib/idempotency.ts'), 'utf8');

/** The JMESPath expressions lib/idempotency.ts hands Powertools. */
const configuredExpressions = [
  ...idempotencySource.matchAll(/(?:eventKeyJmesPath|payloadValidationJmesPath):\s*'([^']*)'/g),
].map(([, expression]) => expression as string);

const options = { customFunctions: new LibraryFunctions() };

describe('the JMESPath subset', () => {
  it('finds both expressions in lib/idempotency.ts', () => {
    expect(configuredExpressions).toHaveLength(2);
  });

  it.each(configuredExpressions)('evaluates %s as the library does', (expression) => {
    const samples: unknown[] = [
      { caller: 'client-a', key: 'k-1', request: { orderId: 'o-1', items: [1, 2] } },
      { caller: 'client-a', request: null },
      { key: 'k-2' },
      {},
      null,
      undefined,
      [],
      ['caller', 'key'],
      'a string',
      42,
      { caller: undefined, key: 0, request: false },
    ];
    for (const data of samples)
      expect(search(expression, data)).toEqual(librarySearch(expression, data as never, options));
    fc.assert(
      fc.property(fc.anything(), fc.dictionary(fc.string(), fc.jsonValue()), (value, extra) => {
        const data = { ...extra, caller: value, key: value, request: value };
        expect(search(expression, data)).toEqual(librarySearch(expression, data, options));
        expect(search(expression, value)).toEqual(
          librarySearch(expression, value as never, options),
        );
      }),
    );
  });

  it('evaluates the forms it supports as the library does, spaces included', () => {
    const data = { a: 1, b_2: { c: 3 }, _x: [4] };
    for (const expression of ['a', ' b_2 ', '_x', 'missing', '[a, b_2]', '[ _x ,a ]', '[a]'])
      expect(search(expression, data)).toEqual(librarySearch(expression, data, options));
  });

  it('refuses every other expression, naming it', () => {
    for (const expression of [
      'a.b',
      '[0]',
      '[]',
      '[*]',
      'a[0]',
      '"a"',
      'to_string(a)',
      '[a, b.c]',
      '{a: a}',
    ])
      expect(() => search(expression, { a: 1 })).toThrow(
        `The JMESPath expression ${JSON.stringify(expression)} is not supported`,
      );
  });

  it("lets a bundled IdempotencyConfig make its default functions: the shim's, not the library's", async () => {
    // IdempotencyConfig constructs a PowertoolsFunctions when given none: the shim must export one.
    const probe = `
      import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
      const config = new IdempotencyConfig({ eventKeyJmesPath: ${JSON.stringify(configuredExpressions[0])} });
      const functions = config.jmesPathOptions.customFunctions;
      console.log(JSON.stringify(Object.getOwnPropertyNames(Object.getPrototypeOf(functions))));
    `;
    expect(JSON.parse(await runBundled(probe))).toEqual(
      Object.getOwnPropertyNames(PowertoolsFunctions.prototype),
    );
    // The library's functions (what an unbundled config makes) have methods of their own.
    expect(Object.getOwnPropertyNames(LibraryFunctions.prototype).length).toBeGreaterThan(1);
  });
});

describe('the local cache left out', () => {
  it('is not enabled by lib/idempotency.ts', () => {
    expect(idempotencySource).not.toMatch(/useLocalCache/);
  });
});
