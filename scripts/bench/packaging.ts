// The size section and the bundles the other sections run: `serverless package` in a staging copy of the
// working tree (serverless-esbuild deletes its .esbuild work folder when it is done, which must not happen
// under an `npm start` or a test run in the checkout), each function's zip read back, its JavaScript
// measured and extracted as Lambda would see it, and a breakdown of what is in it from the esbuild metafile
// serverless-esbuild writes while it builds the function.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import JSZip from 'jszip';
import { run, tail } from './processes.js';

/** Not copied into the staging directory: dependencies (linked instead), VCS data and build outputs. */
const NOT_STAGED = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage', 'dist']);

export const stageWorkingTree = (tree: string, staging: string, repoRoot: string): void => {
  cpSync(tree, staging, {
    recursive: true,
    filter: (source) => !NOT_STAGED.has(path.basename(source)) || path.dirname(source) !== tree,
  });
  // The bench itself is always this checkout's, whichever tree it measures.
  if (path.resolve(tree) !== path.resolve(repoRoot)) {
    cpSync(path.join(repoRoot, 'scripts/bench'), path.join(staging, 'scripts/bench'), {
      recursive: true,
      force: true,
    });
    // Its kafkajs floor is bundled with deploy/esbuild.cjs (with the tree's own plugins), which older trees lack.
    const options = path.join(staging, 'deploy/esbuild.cjs');
    if (!existsSync(options)) cpSync(path.join(repoRoot, 'deploy/esbuild.cjs'), options);
  }
  const dependencies = existsSync(path.join(tree, 'node_modules')) ? tree : repoRoot;
  symlinkSync(path.join(dependencies, 'node_modules'), path.join(staging, 'node_modules'), 'dir');
};

export interface FunctionState {
  name: string;
  handler: string;
  environment?: Record<string, string>;
  package?: { artifact?: string };
}

export interface ServerlessState {
  service: {
    provider: { environment?: Record<string, string>; timeout?: number };
    functions: Record<string, FunctionState>;
    custom?: { esbuild?: Record<string, unknown> };
  };
}

export interface PackagedFunction {
  key: string;
  /** The deployed function's name, e.g. order-events-publisher-dev-orderCreated. */
  name: string;
  zipPath: string;
  zipBytes: number;
  /** Every entry of the zip, with its uncompressed size. */
  entries: { name: string; size: number }[];
  /** The JavaScript in the zip (source maps not counted). */
  javascriptBytes: number;
  sourceMapBytes: number;
  /** The extracted handler file, as Lambda would load it from /var/task. */
  bundlePath: string;
  /** The function's environment as deployed (provider's, then the function's own). */
  environment: Record<string, string>;
  timeoutMs: number;
}

export interface PackageResult {
  seconds: number;
  functions: PackagedFunction[];
  state: ServerlessState;
}

const JAVASCRIPT = /\.(c|m)?js$/;

export const packageFunctions = async (staging: string): Promise<PackageResult> => {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    // serverless.yml: an esbuild metafile per function, for breakdown() below.
    BUNDLE_METAFILE: 'true',
  };
  delete env.NODE_OPTIONS;
  delete env.ESBUILD_WORK_FOLDER; // breakdown() reads the metafiles from the default folder
  const result = await run(
    process.execPath,
    [path.join(staging, 'node_modules/serverless/bin/serverless.js'), 'package'],
    {
      cwd: staging,
      env,
      timeoutMs: 120_000,
    },
  );
  if (result.code !== 0)
    throw new Error(
      `serverless package failed (exit ${result.code}):\n${tail(result.stdout + result.stderr)}`,
    );
  const seconds = (Date.now() - started) / 1000;

  const state = JSON.parse(
    readFileSync(path.join(staging, '.serverless/serverless-state.json'), 'utf8'),
  ) as ServerlessState;
  const functions = await Promise.all(
    Object.entries(state.service.functions).map(async ([key, fn]): Promise<PackagedFunction> => {
      const zipPath = path.join(staging, fn.package?.artifact ?? `.serverless/${key}.zip`);
      const zipBytes = readFileSync(zipPath);
      const zip = await JSZip.loadAsync(zipBytes);
      const files = await Promise.all(
        Object.values(zip.files)
          .filter((file) => !file.dir)
          .map(async (file) => ({ name: file.name, data: await file.async('nodebuffer') })),
      );
      const entries = files.map(({ name, data }) => ({ name, size: data.length }));
      const handlerModule = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
      const entry = entries.find(
        (candidate) =>
          JAVASCRIPT.test(candidate.name) &&
          candidate.name.replace(JAVASCRIPT, '') === handlerModule,
      );
      if (!entry)
        throw new Error(
          `${zipPath} holds no JavaScript for ${fn.handler}: ${entries.map((e) => e.name).join(', ')}`,
        );
      const target = path.join(staging, 'bundles', key);
      for (const { name, data } of files) {
        const file = path.join(target, name);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, data);
      }
      return {
        key,
        name: fn.name,
        zipPath,
        zipBytes: zipBytes.length,
        entries,
        javascriptBytes: entries
          .filter((e) => JAVASCRIPT.test(e.name))
          .reduce((total, e) => total + e.size, 0),
        sourceMapBytes: entries
          .filter((e) => e.name.endsWith('.map'))
          .reduce((total, e) => total + e.size, 0),
        bundlePath: path.join(target, entry.name),
        environment: { ...(state.service.provider.environment ?? {}), ...(fn.environment ?? {}) },
        timeoutMs: (state.service.provider.timeout ?? 6) * 1000,
      };
    }),
  );
  return { seconds, functions, state };
};

export interface Breakdown {
  /** Whether the metafile's output has exactly the packaged size (it should: it describes that very build). */
  matchesPackage: boolean;
  outputBytes: number;
  /** Output bytes per source: an npm package, or this project's own files. */
  byOrigin: { origin: string; bytes: number }[];
  /** This project's files in the bundle. */
  projectFiles: string[];
}

/** Where a function's bytes come from: the esbuild metafile serverless-esbuild wrote while packaging it. */
export const breakdown = (
  staging: string,
  state: ServerlessState,
  fn: PackagedFunction,
): Breakdown => {
  const handler = state.service.functions[fn.key]?.handler;
  if (!handler) throw new Error(`serverless.yml has no handler for ${fn.key}`);
  // serverless-esbuild names it after the entry file: handlers/order-created.ts -> handlers/order-created-meta.json.
  const metafilePath = path.join(
    staging,
    '.esbuild/.build',
    `${handler.slice(0, handler.lastIndexOf('.'))}-meta.json`,
  );
  if (!existsSync(metafilePath))
    throw new Error(`serverless-esbuild wrote no metafile at ${metafilePath}`);
  const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile;
  const [, output] = Object.entries(metafile.outputs).find(([file]) => JAVASCRIPT.test(file)) ?? [];
  if (!output) throw new Error(`the metafile of ${fn.key} names no JavaScript output`);
  const byOrigin = new Map<string, number>();
  const projectFiles: string[] = [];
  for (const [file, input] of Object.entries(output.inputs)) {
    const origin =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
      (file.startsWith('<') ? 'esbuild runtime' : 'this project');
    if (origin === 'this project') projectFiles.push(file);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + input.bytesInOutput);
  }
  return {
    matchesPackage: output.bytes === fn.javascriptBytes,
    outputBytes: output.bytes,
    byOrigin: [...byOrigin]
      .map(([origin, bytes]) => ({ origin, bytes }))
      .sort((a, b) => b.bytes - a.bytes),
    projectFiles: projectFiles.sort(),
  };
};
