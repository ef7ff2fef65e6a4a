// Bundling as `serverless package` does, for the tests of deploy/'s esbuild plugins: deploy/esbuild.cjs's
// options with deploy/esbuild-plugins.cjs, and a probe script bundled that way and run with node.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from '@jest/globals';
import { type BuildOptions, build } from 'esbuild';
import { repoRoot } from '../../e2e/support/service.js';

const { buildOptions } = createRequire(import.meta.url)(
  path.join(repoRoot, 'deploy/esbuild.cjs'),
) as { buildOptions: () => BuildOptions };

/** The functions' bundling (deploy/esbuild.cjs, which serverless.yml's custom.esbuild is). */
export const bundleOptions: BuildOptions = {
  ...buildOptions(),
  absWorkingDir: repoRoot,
  write: false,
  logLevel: 'silent',
};

const outDir = mkdtempSync(path.join(tmpdir(), 'bundle-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** The JavaScript of a handler file, bundled as it is packaged. */
export const bundleHandler = async (handler: string): Promise<string> => {
  const result = await build({
    ...bundleOptions,
    entryPoints: [path.join(repoRoot, handler)],
    outdir: outDir,
  });
  const output = result.outputFiles?.find((file) => file.path.endsWith('.js'));
  if (!output) throw new Error(`esbuild wrote no JavaScript for ${handler}`);
  return output.text;
};

/** Bundles a CommonJS probe script as the functions are bundled, runs it with node and returns its stdout. */
export const runBundled = async (script: string, env?: NodeJS.ProcessEnv): Promise<string> => {
  const result = await build({
    ...bundleOptions,
    stdin: { contents: script, resolveDir: repoRoot, sourcefile: 'probe.cjs', loader: 'js' },
    outfile: path.join(outDir, 'probe.cjs'),
  });
  const output = result.outputFiles?.find((file) => file.path.endsWith('.cjs'));
  if (!output) throw new Error('esbuild wrote no JavaScript for the probe');
  const file = path.join(outDir, `probe-${Date.now()}-${Math.random()}.cjs`);
  writeFileSync(file, output.contents);
  // Bounded: a probe that never ends would block this process, jest's own timeout included.
  return execFileSync(process.execPath, [file], {
    encoding: 'utf8',
    timeout: 60_000,
    ...(env ? { env } : {}),
  });
};

/** The text of every TypeScript file under lib/: what the functions' own code uses of a library. */
export const libSources = (dir = path.join(repoRoot, 'lib')): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? libSources(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [readFileSync(path.join(dir, entry.name), 'utf8')]
        : [],
  );
