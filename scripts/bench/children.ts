// The raw/warm/naive worker and the cold-start children: compiled from the staging copy with esbuild to
// plain JavaScript (so that no TypeScript loader runs inside anything that is timed) and run with plain node.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { REHEARSALS } from '../../lib/rehearsal.js';
import { RECEIPT_MARKER } from './cold-invoke-marker.js';
import type { LoopWorkerOptions, LoopWorkerResult } from './loop-worker.js';
import { onCleanup, run, stopChild, tail } from './processes.js';

export interface ChildScripts {
  loopWorker: string;
  coldInvoke: string;
  /** kafkajs alone, bundled like the functions: the cold section's floor. */
  coldKafkajsFloor: string;
  /** The minimal validating handler, bundled like the functions: what every publishing function must load and run. */
  coldMinimalHandler: string;
}

export const compileChildren = async (staging: string): Promise<ChildScripts> => {
  const source = path.join(staging, 'scripts/bench');
  const out = path.join(staging, '.bench-children');
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node24',
    absWorkingDir: staging,
    logLevel: 'warning',
    sourcemap: 'inline',
  } as const;
  const loopWorker = path.join(out, 'loop-worker.cjs');
  const coldInvoke = path.join(out, 'cold-invoke.cjs');
  const { buildOptions } = createRequire(import.meta.url)(
    path.join(staging, 'deploy/esbuild.cjs'),
  ) as { buildOptions: () => BuildOptions };
  // Bundled as the functions are (deploy/esbuild.cjs: minified, CommonJS, deploy/esbuild-plugins.cjs), so that
  // the floors' kafkajs and zod (raw, raw with the log line and metrics, the minimal handler, naive) are the
  // functions' own: a change to how they are bundled moves the floor as it moves the functions.
  await build({
    ...common,
    ...buildOptions(),
    entryPoints: [path.join(source, 'loop-worker.ts')],
    outfile: loopWorker,
  });
  // The cold child holds nothing but itself: whatever it loads, it loads for the handler.
  await build({
    ...common,
    entryPoints: [path.join(source, 'cold-invoke.ts')],
    format: 'cjs',
    sourcemap: false,
    outfile: coldInvoke,
  });
  // Bundled as the functions are, too.
  const coldKafkajsFloor = path.join(out, 'cold-kafkajs-floor.cjs');
  const coldMinimalHandler = path.join(out, 'cold-minimal-handler.cjs');
  for (const [entry, outfile] of [
    ['cold-kafkajs-floor.ts', coldKafkajsFloor],
    ['cold-minimal-handler.ts', coldMinimalHandler],
  ] as const)
    await build({
      ...common,
      ...buildOptions(),
      entryPoints: [path.join(source, entry)],
      sourcemap: false,
      outfile,
    });
  return { loopWorker, coldInvoke, coldKafkajsFloor, coldMinimalHandler };
};

export const runLoopWorker = async (
  script: string,
  env: NodeJS.ProcessEnv,
  options: Omit<LoopWorkerOptions, 'resultFile'>,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<LoopWorkerResult> => {
  const resultFile = path.join(path.dirname(script), `loop-result-${Date.now()}.json`);
  // The handlers' logs and metrics (stdout, as on Lambda) are drained and dropped; the result comes in a file.
  const result = await run(process.execPath, [script, JSON.stringify({ ...options, resultFile })], {
    env,
    timeoutMs,
    keepBytes: 64 * 1024,
  });
  for (const line of result.stderr.trimEnd().split('\n'))
    if (line.startsWith('[loop-worker]')) progress(line);
  if (result.code !== 0)
    throw new Error(
      `the loop worker failed (exit ${result.code}, signal ${result.signal}):\n${tail(result.stderr)}\n${tail(result.stdout, 10)}`,
    );
  return JSON.parse(readFileSync(resultFile, 'utf8')) as LoopWorkerResult;
};

export interface ColdSample {
  /** Spawn to the receipt line on our end of the child's stdout. */
  receiptMs: number;
  /** Spawn to the child's exit (it exits right after writing the receipt). */
  exitMs: number;
  /** Inside the child: require() of the bundle, then the invocation. */
  loadMs: number;
  invokeMs: number;
  /** CPU time of the child (all threads) in those two phases. */
  loadCpuMs: number;
  invokeCpuMs: number;
}

export interface ColdResult {
  bareMs: number[];
  /** Spawn to the marker line of the kafkajs floor (cold-kafkajs-floor.ts). */
  kafkajsFloorMs: number[];
  /** Spawn to the marker line of the minimal validating handler (cold-minimal-handler.ts). */
  minimalHandlerMs: number[];
  /**
   * The kafkajs floor as a container initialised for provisioned concurrency: connected (the partitions' leaders
   * too), the topic's metadata fetched and the record sent ahead to a broker inside the process, as a container's
   * rehearsal sends it, its first send timed inside it (the floor of the provisioned path's first request).
   */
  kafkajsProvisionedSendMs: number[];
  /** The same producer's PROVISIONED_FLOOR_SENDS-th send, after the others one after another. */
  kafkajsProvisionedLastSendMs: number[];
  /** Per bundle label. */
  cold: Record<string, ColdSample[]>;
  /**
   * Per bundle label, the bundle as a container initialised for provisioned concurrency: it connects while it
   * loads, and its first request comes PROVISIONED_FIRST_REQUEST_AFTER_MS later.
   */
  provisioned: Record<string, ColdSample[]>;
}

/** How long after its initialisation a provisioned container gets its first request, in the bench. */
export const PROVISIONED_FIRST_REQUEST_AFTER_MS = 500;

/** How many records the kafkajs floor, initialised ahead, sends one after another; the first and last are timed. */
export const PROVISIONED_FLOOR_SENDS = 10;

interface Timed {
  exitMs: number;
  firstLineMs: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Whether text holds a whole line (newline-terminated) that starts with prefix. */
const hasCompleteLine = (text: string, prefix: string): boolean =>
  // Every piece but the last ended with a newline.
  text
    .split('\n')
    .slice(0, -1)
    .some((line) => line.startsWith(prefix));

const timedSpawn = (
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Timed> =>
  new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - start) / 1e6;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const unregister = onCleanup(() => stopChild(child, { graceMs: 1_000 }));
    let firstLineMs = Number.NaN;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (Number.isNaN(firstLineMs) && hasCompleteLine(stdout, RECEIPT_MARKER))
        firstLineMs = since();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      void stopChild(child, { graceMs: 1_000 });
      reject(
        new Error(`node ${args.join(' ')} did not exit within ${timeoutMs} ms\n${tail(stderr)}`),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      unregister();
      reject(error);
    });
    child.once('exit', (code) => {
      const exitMs = since();
      clearTimeout(timer);
      unregister();
      // stdout may still be draining into the pipe when 'exit' fires; 'close' has all of it.
      child.once('close', () =>
        resolve({
          exitMs,
          firstLineMs: Number.isNaN(firstLineMs) ? exitMs : firstLineMs,
          stdout,
          stderr,
          code,
        }),
      );
    });
  });

/** The JSON of a child's line that starts with RECEIPT_MARKER (its other lines are the handler's logs). */
const markedLine = <T>(stdout: string): T | undefined => {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RECEIPT_MARKER));
  return line === undefined ? undefined : (JSON.parse(line.slice(RECEIPT_MARKER.length)) as T);
};

/**
 * The bundles in round `round`'s order: each takes each place in turn, so that with --compare no tree always
 * starts right after the same process. (It evens out the order, not the noise: an identical copy compared with
 * this tree still comes out up to 5 % apart in cold.)
 */
const inTurn = <T>(bundles: readonly T[], round: number): T[] => {
  const shift = ((round % bundles.length) + bundles.length) % bundles.length;
  return [...bundles.slice(shift), ...bundles.slice(0, shift)];
};

interface ColdReceipt extends Partial<ColdSample> {
  status?: number;
  receipt?: string;
  idleCpuMs?: number;
  afterPauseMs?: number[];
}

/** One cold child (cold-invoke.ts) on a bundle: its timings and its receipt, which must be a 202. */
const invokeCold = async (
  coldInvoke: string,
  { label, path: bundle }: { label: string; path: string },
  functionName: string,
  order: number,
  env: NodeJS.ProcessEnv,
): Promise<{ child: Timed; receipt: ColdReceipt }> => {
  const child = await timedSpawn([coldInvoke, bundle, functionName, String(order)], env, 30_000);
  if (child.code !== 0)
    throw new Error(
      `the cold invocation of ${label} exited with ${child.code}:\n${tail(child.stderr)}`,
    );
  const receipt = markedLine<ColdReceipt>(child.stdout);
  if (!receipt)
    throw new Error(
      `the cold invocation of ${label} printed no receipt:\n${tail(child.stdout + child.stderr)}`,
    );
  if (receipt.status !== 202)
    throw new Error(
      `the cold invocation of ${label} answered ${receipt.status}: ${receipt.receipt}`,
    );
  return { child, receipt };
};

/**
 * Alternates a bare `node -e 0`, the kafkajs floor, the minimal validating handler and a cold invocation of
 * each bundle, in the same environment, `count` times after one discarded round (which fills the page cache). Each child is started by
 * us and timed from spawn.
 */
export const measureCold = async (
  scripts: Pick<ChildScripts, 'coldInvoke' | 'coldKafkajsFloor' | 'coldMinimalHandler'>,
  bundles: readonly { label: string; path: string }[],
  functionName: string,
  env: NodeJS.ProcessEnv,
  count: number,
): Promise<ColdResult> => {
  const result: ColdResult = {
    bareMs: [],
    kafkajsFloorMs: [],
    minimalHandlerMs: [],
    kafkajsProvisionedSendMs: [],
    kafkajsProvisionedLastSendMs: [],
    cold: Object.fromEntries(bundles.map(({ label }) => [label, []])),
    provisioned: Object.fromEntries(bundles.map(({ label }) => [label, []])),
  };
  const provisionedEnv = {
    ...env,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
    BENCH_FIRST_REQUEST_AFTER_MS: String(PROVISIONED_FIRST_REQUEST_AFTER_MS),
  };
  for (let i = -1; i < count; i++) {
    const bare = await timedSpawn(['-e', '0'], env, 10_000);
    if (bare.code !== 0)
      throw new Error(`node -e 0 exited with ${bare.code}: ${tail(bare.stderr)}`);
    if (i >= 0) result.bareMs.push(bare.exitMs);
    const floor = await timedSpawn([scripts.coldKafkajsFloor], env, 30_000);
    const floorAck = markedLine<{ acked?: boolean }>(floor.stdout);
    if (floor.code !== 0 || !floorAck?.acked)
      throw new Error(
        `the kafkajs floor exited with ${floor.code} without an acknowledged record:\n${tail(floor.stdout + floor.stderr)}`,
      );
    const provisionedFloor = await timedSpawn(
      [scripts.coldKafkajsFloor],
      {
        ...provisionedEnv,
        BENCH_FLOOR_SENDS: String(PROVISIONED_FLOOR_SENDS),
        // The record sent to the memory broker as often as a container initialised ahead rehearses its route.
        BENCH_FLOOR_REHEARSALS: String(REHEARSALS),
      },
      30_000,
    );
    const provisionedAck = markedLine<{ acked?: boolean; sendMs?: number; lastSendMs?: number }>(
      provisionedFloor.stdout,
    );
    if (
      provisionedFloor.code !== 0 ||
      !provisionedAck?.acked ||
      provisionedAck.sendMs === undefined ||
      provisionedAck.lastSendMs === undefined
    )
      throw new Error(
        `the kafkajs floor, initialised ahead, exited with ${provisionedFloor.code} without an acknowledged record:\n${tail(provisionedFloor.stdout + provisionedFloor.stderr)}`,
      );
    const minimal = await timedSpawn([scripts.coldMinimalHandler, String(i + 1)], env, 30_000);
    if (minimal.code !== 0 || !markedLine<{ acked?: boolean }>(minimal.stdout)?.acked)
      throw new Error(
        `the minimal handler exited with ${minimal.code} without an acknowledged record:\n${tail(minimal.stdout + minimal.stderr)}`,
      );
    if (i >= 0) {
      result.kafkajsFloorMs.push(floor.firstLineMs);
      result.minimalHandlerMs.push(minimal.firstLineMs);
      result.kafkajsProvisionedSendMs.push(provisionedAck.sendMs);
      result.kafkajsProvisionedLastSendMs.push(provisionedAck.lastSendMs);
    }
    const inOrder = inTurn(bundles, i);
    const runs = [
      ...inOrder.map(({ label, path: bundle }) => ({
        label,
        bundle,
        env,
        into: result.cold,
      })),
      ...inOrder.map(({ label, path: bundle }) => ({
        label,
        bundle,
        env: provisionedEnv,
        into: result.provisioned,
      })),
    ];
    for (const { label, bundle, env: runEnv, into } of runs) {
      const { child: cold, receipt } = await invokeCold(
        scripts.coldInvoke,
        { label: runEnv === env ? label : `${label} (provisioned)`, path: bundle },
        functionName,
        i + 1,
        runEnv,
      );
      if (i >= 0) {
        into[label] ??= [];
        into[label].push({
          receiptMs: cold.firstLineMs,
          exitMs: cold.exitMs,
          loadMs: receipt.loadMs ?? Number.NaN,
          invokeMs: receipt.invokeMs ?? Number.NaN,
          loadCpuMs: receipt.loadCpuMs ?? Number.NaN,
          invokeCpuMs: receipt.invokeCpuMs ?? Number.NaN,
        });
      }
    }
  }
  return result;
};

/** How many requests warm a container before its requests after a pause are timed, and how many are. */
export const WARM_BEFORE_PAUSES = 1_000;
export const PAUSES_PER_CONTAINER = 4;

/**
 * The floor of the provisioned path, on the function itself: a container warmed by WARM_BEFORE_PAUSES requests
 * one after another (IS_OFFLINE: its producer kept open, as on Lambda), then PAUSES_PER_CONTAINER requests, each
 * PROVISIONED_FIRST_REQUEST_AFTER_MS after the one before, each timed; `count` containers.
 */
export const measureWarmAfterPauses = async (
  coldInvoke: string,
  bundle: { label: string; path: string },
  functionName: string,
  env: NodeJS.ProcessEnv,
  count: number,
): Promise<number[]> => {
  const pausingEnv = {
    ...env,
    IS_OFFLINE: 'true',
    BENCH_WARM_REQUESTS: String(WARM_BEFORE_PAUSES),
    BENCH_IDLE_CYCLES: String(PAUSES_PER_CONTAINER),
    BENCH_FIRST_REQUEST_AFTER_MS: String(PROVISIONED_FIRST_REQUEST_AFTER_MS),
  };
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const { receipt } = await invokeCold(coldInvoke, bundle, functionName, i + 1, pausingEnv);
    if (receipt.afterPauseMs?.length !== PAUSES_PER_CONTAINER)
      throw new Error(`the warm container of ${bundle.label} timed no request after a pause`);
    samples.push(...receipt.afterPauseMs);
  }
  return samples;
};

/** How long the idle children stay up after their answer, producer connected. */
export const IDLE_AFTER_MS = 1_000;

/**
 * CPU time per bundle of a container between invocations: a fresh process answers one invocation, then stays
 * up IDLE_AFTER_MS with its producer connected (IS_OFFLINE: kept open, as on Lambda) and reports the CPU time
 * it spent meanwhile. `count` children per bundle, alternating.
 */
export const measureIdle = async (
  coldInvoke: string,
  bundles: readonly { label: string; path: string }[],
  functionName: string,
  env: NodeJS.ProcessEnv,
  count: number,
): Promise<Record<string, number[]>> => {
  const idleEnv = { ...env, IS_OFFLINE: 'true', BENCH_IDLE_AFTER_MS: String(IDLE_AFTER_MS) };
  const result: Record<string, number[]> = Object.fromEntries(
    bundles.map(({ label }) => [label, []]),
  );
  for (let i = 0; i < count; i++) {
    for (const bundle of inTurn(bundles, i)) {
      const { receipt } = await invokeCold(coldInvoke, bundle, functionName, i + 1, idleEnv);
      if (receipt.idleCpuMs === undefined)
        throw new Error(`the idle child of ${bundle.label} reported no idle CPU time`);
      result[bundle.label]?.push(receipt.idleCpuMs);
    }
  }
  return result;
};
