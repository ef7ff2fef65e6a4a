// The http section: serverless-offline started from the staging copy (as `npm start` runs it: the routes, the
// JWT authorizer if serverless.yml declares one, a worker thread per concurrent "container"), driven by
// autocannon at a few concurrency levels, each after a warm-up at the same level so that every container
// taking part has connected its producer before anything is timed.
import path from 'node:path';
import autocannon from 'autocannon';
import { captureLines, spawnTracked, stopChild, tail } from './processes.js';
import { type Summary, summarize } from './stats.js';
import { orderBody } from './workload.js';

export interface Offline {
  url: string;
  stop(): Promise<void>;
}

export const startOffline = async (
  staging: string,
  env: NodeJS.ProcessEnv,
  ports: { http: number; lambda: number },
  readyTimeoutMs = 90_000,
): Promise<Offline> => {
  const child = spawnTracked(
    process.execPath,
    [
      path.join(staging, 'node_modules/serverless/bin/serverless.js'),
      'offline',
      'start',
      '--httpPort',
      String(ports.http),
      '--lambdaPort',
      String(ports.lambda),
    ],
    // Its own process group, so that stop() also ends the esbuild service it starts.
    { cwd: staging, env, stdio: ['ignore', 'pipe', 'pipe'], group: true },
  );
  const stop = () => stopChild(child, { group: true });
  let ready: () => void = () => undefined;
  const readyLine = new Promise<void>((resolve) => (ready = resolve));
  const output = captureLines(child, 80, (line) => {
    if (/Server ready/.test(line)) ready();
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(
        new Error(`serverless-offline exited (code ${code}, signal ${signal}) before it was ready`),
      ),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`serverless-offline was not ready after ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
  });
  try {
    await Promise.race([readyLine, exited, timeout]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${tail(output.join('\n'))}`);
  } finally {
    clearTimeout(timer);
  }
  exited.catch(() => undefined);
  return { url: `http://127.0.0.1:${ports.http}`, stop };
};

export interface HttpLevel {
  connections: number;
  seconds: number;
  requests: number;
  perSecond: number;
  latency: Summary;
  /** Answers other than 202, by status. */
  otherStatuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

interface AutocannonRun {
  latencies: number[];
  otherStatuses: Record<string, number>;
  errors: number;
  timeouts: number;
  requests: number;
}

const load = async (
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<AutocannonRun> => {
  let next = 0;
  const latencies: number[] = [];
  const otherStatuses: Record<string, number> = {};
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 20,
    requests: [
      {
        method: 'POST',
        path: '/orders',
        headers,
        // A body per request, with the same 64 order ids as the other sections.
        setupRequest: (request) => ({ ...request, body: JSON.stringify(orderBody(next++)) }),
      },
    ],
  });
  // autocannon's own histogram keeps whole milliseconds; these are its exact per-response times.
  instance.on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode === 202) latencies.push(responseTime);
      else otherStatuses[statusCode] = (otherStatuses[statusCode] ?? 0) + 1;
    },
  );
  const result = await instance;
  return {
    latencies,
    otherStatuses,
    errors: result.errors,
    timeouts: result.timeouts,
    requests: latencies.length,
  };
};

/** One request first, so that a 401 (no token) or a broken route says so plainly instead of as a table of errors. */
export const probe = async (
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> => {
  const response = await fetch(`${url}/orders`, {
    method: 'POST',
    headers,
    body: JSON.stringify(orderBody(0)),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: await response.text() };
};

export const measureHttp = async (
  url: string,
  headers: Record<string, string>,
  levels: readonly number[],
  { warmupSeconds, seconds }: { warmupSeconds: number; seconds: number },
  progress: (line: string) => void,
): Promise<HttpLevel[]> => {
  const results: HttpLevel[] = [];
  for (const connections of levels) {
    progress(
      `http: ${connections} connection(s): ${warmupSeconds} s warm-up, ${seconds} s measured`,
    );
    await load(url, headers, connections, warmupSeconds);
    const measured = await load(url, headers, connections, seconds);
    results.push({
      connections,
      seconds,
      requests: measured.requests,
      perSecond: measured.requests / seconds,
      latency: summarize(measured.latencies),
      otherStatuses: measured.otherStatuses,
      errors: measured.errors,
      timeouts: measured.timeouts,
    });
  }
  return results;
};
