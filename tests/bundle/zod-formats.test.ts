// deploy/esbuild-zod-formats.cjs: zod's English messages keep the names of the string formats lib/ uses, and
// only those.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { repoRoot } from '../e2e/support/service.js';
import { libSources, runBundled } from './support/bundle.js';

const { KEPT } = createRequire(import.meta.url)(
  path.join(repoRoot, 'deploy/esbuild-zod-formats.cjs'),
) as { KEPT: string[] };

/** The keys of zod's own table of format names. */
const zodFormats = (): string[] => {
  const source = readFileSync(
    createRequire(import.meta.url)
      .resolve('zod/v4/locales/en.js')
      .replace(/\.cjs$/, '.js'),
    'utf8',
  );
  const table = source.slice(
    source.indexOf('const FormatDictionary = {'),
    source.indexOf('\n    };', source.indexOf('const FormatDictionary = {')),
  );
  return [...table.matchAll(/^\s+(\w+):/gm)].map(([, key]) => key as string);
};

/** zod's functions whose issues name another format than their own name (the rest name their own). */
const FORMAT_OF: Record<string, string> = {
  creditCard: 'credit_card',
  currencyCode: 'currency_code',
  httpUrl: 'url',
  uuidv4: 'uuid',
  uuidv6: 'uuid',
  uuidv7: 'uuid',
  templateLiteral: 'template_literal',
};

/** What each probe prints: the first issue's message for a value that fails the format. */
const PROBES = {
  uuid: "z.uuid().safeParse('not-a-uuid')",
  datetime: "z.iso.datetime().safeParse('yesterday')",
  regex: "z.string().check(z.regex(/^[A-Z]{3}$/)).safeParse('eur')",
  email: "z.email().safeParse('nobody')",
};

describe("zod's names of string formats, trimmed", () => {
  it('keeps every format a schema in lib/ uses', () => {
    const formats = new Set(zodFormats());
    expect(formats.size).toBeGreaterThan(30);
    const used = new Set(
      libSources().flatMap((source) =>
        [...source.matchAll(/\bz\.(iso\.)?(\w+)\(/g)]
          // z.date() is a Date, not the ISO date format z.iso.date() checks.
          .filter(([, iso, name]) => iso !== undefined || name !== 'date')
          .map(([, , name]) => FORMAT_OF[name as string] ?? (name as string))
          .filter((format) => formats.has(format)),
      ),
    );
    expect([...used].sort()).toEqual(['datetime', 'regex', 'uuid']);
    for (const format of used) expect(KEPT).toContain(format);
  });

  it("gives a kept format zod's own message, bundled, and still names a dropped one", async () => {
    z.config(en());
    const expected = Object.fromEntries(
      Object.entries(PROBES).map(([name, probe]) => [
        name,
        // The same expressions, run here on zod as installed.
        (new Function('z', `return ${probe}`)(z) as { error?: { issues: { message: string }[] } })
          .error?.issues[0]?.message,
      ]),
    );
    const printed = await runBundled(`
      import * as z from 'zod/mini';
      import en from 'zod/v4/locales/en.js';
      z.config(en());
      const messages = {
        ${Object.entries(PROBES)
          .map(([name, probe]) => `${name}: ${probe}.error.issues[0].message`)
          .join(',\n')}
      };
      console.log(JSON.stringify(messages));
    `);
    const bundled = JSON.parse(printed.trim()) as Record<string, string>;
    for (const format of ['uuid', 'datetime', 'regex']) {
      expect(bundled[format]).toBe(expected[format]);
      expect(bundled[format]).toMatch(/^Invalid /);
    }
    expect(expected.email).toBe('Invalid email address');
    expect(bundled.email).toBe('Invalid email');
  });
});
