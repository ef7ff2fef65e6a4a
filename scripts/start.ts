// `npm start`: the whole service on this machine. Without KAFKA_BROKERS it starts the embedded broker
// (librdkafka's mock cluster) first and points the functions at it; with KAFKA_BROKERS it uses that cluster
// and starts no broker. Then serverless-offline serves the routes. Ctrl-C or SIGTERM stops everything it
// started, by process id.
//
// Idempotency-Key records go to a redis-server it starts too (DynamoDB's role in AWS), unless
// IDEMPOTENCY_REDIS_URL points at one already. With IDEMPOTENCY_STORE=dynamodb they go where they go in AWS,
// through the same DynamoDB code, to dynalite (a local DynamoDB API) with the table serverless.yml declares;
// IDEMPOTENCY_DYNAMODB_ENDPOINT points at a DynamoDB API of your own instead (its table must exist).
//
// Ports: HTTP_PORT (3000), LAMBDA_PORT (3002), EMBEDDED_BROKER_PORT (9092), REDIS_PORT (6379),
// DYNAMODB_PORT (8000).
// --ready-line prints one JSON line on stdout once ready ({"event":"ready",...}), for tests and scripts; it
// names no store it was given (IDEMPOTENCY_REDIS_URL may carry a password).
// --exit-on-stdin-close stops everything when stdin ends: a parent that holds the other end of a pipe (a test
// run) takes the whole service with it however it ends, even killed outright, when no signal reaches us.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventCatalog, eventTypes, functionRoutes } from '../lib/catalog.js';
import { redisClientAccepts } from '../lib/config.js';
import { type SpawnedBroker, spawnEmbeddedBroker } from './embedded-broker/spawn.js';
import {
  createIdempotencyTable,
  dynaliteCommand,
  readIdempotencyTableDefinition,
} from './local-dynamodb.js';
import { stopChild, stopWhenOrphaned, stopWhenStdinCloses } from './stop-child.js';
import { createDevToken } from './token.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const httpPort = Number(process.env.HTTP_PORT ?? 3000);
const lambdaPort = Number(process.env.LAMBDA_PORT ?? 3002);
const redisPort = Number(process.env.REDIS_PORT ?? 6379);
const dynamoDbPort = Number(process.env.DYNAMODB_PORT ?? 8000);
const printReadyLine = process.argv.includes('--ready-line');
const say = (line = '') => process.stderr.write(`${line}\n`);

let broker: SpawnedBroker | undefined;
let offline: ChildProcess | undefined;
let redis: ChildProcess | undefined;
let dynalite: ChildProcess | undefined;
let stopping: Promise<void> | undefined;

const stopAll = (exitCode: number) => {
  stopping ??= (async () => {
    if (offline) await stopChild(offline);
    if (broker) await broker.stop();
    if (redis) await stopChild(redis);
    if (dynalite) await stopChild(dynalite);
    process.exit(exitCode);
  })();
  return stopping;
};

const main = async () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void stopAll(0));
  // Before anything starts: the functions would otherwise answer every keyed request 503.
  const givenRedisUrl = process.env.IDEMPOTENCY_REDIS_URL;
  if (givenRedisUrl && !redisClientAccepts(givenRedisUrl))
    throw new Error(
      'IDEMPOTENCY_REDIS_URL is not a URL the Redis client accepts (a port up to 65535, percent-encoded user and password, a numbered database); not shown here, as it may carry a password',
    );
  // npm forwards only SIGINT and SIGTERM: when the process that started this one is gone (npm killed outright,
  // or hung up), this one is adopted by another, and stops rather than keep its children and ports.
  stopWhenOrphaned(() => void stopAll(0));
  if (process.argv.includes('--exit-on-stdin-close')) stopWhenStdinCloses(() => void stopAll(0));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  delete env.NODE_OPTIONS;
  const embedded = !process.env.KAFKA_BROKERS;
  if (embedded) {
    say('Starting the embedded Kafka broker (librdkafka mock cluster)...');
    broker = await spawnEmbeddedBroker();
    env.KAFKA_BROKERS = broker.bootstrap;
  }

  const idempotencyStore = await startIdempotencyStore(env);

  say(`Starting serverless-offline on http://localhost:${httpPort} ...`);
  offline = startChild(
    'serverless-offline',
    process.execPath,
    [
      path.join(root, 'node_modules/serverless/bin/serverless.js'),
      'offline',
      'start',
      '--httpPort',
      String(httpPort),
      '--lambdaPort',
      String(lambdaPort),
    ],
    env,
  );
  await waitForOutput(offline, 'offline', /Server ready/, /^Error:/, 120_000);

  const topic = env.ORDER_EVENTS_TOPIC ?? 'order-events';
  const token = await createDevToken();
  const auth = `-H "Authorization: Bearer $TOKEN"`;
  say();
  say('Order events publisher is running.');
  say(`  Kafka:    ${env.KAFKA_BROKERS}${embedded ? ' (embedded broker)' : ''}`);
  say(`  HTTP API: http://localhost:${httpPort}`);
  for (const route of functionRoutes())
    say(
      `    ${route.method.padEnd(4)} ${route.path}${route.publishes ? '' : '   (no token needed)'}`,
    );
  if (idempotencyStore)
    say(`  Idempotency-Key records: ${idempotencyStore} (in memory, for this run)`);
  const invokeNames = functionRoutes()
    .filter((route) => route.publishes)
    .map((route) => route.functionName);
  say(
    `  Lambda invoke API: http://localhost:${lambdaPort}/2015-03-31/functions/order-events-publisher-dev-<${invokeNames.join('|')}>/invocations`,
  );
  say();
  say(
    'Every publishing route needs a bearer token. A development token, valid 12 h (more: npm run token):',
  );
  say(`  export TOKEN=${token}`);
  say();
  say('Try:');
  for (const eventType of eventTypes) {
    const { route, example } = eventCatalog[eventType];
    say(
      `  curl -i -X ${route.method} http://localhost:${httpPort}${route.path.replace('{orderId}', 'o-1001')} ${auth} -H 'Content-Type: application/json' -d '${JSON.stringify(example)}'`,
    );
  }
  say(
    `  (an Idempotency-Key header on any publishing route; the contracts: GET /openapi.json, GET /asyncapi.json)`,
  );
  say('Watch the topic:');
  say(`  kcat -b ${env.KAFKA_BROKERS?.split(',')[0]} -t ${topic} -C -J`);
  say();
  say('Ctrl-C stops everything.');
  if (printReadyLine) {
    process.stdout.write(
      `${JSON.stringify({ event: 'ready', http: `http://localhost:${httpPort}`, lambda: `http://localhost:${lambdaPort}`, kafkaBrokers: env.KAFKA_BROKERS, brokerControl: broker?.controlUrl ?? null, token, functionHostPid: offline?.pid ?? null, idempotencyStoreEnv: idempotencyStore ? idempotencyStoreEnv(env) : {} })}
`,
    );
  }
};

/**
 * Starts the local store of Idempotency-Key records unless one is given, and points the functions at it.
 * Answers what it started, for the banner.
 */
const startIdempotencyStore = async (env: NodeJS.ProcessEnv): Promise<string | undefined> => {
  if (process.env.IDEMPOTENCY_REDIS_URL || process.env.IDEMPOTENCY_DYNAMODB_ENDPOINT)
    return undefined;
  const choice = process.env.IDEMPOTENCY_STORE ?? 'redis';
  if (choice === 'dynamodb') {
    say(`Starting dynalite (a local DynamoDB API) on 127.0.0.1:${dynamoDbPort}...`);
    const table = readIdempotencyTableDefinition();
    table.catch(() => undefined); // awaited below, once dynalite listens
    const { command, args, ready } = dynaliteCommand(dynamoDbPort);
    dynalite = startChild('dynalite', command, args);
    await waitForOutput(dynalite, 'dynalite', ready, /EADDRINUSE|^Error/, 20_000);
    const endpoint = `http://127.0.0.1:${dynamoDbPort}`;
    const definition = await table;
    await createIdempotencyTable(endpoint, definition);
    env.IDEMPOTENCY_DYNAMODB_ENDPOINT = endpoint;
    env.IDEMPOTENCY_TABLE = definition.TableName;
    return `DynamoDB table ${definition.TableName} at ${endpoint} (dynalite)`;
  }
  if (choice !== 'redis')
    throw new Error(`IDEMPOTENCY_STORE is redis or dynamodb, not ${JSON.stringify(choice)}`);
  say(`Starting redis-server on 127.0.0.1:${redisPort} for Idempotency-Key records...`);
  // In memory only: the records matter for as long as this run does.
  redis = startChild('redis', 'redis-server', [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitForOutput(
    redis,
    'redis',
    /Ready to accept connections/,
    /# (Failed|Could not|Warning: Could not)|Address already in use/,
    20_000,
  );
  env.IDEMPOTENCY_REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  return env.IDEMPOTENCY_REDIS_URL;
};

/**
 * What another process (a second container) needs to reach the Idempotency-Key records of a store this script
 * started. A store it was given is not repeated: its caller knows it, and its URL may carry a password.
 */
const idempotencyStoreEnv = (env: NodeJS.ProcessEnv): Record<string, string> => {
  if (env.IDEMPOTENCY_REDIS_URL) return { IDEMPOTENCY_REDIS_URL: env.IDEMPOTENCY_REDIS_URL };
  if (env.IDEMPOTENCY_DYNAMODB_ENDPOINT && env.IDEMPOTENCY_TABLE)
    return {
      IDEMPOTENCY_DYNAMODB_ENDPOINT: env.IDEMPOTENCY_DYNAMODB_ENDPOINT,
      IDEMPOTENCY_TABLE: env.IDEMPOTENCY_TABLE,
    };
  return {};
};

/** Starts a child whose unexpected exit stops everything else; none once stopping began (it would outlive it). */
const startChild = (
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess => {
  if (stopping) throw new Error(`stopping: ${name} not started`);
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited (code ${code}, signal ${signal}); stopping.`);
    void stopAll(1);
  });
  child.once('error', (error) => {
    say(`${name} could not start: ${error.message}`);
    void stopAll(1);
  });
  return child;
};

/**
 * Relays a child's output to our stderr and resolves when a line matches `ready`. Rejects on a line matching
 * `failed`: serverless prints its fatal errors and then may stay alive, so its exit is not a reliable signal.
 */
const waitForOutput = (
  child: ChildProcess,
  name: string,
  ready: RegExp,
  failed: RegExp,
  timeoutMs: number,
) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    let matched = false;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        // After Ctrl-C, what the dying children print (esbuild's service complains of its closed pipe) is noise.
        if (!stopping) process.stderr.write(`[${name}] ${line}\n`);
        if (matched) return;
        if (ready.test(line) || failed.test(line)) {
          matched = true;
          clearTimeout(timer);
          if (ready.test(line)) resolve();
          else reject(new Error(`${name} failed to start (its output is above)`));
        }
      });
    }
    child.once('exit', () => reject(new Error(`${name} exited before it was ready`)));
  });

main().catch((error: unknown) => {
  say(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});
