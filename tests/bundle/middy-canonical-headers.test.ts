// deploy/esbuild-middy-canonical-headers.cjs: @middy/http-header-normalizer without its table of canonical
// spellings, which only its canonical mode reads; that mode throws instead.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../e2e/support/service.js';
import { libSources, runBundled } from './support/bundle.js';

/** A probe that normalizes the same headers in the default and in the canonical mode, and prints both. */
const PROBE = `
  import middy from '@middy/core';
  import httpHeaderNormalizer from '@middy/http-header-normalizer';
  const normalized = async (options) => {
    const handler = middy()
      .use(httpHeaderNormalizer(options))
      .handler(async (event) => event.headers);
    try {
      return await handler({ headers: { 'Content-Type': 'application/json', ETAG: 'x' } }, {});
    } catch (error) {
      return error.message;
    }
  };
  (async () => {
    console.log(JSON.stringify({ lowerCase: await normalized(), canonical: await normalized({ canonical: true }) }));
  })();
`;

describe("middy's header normalizer, without its canonical spellings", () => {
  it('is used by lib/ in its default mode only', () => {
    const calls = libSources().flatMap((source) =>
      [...source.matchAll(/httpHeaderNormalizer\(([^)]*)\)/g)].map(([, options]) => options),
    );
    expect(calls).toEqual(['']);
  });

  it('lower-cases header names, bundled, and refuses the canonical mode that Middy as installed runs', async () => {
    const installed = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], {
        encoding: 'utf8',
        cwd: repoRoot,
      }),
    ) as Record<string, unknown>;
    expect(installed).toEqual({
      lowerCase: { 'content-type': 'application/json', etag: 'x' },
      canonical: { 'Content-Type': 'application/json', ETag: 'x' },
    });

    const bundled = JSON.parse(await runBundled(PROBE)) as Record<string, unknown>;
    expect(bundled.lowerCase).toEqual(installed.lowerCase);
    expect(bundled.canonical).toEqual(
      expect.stringMatching(/@middy\/http-header-normalizer canonical mode is not bundled/),
    );
  });
});
