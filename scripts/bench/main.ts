// `npm run bench`: one run, against the embedded broker, of every measurement in BENCHMARKS.md.
//
//   size     `serverless package` in a staging copy of the working tree; each function's packaged JavaScript
//   raw      a bare kafkajs producer sending the handler's records one at a time (the floor)
//   warm     the packaged order-created handler invoked directly with API Gateway v2 events, warm
//   naive    connect + send + disconnect per call
//   cold     a fresh node process: load the packaged bundle, one invocation, exit; beside `node -e 0`;
//            then the CPU time of such a process in the second after its answer, producer connected (idle);
//            then a container warmed by 1,000 requests, its requests each 500 ms after the one before
//   http     serverless-offline driven by autocannon at a few concurrency levels
//
// The last line of stdout is one JSON object with the headline numbers. Progress goes to stderr.
// Options:
//   --quick             fewer iterations (to try the bench itself; the numbers are rough)
//   --check             exit 2 when a target is missed (by default the exit status only says the run worked)
//   --skip=loops,cold,http   leave sections out
//   --rounds=N          raw/warm rounds (default 300 of 100 calls each)
//   --tree=DIR          bench another checkout instead of this one (node_modules from this one if it has none)
//   --broker-rtt=MS     add MS of latency to every response of the mock brokers (what-if: a real network;
//                       the targets are defined without it)
//   --compare=DIR[,DIR] also package these trees and run their bundles in the warm and cold sections, side by
//                       side with this one (same process, same rounds): before/after for a proposed change
// Ports: BENCH_HTTP_PORT (3400), BENCH_LAMBDA_PORT (3402), BENCH_BROKER_PORT (19400).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnEmbeddedBroker } from '../embedded-broker/spawn.js';
import { stopWhenOrphaned } from '../stop-child.js';
import {
  type ColdResult,
  compileChildren,
  IDLE_AFTER_MS,
  measureCold,
  measureIdle,
  measureWarmAfterPauses,
  PAUSES_PER_CONTAINER,
  PROVISIONED_FIRST_REQUEST_AFTER_MS,
  PROVISIONED_FLOOR_SENDS,
  runLoopWorker,
  WARM_BEFORE_PAUSES,
} from './children.js';
import { type HttpLevel, measureHttp, probe, startOffline } from './http.js';
import type { LoopWorkerResult } from './loop-worker.js';
import {
  breakdown,
  type PackagedFunction,
  type PackageResult,
  packageFunctions,
  stageWorkingTree,
} from './packaging.js';
import { cleanupAll, onCleanup, run, tail } from './processes.js';
import { kib, ms, round, type Summary, summarize, table } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const check = args.includes('--check');
const option = (name: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const skip = new Set((option('skip') ?? '').split(',').filter(Boolean));
const mainTree = path.resolve(option('tree') ?? repoRoot);
const compareTrees = (option('compare') ?? '')
  .split(',')
  .filter(Boolean)
  .map((dir) => path.resolve(dir));
const ports = {
  http: Number(process.env.BENCH_HTTP_PORT ?? 3400),
  lambda: Number(process.env.BENCH_LAMBDA_PORT ?? 3402),
  broker: Number(process.env.BENCH_BROKER_PORT ?? 19400),
};

const plan = quick
  ? {
      warmup: 200,
      rounds: 10,
      block: 50,
      naiveWarmup: 3,
      naive: 30,
      naiveReuse: 2,
      cold: 5,
      idle: 2,
      pausedContainers: 1,
      httpLevels: [1, 4],
      httpWarmup: 1,
      httpSeconds: 2,
    }
  : {
      warmup: 1_000,
      rounds: 300,
      block: 100,
      naiveWarmup: 5,
      naive: 300,
      naiveReuse: 6,
      cold: 31,
      idle: 5,
      pausedContainers: 8,
      httpLevels: [1, 4, 16],
      httpWarmup: 3,
      httpSeconds: 10,
    };
if (option('rounds')) plan.rounds = Number(option('rounds'));
const brokerRtt = Number(option('broker-rtt') ?? 0);
/** Calls per section of the loop worker: raw, raw+observability, minimal, and one warm section per packaged tree. */
const loopCalls = plan.warmup + plan.rounds * plan.block;
const loopSections = 4 + compareTrees.length;
/** What --broker-rtt adds to a section: every call waits that much longer (twice it, to be safe). */
const rttAllowanceMs = brokerRtt * loopCalls * 2;
/** The whole run is bounded: past this, everything started is stopped and the bench fails. */
const TIME_LIMIT_MS = (compareTrees.length ? 480 : 240) * 1000 + loopSections * rttAllowanceMs;

/**
 * What this code may add over the floors of its required parts, measured in the same run: a cold invocation over
 * kafkajs alone (connect and one record), a warm one over raw kafkajs plus the log line and metrics every publish
 * writes. Absolute times differ twofold between machines; these ratios do not.
 */
const TARGETS = {
  coldOverFloor: 1.12,
  warmOverFloor: 1.12,
  naiveOverWarm: 5,
  /** The first request of a container initialised for provisioned concurrency, over a warm one (p50s). */
  provisionedOverWarm: 1.2,
  /** 250 KB, read as 250,000 bytes (the stricter reading). */
  bundleBytes: 250_000,
};

const out = (line = '') => process.stdout.write(`${line}\n`);
/** A section's figures that the run must have produced by now. */
const must = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`the bench has no figures for ${what}`);
  return value;
};

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const heading = (title: string) => {
  out();
  out(`== ${title} ==`);
};

const errors: string[] = [];
const section = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    errors.push(`${name}: ${message.split('\n')[0]}`);
    out(`${name} FAILED: ${message}`);
    return undefined;
  }
};

const LATENCY_HEADER = ['', 'n', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'];
const latencyRow = (label: string, summary: Summary): string[] => [
  label,
  String(summary.n),
  ms(summary.p50),
  ms(summary.p99),
  ms(summary.mean),
  ms(summary.max),
];

interface PackagedTree {
  label: string;
  dir: string;
  staging: string;
  packaged: PackageResult;
  /** The order-created function: the one the warm, cold and http sections run. */
  created: PackagedFunction;
  largestBytes: number;
}

const packageTree = async (label: string, dir: string): Promise<PackagedTree> => {
  const staging = mkdtempSync(path.join(os.tmpdir(), 'order-events-bench-'));
  onCleanup(() => rmSync(staging, { recursive: true, force: true }));
  stageWorkingTree(dir, staging, repoRoot);
  progress(`serverless package of ${dir} in ${staging}`);
  const packaged = await packageFunctions(staging);
  const created =
    packaged.functions.find((fn) => /order-created/.test(fn.bundlePath)) ?? packaged.functions[0];
  if (!created) throw new Error(`serverless package of ${dir} produced no functions`);
  return {
    label,
    dir,
    staging,
    packaged,
    created,
    largestBytes: Math.max(...packaged.functions.map((fn) => fn.javascriptBytes)),
  };
};

/** `npm run token`'s last line, when package.json has that script; otherwise no Authorization header. */
const bearerToken = async (staging: string): Promise<string | undefined> => {
  const manifest = JSON.parse(readFileSync(path.join(staging, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  if (!manifest.scripts?.token) return undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const result = await run('npm', ['run', '--silent', 'token'], {
    cwd: staging,
    env,
    timeoutMs: 60_000,
  });
  if (result.code !== 0)
    throw new Error(
      `npm run token failed (exit ${result.code}):\n${tail(result.stdout + result.stderr)}`,
    );
  const token = result.stdout.trim().split('\n').pop()?.trim();
  if (!token) throw new Error('npm run token printed nothing');
  return token;
};

const machine = () => {
  const cpus = os.cpus();
  let distribution = '';
  try {
    distribution = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux
  }
  return {
    cpu: `${cpus[0]?.model ?? 'unknown CPU'} x ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${distribution || os.type()} (${os.platform()} ${os.release()}, ${os.arch()})`,
    node: process.version,
    cpuCount: cpus.length,
  };
};

/** Which code was measured: the commit and how many files differ from it (read-only git), or just the path. */
const describeTree = async (dir: string): Promise<string> => {
  const git = (...gitArgs: string[]) =>
    run('git', gitArgs, { cwd: dir, timeoutMs: 10_000 }).catch(() => undefined);
  const head = await git('rev-parse', '--short', 'HEAD');
  if (head?.code !== 0) return dir;
  const status = await git('--no-optional-locks', 'status', '--porcelain');
  const changed = status?.stdout.split('\n').filter(Boolean).length ?? 0;
  return `${dir} at ${head.stdout.trim()}${changed ? ` with ${changed} uncommitted change(s) (scripts/bench/ among them while it is new)` : ''}`;
};

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const main = async (): Promise<number> => {
  const started = Date.now();
  const host = machine();
  out(
    `order-events-publisher bench, ${new Date().toISOString()}${args.length ? ` (${args.join(' ')})` : ''}`,
  );
  out(`Node.js ${host.node} (${process.execPath}); the functions deploy to Lambda's nodejs24.x`);
  out(`machine: ${host.cpu}, ${host.memory}, ${host.os}, node ${host.node}`);
  out(`load average at start: ${loadAverage()}`);
  out(`tree: ${await describeTree(mainTree)}`);

  // ---- size -----------------------------------------------------------------------------------------------
  heading(
    'size (serverless package: esbuild per function, minified, source maps; the zips read back)',
  );
  const tree = await packageTree('warm', mainTree);
  const compared: PackagedTree[] = [];
  for (const dir of compareTrees) {
    let label = `compare:${path.basename(dir)}`;
    while (compared.some((other) => other.label === label)) label += "'";
    compared.push(await packageTree(label, dir));
  }
  out(
    `serverless package (offline, in a staging copy of the tree): ${tree.packaged.seconds.toFixed(1)} s`,
  );
  out(
    table(
      ['function', 'JavaScript bytes', 'JavaScript', 'source map', 'zip', 'zip entries'],
      tree.packaged.functions.map((fn) => [
        fn.key,
        String(fn.javascriptBytes),
        kib(fn.javascriptBytes),
        kib(fn.sourceMapBytes),
        kib(fn.zipBytes),
        fn.entries.map((entry) => entry.name).join(', '),
      ]),
    ),
  );
  for (const other of compared) {
    out(
      `${other.label}: ${other.packaged.functions.map((fn) => `${fn.key} ${fn.javascriptBytes} B`).join(', ')}`,
    );
  }
  const sizes = await section('size breakdown', async () =>
    breakdown(tree.staging, tree.packaged.state, tree.created),
  );
  if (sizes) {
    out();
    out(
      `what is in ${tree.created.key}'s JavaScript (the esbuild metafile serverless-esbuild wrote while packaging it${
        sizes.matchesPackage
          ? ''
          : `; it describes ${sizes.outputBytes} bytes, not the packaged file's ${tree.created.javascriptBytes}: approximate`
      }):`,
    );
    out(
      table(
        ['origin', 'bytes', 'share'],
        sizes.byOrigin.map(({ origin, bytes }) => [
          origin,
          String(bytes),
          `${((100 * bytes) / sizes.outputBytes).toFixed(1)}%`,
        ]),
      ),
    );
    out(`project files: ${sizes.projectFiles.join(', ')}`);
  }
  const children = await compileChildren(tree.staging);
  const bundles = [tree, ...compared].map(({ label, created }) => ({
    label,
    path: created.bundlePath,
  }));

  // ---- broker ---------------------------------------------------------------------------------------------
  heading('broker');
  const broker = await spawnEmbeddedBroker({ port: ports.broker });
  onCleanup(() => broker.stop());
  out(
    `embedded broker (librdkafka mock cluster, brokers ${broker.brokerIds.join(',')}): ${broker.bootstrap}`,
  );
  if (brokerRtt > 0) {
    for (const id of broker.brokerIds) await broker.control.setRtt(id, brokerRtt);
    out(
      `--broker-rtt: every mock broker answers ${brokerRtt} ms late (not the default setting the targets are about)`,
    );
  }
  // The function's environment as packaged (the production producer settings), pointed at the embedded broker.
  const functionEnv: Record<string, string> = {
    ...tree.created.environment,
    KAFKA_BROKERS: broker.bootstrap,
  };
  // Children get that environment and PATH, nothing inherited: Lambda's processes do not see this shell's
  // variables, and some cost every node start a lot (NODE_EXTRA_CA_CERTS: ~40 ms of certificate parsing).
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...functionEnv };
  out(
    `function environment (empty means unset): ${Object.entries(functionEnv)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
  );

  // ---- raw / warm / naive ---------------------------------------------------------------------------------
  let loops: LoopWorkerResult | undefined;
  if (!skip.has('loops')) {
    heading('raw, warm, naive (one node process; raw and warm in alternating blocks)');
    loops = await section('raw/warm/naive', () =>
      runLoopWorker(
        children.loopWorker,
        // IS_OFFLINE: the bundle's runtime keeps its producer connected, as on Lambda and under serverless-offline
        // (without it, a process that is not Lambda disconnects after 1 s idle; lib/runtime.ts).
        { ...childEnv, IS_OFFLINE: 'true' },
        {
          bundles,
          functionName: tree.created.name,
          warmup: plan.warmup,
          rounds: plan.rounds,
          block: plan.block,
          naiveWarmup: plan.naiveWarmup,
          naive: plan.naive,
          naiveReuse: plan.naiveReuse,
        },
        loopSections * (60_000 + rttAllowanceMs),
        progress,
      ),
    );
  }
  const raw = loops && summarize(loops.raw);
  const rawWithObservability = loops && summarize(loops.rawWithObservability);
  const minimal = loops && summarize(loops.minimal);
  const warmOf = (label: string) => (loops?.warm[label] ? summarize(loops.warm[label]) : undefined);
  const warm = warmOf(tree.label);
  const naive = loops && summarize(loops.naive);
  if (loops && raw && warm && naive) {
    const { record } = loops;
    out(
      `record: key ${record.keyBytes} B, value ${record.valueBytes} B, ${record.headers} headers (${record.headerBytes} B), acks ${loops.acks}; ` +
        `${plan.warmup} warm-up calls each, then ${plan.rounds} rounds of ${plan.block} calls of each`,
    );
    out(
      table(LATENCY_HEADER, [
        latencyRow('raw (bare kafkajs, connected)', raw),
        latencyRow(
          'raw + log line and metrics',
          must(rawWithObservability, 'raw + log line and metrics'),
        ),
        latencyRow('minimal validating handler', must(minimal, 'minimal validating handler')),
        latencyRow('warm (packaged handler, direct)', warm),
        ...compared.map((other) =>
          latencyRow(`warm, ${other.label}`, must(warmOf(other.label), other.label)),
        ),
        latencyRow('naive (connect+send+disconnect)', naive),
        latencyRow('naive, module-scope producer', summarize(loops.naiveReuse)),
      ]),
    );
    out(
      `CPU time of the worker process per call: ${Object.entries(loops.cpuPerCall)
        .map(([label, value]) => `${label} ${ms(value)} ms`)
        .join(', ')}`,
    );
    out(
      `warm over raw (p50): ${(warm.p50 / raw.p50).toFixed(3)}; naive over warm (p50): ${(naive.p50 / warm.p50).toFixed(1)}`,
    );
    out(
      `floor: raw + the log line and EMF metrics every publish writes (lib/observability.ts, no handler) over raw (p50): ${(must(rawWithObservability, 'raw + log line and metrics').p50 / raw.p50).toFixed(3)}`,
    );
    out(
      `a minimal validating handler (parse, the route's schema, event and record, raw's send, log line and metrics; no middy) over raw + log line and metrics (p50): ${(must(minimal, 'minimal').p50 / must(rawWithObservability, 'raw + log line and metrics').p50).toFixed(3)}; warm over it: ${(warm.p50 / must(minimal, 'minimal').p50).toFixed(3)}`,
    );
    for (const other of compared)
      out(
        `${other.label}: warm over raw (p50): ${(must(warmOf(other.label), other.label).p50 / raw.p50).toFixed(3)}`,
      );
  }

  // ---- cold -----------------------------------------------------------------------------------------------
  let cold: ColdResult | undefined;
  let idle: Record<string, number[]> | undefined;
  let afterPauses: number[] | undefined;
  if (!skip.has('cold')) {
    heading('cold (fresh node process: load the packaged bundle, one invocation, exit)');
    cold = await section('cold', () =>
      measureCold(children, bundles, tree.created.name, childEnv, plan.cold),
    );
    idle = await section('idle', () =>
      measureIdle(children.coldInvoke, bundles, tree.created.name, childEnv, plan.idle),
    );
    afterPauses = await section('warm after pauses', () =>
      measureWarmAfterPauses(
        children.coldInvoke,
        must(
          bundles.find(({ label }) => label === tree.label),
          tree.label,
        ),
        tree.created.name,
        childEnv,
        plan.pausedContainers,
      ),
    );
  }
  /** CPU ms per second of a connected container between invocations (p50 over its idle children). */
  const idleCpuPerSecond = (label: string) => {
    const samples = idle?.[label];
    return samples?.length ? (summarize(samples).p50 * 1000) / IDLE_AFTER_MS : Number.NaN;
  };
  const bare = cold && summarize(cold.bareMs);
  const kafkajsFloor = cold && summarize(cold.kafkajsFloorMs);
  const minimalCold = cold && summarize(cold.minimalHandlerMs);
  const kafkajsProvisionedSend = cold && summarize(cold.kafkajsProvisionedSendMs);
  const kafkajsProvisionedLastSend = cold && summarize(cold.kafkajsProvisionedLastSendMs);
  const coldOf = (label: string) =>
    cold?.cold[label] ? summarize(cold.cold[label].map((sample) => sample.receiptMs)) : undefined;
  const coldReceipt = coldOf(tree.label);
  const provisionedOf = (label: string) =>
    cold?.provisioned[label]?.length
      ? summarize(cold.provisioned[label].map((sample) => sample.invokeMs))
      : undefined;
  const provisioned = provisionedOf(tree.label);
  const warmAfterPause = afterPauses?.length ? summarize(afterPauses) : undefined;
  if (cold && bare && coldReceipt) {
    const samples = must(cold.cold[tree.label], tree.label);
    out(
      `${plan.cold} rounds (and one discarded first round), alternating; each process timed from spawn by this one`,
    );
    out(
      table(LATENCY_HEADER, [
        latencyRow('bare `node -e 0`, to exit', bare),
        latencyRow('kafkajs floor, to the ack', must(kafkajsFloor, 'kafkajs floor')),
        latencyRow('minimal validating handler, to the ack', must(minimalCold, 'minimal handler')),
        latencyRow(
          'kafkajs floor, provisioned: 1st send',
          must(kafkajsProvisionedSend, 'the kafkajs floor initialised ahead'),
        ),
        latencyRow(
          `kafkajs floor, provisioned: ${PROVISIONED_FLOOR_SENDS}th send`,
          must(kafkajsProvisionedLastSend, 'the kafkajs floor initialised ahead'),
        ),
        ...(warmAfterPause
          ? [
              latencyRow(
                `warm, after a ${PROVISIONED_FIRST_REQUEST_AFTER_MS} ms pause`,
                warmAfterPause,
              ),
            ]
          : []),
        latencyRow('cold, to the receipt', coldReceipt),
        latencyRow('cold, to exit', summarize(samples.map((sample) => sample.exitMs))),
        latencyRow('  in the child: require()', summarize(samples.map((sample) => sample.loadMs))),
        latencyRow('    of which CPU', summarize(samples.map((sample) => sample.loadCpuMs))),
        latencyRow(
          '  in the child: invocation',
          summarize(samples.map((sample) => sample.invokeMs)),
        ),
        latencyRow('    of which CPU', summarize(samples.map((sample) => sample.invokeCpuMs))),
        ...compared.flatMap((other) => [
          latencyRow(`${other.label}, to the receipt`, must(coldOf(other.label), other.label)),
          latencyRow(
            '  in the child: require()',
            summarize(must(cold?.cold[other.label], other.label).map((sample) => sample.loadMs)),
          ),
          latencyRow(
            '    of which CPU',
            summarize(must(cold?.cold[other.label], other.label).map((sample) => sample.loadCpuMs)),
          ),
          latencyRow(
            '  in the child: invocation',
            summarize(must(cold?.cold[other.label], other.label).map((sample) => sample.invokeMs)),
          ),
          latencyRow(
            '    of which CPU',
            summarize(
              must(cold?.cold[other.label], other.label).map((sample) => sample.invokeCpuMs),
            ),
          ),
        ]),
      ]),
    );
    out(`cold over bare (p50): ${(coldReceipt.p50 / bare.p50).toFixed(2)}`);
    if (provisioned)
      out(
        `provisioned concurrency (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency, first request ${PROVISIONED_FIRST_REQUEST_AFTER_MS} ms after loading): first invocation p50 ${provisioned.p50.toFixed(2)} ms, p99 ${provisioned.p99.toFixed(2)} ms; over warm (p50): ${warm ? (provisioned.p50 / warm.p50).toFixed(1) : 'n/a'}`,
      );
    out(
      `floor: kafkajs alone (bundled like the functions; connect, send one record, nothing else) over bare (p50): ${(must(kafkajsFloor, 'kafkajs floor').p50 / bare.p50).toFixed(2)}`,
    );
    out(
      `a minimal validating handler, cold (bundled like the functions: configuration, the route's schema, Powertools' logger and metrics, kafkajs; parse, validate, connect, send, log line and metrics; no middy) over the kafkajs floor (p50): ${(must(minimalCold, 'minimal handler').p50 / must(kafkajsFloor, 'kafkajs floor').p50).toFixed(3)}; cold over it: ${(coldReceipt.p50 / must(minimalCold, 'minimal handler').p50).toFixed(3)}`,
    );
    if (warm)
      out(
        `floor of the provisioned path: kafkajs alone, connected (the partitions' leaders too), the topic's metadata fetched and the record sent to a broker inside the process as often as a container rehearses, its first send ${PROVISIONED_FIRST_REQUEST_AFTER_MS} ms later, over warm (p50): ${(must(kafkajsProvisionedSend, 'the kafkajs floor initialised ahead').p50 / warm.p50).toFixed(1)}; its ${PROVISIONED_FLOOR_SENDS}th send, after the others one after another: ${(must(kafkajsProvisionedLastSend, 'the kafkajs floor initialised ahead').p50 / warm.p50).toFixed(1)}`,
      );
    if (warm && warmAfterPause)
      out(
        `floor of the provisioned path, on the function itself: a container warmed by ${WARM_BEFORE_PAUSES} requests one after another, its requests ${PROVISIONED_FIRST_REQUEST_AFTER_MS} ms after the one before (${PAUSES_PER_CONTAINER} in each of ${plan.pausedContainers} processes), over warm (p50): ${(warmAfterPause.p50 / warm.p50).toFixed(1)}`,
      );
    for (const other of compared) {
      out(
        `${other.label}: cold over bare (p50): ${(must(coldOf(other.label), other.label).p50 / bare.p50).toFixed(2)}`,
      );
      const otherProvisioned = must(provisionedOf(other.label), `${other.label} (provisioned)`);
      out(
        `${other.label}: provisioned first invocation p50 ${otherProvisioned.p50.toFixed(2)} ms; over its warm (p50): ${warmOf(other.label) ? (otherProvisioned.p50 / must(warmOf(other.label), other.label).p50).toFixed(1) : 'n/a'}`,
      );
    }
  }
  if (idle)
    for (const { label } of [tree, ...compared])
      out(
        `idle: ${label === tree.label ? 'this tree' : label}, in the ${IDLE_AFTER_MS} ms after its answer (producer connected, no request), used ${idleCpuPerSecond(label).toFixed(1)} ms of CPU per second (p50 of ${plan.idle} processes)`,
      );

  // ---- http -----------------------------------------------------------------------------------------------
  let http: HttpLevel[] | undefined;
  if (!skip.has('http')) {
    heading('http (serverless-offline, autocannon)');
    http = await section('http', async () => {
      const token = await bearerToken(tree.staging);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      out(
        token
          ? 'authorization: Bearer <the last line of `npm run token`>'
          : 'authorization: none (package.json has no "token" script)',
      );
      const offlineEnv: NodeJS.ProcessEnv = {
        ...process.env,
        ...functionEnv,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      };
      delete offlineEnv.NODE_OPTIONS;
      delete offlineEnv.IS_OFFLINE;
      progress(`starting serverless-offline on ${ports.http}/${ports.lambda}`);
      const offline = await startOffline(tree.staging, offlineEnv, ports);
      try {
        const first = await probe(offline.url, headers);
        if (first.status !== 202) {
          const hint =
            first.status === 401 || first.status === 403
              ? ' (the routes want a token: add `npm run token`)'
              : '';
          throw new Error(`POST /orders answered ${first.status} ${first.body}${hint}`);
        }
        return await measureHttp(
          offline.url,
          headers,
          plan.httpLevels,
          { warmupSeconds: plan.httpWarmup, seconds: plan.httpSeconds },
          progress,
        );
      } finally {
        await offline.stop();
      }
    });
    if (http) {
      out(
        `${plan.httpWarmup} s warm-up then ${plan.httpSeconds} s measured per level; POST /orders, 64 order ids, keep-alive connections`,
      );
      out(
        table(
          ['connections', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'not 202'],
          http.map((level) => [
            String(level.connections),
            String(level.requests),
            level.perSecond.toFixed(0),
            ms(level.latency.p50),
            ms(level.latency.p99),
            ms(level.latency.max),
            String(
              Object.values(level.otherStatuses).reduce((total, count) => total + count, 0) +
                level.errors +
                level.timeouts,
            ),
          ]),
        ),
      );
    }
  }

  // ---- targets and the JSON line ----------------------------------------------------------------------------
  await cleanupAll();
  const seconds = (Date.now() - started) / 1000;
  const warmOverRaw = raw && warm ? warm.p50 / raw.p50 : Number.NaN;
  const naiveOverWarm = naive && warm ? naive.p50 / warm.p50 : Number.NaN;
  const coldOverBare = coldReceipt && bare ? coldReceipt.p50 / bare.p50 : Number.NaN;
  // What the required parts alone measure against the same denominators: a target below its floor cannot be
  // met by this design (kafkajs, and a Powertools log line and EMF metrics per publish), only by dropping one.
  const observabilityFloorOverRaw =
    raw && rawWithObservability ? rawWithObservability.p50 / raw.p50 : Number.NaN;
  const kafkajsFloorOverBare = kafkajsFloor && bare ? kafkajsFloor.p50 / bare.p50 : Number.NaN;
  const coldOverFloor =
    coldReceipt && kafkajsFloor ? coldReceipt.p50 / kafkajsFloor.p50 : Number.NaN;
  const minimalColdOverFloor =
    minimalCold && kafkajsFloor ? minimalCold.p50 / kafkajsFloor.p50 : Number.NaN;
  const warmOverFloor =
    warm && rawWithObservability ? warm.p50 / rawWithObservability.p50 : Number.NaN;
  const provisionedOverWarm = provisioned && warm ? provisioned.p50 / warm.p50 : Number.NaN;
  const provisionedFloorOverWarm =
    kafkajsProvisionedSend && warm ? kafkajsProvisionedSend.p50 / warm.p50 : Number.NaN;
  const provisionedFloorLastSendOverWarm =
    kafkajsProvisionedLastSend && warm ? kafkajsProvisionedLastSend.p50 / warm.p50 : Number.NaN;
  const warmAfterPauseOverWarm =
    warmAfterPause && warm ? warmAfterPause.p50 / warm.p50 : Number.NaN;
  const met = {
    coldOverFloor: coldOverFloor <= TARGETS.coldOverFloor,
    warmOverFloor: warmOverFloor <= TARGETS.warmOverFloor,
    naiveOverWarm: naiveOverWarm >= TARGETS.naiveOverWarm,
    bundleBytes: tree.largestBytes <= TARGETS.bundleBytes,
    provisionedOverWarm: provisionedOverWarm <= TARGETS.provisionedOverWarm,
  };
  heading('targets');
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  out(
    table(
      ['target', 'value', 'limit', '', 'the floor itself'],
      [
        [
          'cold p50 / kafkajs floor p50',
          coldOverFloor.toFixed(3),
          `<= ${TARGETS.coldOverFloor}`,
          verdict(met.coldOverFloor),
          `${kafkajsFloorOverBare.toFixed(2)} x bare node; a minimal validating handler: ${minimalColdOverFloor.toFixed(3)}`,
        ],
        [
          'warm p50 / (raw + log line and metrics) p50',
          warmOverFloor.toFixed(3),
          `<= ${TARGETS.warmOverFloor}`,
          verdict(met.warmOverFloor),
          `${observabilityFloorOverRaw.toFixed(3)} x raw`,
        ],
        [
          'naive p50 / warm p50',
          naiveOverWarm.toFixed(1),
          `>= ${TARGETS.naiveOverWarm}`,
          verdict(met.naiveOverWarm),
          '',
        ],
        [
          'provisioned first request p50 / warm p50',
          provisionedOverWarm.toFixed(1),
          `<= ${TARGETS.provisionedOverWarm}`,
          verdict(met.provisionedOverWarm),
          `kafkajs's first send: ${provisionedFloorOverWarm.toFixed(1)} x warm; its ${PROVISIONED_FLOOR_SENDS}th: ${provisionedFloorLastSendOverWarm.toFixed(1)} x; warm after a pause: ${warmAfterPauseOverWarm.toFixed(1)} x`,
        ],
        [
          'largest function JavaScript',
          `${tree.largestBytes} B`,
          `<= ${TARGETS.bundleBytes} B`,
          verdict(met.bundleBytes),
          '',
        ],
      ],
    ),
  );
  out(
    `run time ${seconds.toFixed(1)} s; load average at end: ${loadAverage()}${errors.length ? `; FAILED: ${errors.join('; ')}` : ''}`,
  );
  const summary = {
    rawP50Ms: round(raw?.p50 ?? Number.NaN),
    rawP99Ms: round(raw?.p99 ?? Number.NaN),
    warmP50Ms: round(warm?.p50 ?? Number.NaN),
    warmP99Ms: round(warm?.p99 ?? Number.NaN),
    naiveP50Ms: round(naive?.p50 ?? Number.NaN),
    naiveP99Ms: round(naive?.p99 ?? Number.NaN),
    warmOverRaw: round(warmOverRaw),
    naiveOverWarm: round(naiveOverWarm, 2),
    coldStartMs: round(coldReceipt?.p50 ?? Number.NaN, 1),
    coldStartP99Ms: round(coldReceipt?.p99 ?? Number.NaN, 1),
    bareNodeMs: round(bare?.p50 ?? Number.NaN, 1),
    bareNodeP99Ms: round(bare?.p99 ?? Number.NaN, 1),
    coldOverBare: round(coldOverBare, 2),
    coldOverFloor: round(coldOverFloor),
    provisionedFirstMs: round(provisioned?.p50 ?? Number.NaN, 2),
    idleCpuMsPerSecond: round(idleCpuPerSecond(tree.label), 1),
    provisionedOverWarm: round(provisionedOverWarm, 2),
    warmOverFloor: round(warmOverFloor),
    floors: {
      rawWithObservabilityP50Ms: round(rawWithObservability?.p50 ?? Number.NaN),
      observabilityFloorOverRaw: round(observabilityFloorOverRaw),
      kafkajsColdFloorMs: round(kafkajsFloor?.p50 ?? Number.NaN, 1),
      kafkajsFloorOverBare: round(kafkajsFloorOverBare, 2),
      minimalHandlerColdMs: round(minimalCold?.p50 ?? Number.NaN, 1),
      minimalHandlerColdOverFloor: round(minimalColdOverFloor),
      coldOverMinimalHandler: round(
        coldReceipt && minimalCold ? coldReceipt.p50 / minimalCold.p50 : Number.NaN,
      ),
      minimalHandlerP50Ms: round(minimal?.p50 ?? Number.NaN),
      warmOverMinimalHandler: round(minimal && warm ? warm.p50 / minimal.p50 : Number.NaN),
      kafkajsProvisionedFirstSendMs: round(kafkajsProvisionedSend?.p50 ?? Number.NaN, 2),
      provisionedFloorOverWarm: round(provisionedFloorOverWarm, 1),
      kafkajsProvisionedLastSendMs: round(kafkajsProvisionedLastSend?.p50 ?? Number.NaN, 2),
      provisionedFloorLastSendOverWarm: round(provisionedFloorLastSendOverWarm, 1),
      warmAfterPauseP50Ms: round(warmAfterPause?.p50 ?? Number.NaN, 2),
      warmAfterPauseOverWarm: round(warmAfterPauseOverWarm, 1),
    },
    largestBundleBytes: tree.largestBytes,
    bundleBytes: Object.fromEntries(
      tree.packaged.functions.map((fn) => [fn.key, fn.javascriptBytes]),
    ),
    http: (http ?? []).map((level) => ({
      connections: level.connections,
      p50Ms: round(level.latency.p50, 2),
      p99Ms: round(level.latency.p99, 2),
      rps: Math.round(level.perSecond),
    })),
    ...(compared.length
      ? {
          compare: Object.fromEntries(
            compared.map((other) => {
              const otherWarm = warmOf(other.label);
              const otherCold = coldOf(other.label);
              return [
                other.label,
                {
                  warmP50Ms: round(otherWarm?.p50 ?? Number.NaN),
                  warmOverRaw: round(otherWarm && raw ? otherWarm.p50 / raw.p50 : Number.NaN),
                  coldStartMs: round(otherCold?.p50 ?? Number.NaN, 1),
                  coldOverBare: round(otherCold && bare ? otherCold.p50 / bare.p50 : Number.NaN, 2),
                  provisionedFirstMs: round(provisionedOf(other.label)?.p50 ?? Number.NaN, 2),
                  idleCpuMsPerSecond: round(idleCpuPerSecond(other.label), 1),
                  largestBundleBytes: other.largestBytes,
                },
              ];
            }),
          ),
        }
      : {}),
    targetsMet: met,
    errors,
    seconds: round(seconds, 1),
    node: host.node,
    cpus: host.cpuCount,
  };
  // JSON has no NaN: a section that failed or was skipped leaves null.
  out(
    JSON.stringify(summary, (_key, value: unknown) =>
      typeof value === 'number' && !Number.isFinite(value) ? null : value,
    ),
  );
  if (errors.length) return 1;
  if (check && !Object.values(met).every(Boolean)) return 2;
  return 0;
};

let finishing = false;
const finish = async (code: number) => {
  if (finishing) return;
  finishing = true;
  await cleanupAll();
  process.exit(code);
};

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping everything the bench started`);
    void finish(130);
  });
}
// npm killed outright or hung up passes nothing on; a reader of stdout that went away (`| head`) fails writes.
stopWhenOrphaned(() => void finish(1));
process.stdout.on('error', () => void finish(1));
const limit = setTimeout(() => {
  progress(`the run passed its ${TIME_LIMIT_MS / 1000} s limit; stopping everything it started`);
  void finish(1);
}, TIME_LIMIT_MS);

main().then(
  (code) => {
    clearTimeout(limit);
    void finish(code);
  },
  (error: unknown) => {
    clearTimeout(limit);
    out(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void finish(1);
  },
);
