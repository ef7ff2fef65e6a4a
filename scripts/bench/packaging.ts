// The size section and the bundles the other sections run: `serverless package` in a staging copy of the
// working tree (serverless-esbuild deletes its .esbuild work folder when it is done, which must not happen
// under an `npm start` or a test run in the checkout), each function's zip read back, its JavaScript
// measured and extracted as Lambda would see it, and a breakdown of what is in it from an esbuild metafile.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { run, tail } from './processes.js';
import { openZip } from './zip.js';

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
  };
  delete env.NODE_OPTIONS;
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
  const functions = Object.entries(state.service.functions).map(([key, fn]): PackagedFunction => {
    const zipPath = path.join(staging, fn.package?.artifact ?? `.serverless/${key}.zip`);
    const zip = openZip(zipPath);
    const handlerModule = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    const entry = zip.entries.find(
      (candidate) =>
        JAVASCRIPT.test(candidate.name) && candidate.name.replace(JAVASCRIPT, '') === handlerModule,
    );
    if (!entry)
      throw new Error(
        `${zipPath} holds no JavaScript for ${fn.handler}: ${zip.entries.map((e) => e.name).join(', ')}`,
      );
    const target = path.join(staging, 'bundles', key);
    for (const { name } of zip.entries) {
      if (name.endsWith('/')) continue;
      const file = path.join(target, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, zip.read(name));
    }
    return {
      key,
      name: fn.name,
      zipPath,
      zipBytes: readFileSync(zipPath).length,
      entries: zip.entries.map(({ name, size }) => ({ name, size })),
      javascriptBytes: zip.entries
        .filter((e) => JAVASCRIPT.test(e.name))
        .reduce((total, e) => total + e.size, 0),
      sourceMapBytes: zip.entries
        .filter((e) => e.name.endsWith('.map'))
        .reduce((total, e) => total + e.size, 0),
      bundlePath: path.join(target, entry.name),
      environment: { ...(state.service.provider.environment ?? {}), ...(fn.environment ?? {}) },
      timeoutMs: (state.service.provider.timeout ?? 6) * 1000,
    };
  });
  return { seconds, functions, state };
};

export interface Breakdown {
  /** Whether the rebuild's JavaScript has exactly the packaged size (then the breakdown is exact). */
  matchesPackage: boolean;
  rebuiltBytes: number;
  /** Output bytes per source: an npm package, or this project's own files. */
  byOrigin: { origin: string; bytes: number }[];
  /** This project's files in the bundle. */
  projectFiles: string[];
}

/** Options of serverless-esbuild that are its own, not esbuild's (see serverless-esbuild's bundle.ts). */
const PLUGIN_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
  'plugins',
];

/** serverless-esbuild's `plugins`: an array, or a file (relative to the service) exporting one, or a function of serverless. */
const loadPlugins = (staging: string, option: unknown): Plugin[] | undefined => {
  if (option === undefined) return [];
  if (Array.isArray(option)) return option as Plugin[];
  if (typeof option !== 'string') return undefined;
  const file = path.join(staging, option);
  let plugins = createRequire(file)(file) as unknown;
  if (typeof plugins === 'object' && plugins !== null && 'default' in plugins)
    plugins = (plugins as { default: unknown }).default;
  return Array.isArray(plugins) ? (plugins as Plugin[]) : undefined;
};

/** Rebuilds one function with serverless.yml's esbuild options plus a metafile, to say where its bytes come from. */
export const breakdown = async (
  staging: string,
  state: ServerlessState,
  fn: PackagedFunction,
): Promise<Breakdown> => {
  const custom = { ...(state.service.custom?.esbuild ?? {}) };
  // A `config` file replaces all the options, and a plugins function wants serverless itself: then the
  // rebuild is only an approximation (and says so, its size differing from the package's).
  const plugins = loadPlugins(staging, custom.plugins) ?? [];
  const outputFileExtension =
    typeof custom.outputFileExtension === 'string' ? custom.outputFileExtension : '.js';
  const exclude = Array.isArray(custom.exclude) ? (custom.exclude as string[]) : [];
  const external = [
    ...(Array.isArray(custom.external) ? (custom.external as string[]) : []),
    ...exclude.filter((name) => name !== '*'),
  ];
  for (const option of PLUGIN_OPTIONS) delete custom[option];
  const handler = state.service.functions[fn.key]?.handler;
  if (!handler) throw new Error(`serverless.yml has no handler for ${fn.key}`);
  const handlerModule = handler.replace(/\.[^.]+$/, '');
  const source = ['.ts', '.mts', '.js', '.mjs', '.cjs']
    .map((extension) => path.join(staging, handlerModule + extension))
    .find(existsSync);
  if (!source) throw new Error(`no source file for ${handlerModule}`);
  const options: BuildOptions = {
    ...(custom as BuildOptions),
    absWorkingDir: staging,
    entryPoints: [source],
    outdir: path.join(staging, '.bench-rebuild', fn.key),
    outbase: staging,
    outExtension: { '.js': outputFileExtension },
    external,
    plugins,
    metafile: true,
    write: false,
    logLevel: 'silent',
  };
  const result = await build(options);
  const metafile = result.metafile as Metafile;
  const [, output] = Object.entries(metafile.outputs).find(([file]) => JAVASCRIPT.test(file)) ?? [];
  if (!output) throw new Error(`the rebuild of ${fn.key} produced no JavaScript`);
  const byOrigin = new Map<string, number>();
  const projectFiles: string[] = [];
  for (const [file, input] of Object.entries(output.inputs)) {
    const origin =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
      (file.startsWith('<') ? 'esbuild runtime' : 'this project');
    if (origin === 'this project') projectFiles.push(file);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + input.bytesInOutput);
  }
  const rebuiltBytes =
    result.outputFiles
      ?.filter((file) => JAVASCRIPT.test(file.path))
      .reduce((total, file) => total + file.contents.length, 0) ?? 0;
  return {
    matchesPackage: rebuiltBytes === fn.javascriptBytes,
    rebuiltBytes,
    byOrigin: [...byOrigin]
      .map(([origin, bytes]) => ({ origin, bytes }))
      .sort((a, b) => b.bytes - a.bytes),
    projectFiles: projectFiles.sort(),
  };
};
