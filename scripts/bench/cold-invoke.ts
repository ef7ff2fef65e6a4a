// The cold section's child: a fresh `node` process that loads the packaged bundle, completes one invocation
// against the broker and exits at once, or after BENCH_IDLE_AFTER_MS idle (main.ts compiles this file with
// esbuild to plain CommonJS). Its stdout line that starts with RECEIPT_MARKER is the receipt, with how long
// loading and the invocation took in here.
import { createRequire } from 'node:module';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { RECEIPT_MARKER } from './cold-invoke-marker.js';
import { apiGatewayV2Event, lambdaContext, orderBody } from './workload.js';

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const [bundle = '', functionName = 'orderCreated', index = '0'] = process.argv.slice(2);
const cpuMs = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1000;
const cpuAtLoad = process.cpuUsage();
const loadStart = performance.now();
const { handler } = createRequire(bundle)(bundle) as { handler: Handler };
const loadEnd = performance.now();
const loadCpu = process.cpuUsage(cpuAtLoad);
// A container initialised for provisioned concurrency (AWS_LAMBDA_INITIALIZATION_TYPE set by the parent) gets
// its first request some time after its initialisation: this long.
const firstRequestAfterMs = Number(process.env.BENCH_FIRST_REQUEST_AFTER_MS ?? 0);
// With BENCH_IDLE_AFTER_MS, the receipt waits that long after the answer and adds the CPU time this process
// spent meanwhile, producer connected and no request: what a container keeps doing between invocations
// (Lambda freezes it once it answers; timers it left running fire inside the next invocation).
const idleAfterMs = Number(process.env.BENCH_IDLE_AFTER_MS ?? 0);
// With BENCH_WARM_REQUESTS, the container is warmed by that many requests one after another, and then gets
// BENCH_IDLE_CYCLES more, each BENCH_FIRST_REQUEST_AFTER_MS after the one before: what a warm container's request
// costs after a pause as long as the one before a provisioned container's first request.
const warmRequests = Number(process.env.BENCH_WARM_REQUESTS ?? 0);
const idleCycles = Number(process.env.BENCH_IDLE_CYCLES ?? 0);
const printReceipt = (receipt: Record<string, unknown>) =>
  process.stdout.write(`${RECEIPT_MARKER}${JSON.stringify(receipt)}\n`, () => process.exit(0));
const failed = (error: unknown) => {
  process.stderr.write(
    `cold invocation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
};
const invoke = () => {
  // Built before the clock starts, as the warm section builds its events: Lambda's runtime hands the handler an
  // event it has already parsed, and this code's first run in the process is no part of the function's.
  const event = apiGatewayV2Event(JSON.stringify(orderBody(Number(index))));
  const context = lambdaContext(functionName);
  const invokeStart = performance.now();
  const cpuAtInvoke = process.cpuUsage();
  handler(event, context).then((response) => {
    const answered = {
      status: response.statusCode,
      receipt: response.body,
      loadMs: loadEnd - loadStart,
      invokeMs: performance.now() - invokeStart,
      // CPU time of this process (all its threads) in each phase: what the invocation did not wait for.
      loadCpuMs: cpuMs(loadCpu),
      invokeCpuMs: cpuMs(process.cpuUsage(cpuAtInvoke)),
    };
    // The handler logs to stdout too (as on Lambda): the receipt is the line that starts with the marker.
    if (idleAfterMs <= 0) return printReceipt(answered);
    const cpuAtAnswer = process.cpuUsage();
    setTimeout(
      () => printReceipt({ ...answered, idleCpuMs: cpuMs(process.cpuUsage(cpuAtAnswer)) }),
      idleAfterMs,
    );
  }, failed);
};
const warmThenAfterPauses = async () => {
  const timed = async (i: number) => {
    const event = apiGatewayV2Event(JSON.stringify(orderBody(i)));
    const context = lambdaContext(functionName);
    const start = performance.now();
    const response = await handler(event, context);
    const elapsed = performance.now() - start;
    if (response.statusCode !== 202)
      throw new Error(`the handler answered ${response.statusCode}: ${String(response.body)}`);
    return elapsed;
  };
  for (let i = 0; i < warmRequests; i++) await timed(i);
  const afterPauseMs: number[] = [];
  for (let cycle = 0; cycle < idleCycles; cycle++) {
    await new Promise((resolve) => setTimeout(resolve, firstRequestAfterMs));
    afterPauseMs.push(await timed(warmRequests + cycle));
  }
  printReceipt({ status: 202, afterPauseMs });
};
if (warmRequests > 0) warmThenAfterPauses().catch(failed);
else if (firstRequestAfterMs > 0) setTimeout(invoke, firstRequestAfterMs);
else invoke();
