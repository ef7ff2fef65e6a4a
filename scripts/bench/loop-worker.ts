// The raw, warm and naive sections, in one plain `node` process (main.ts compiles this file with esbuild and
// starts it with the function's environment). It writes every sample, in ms, as JSON to options.resultFile.
//
// - raw:   a bare kafkajs producer (the service's own client settings: lib/producer's createKafkaClient),
//          connected once, sending the very records the handler sends (built by lib/events.ts, outside the
//          timed region), one at a time, acks as configured (-1);
// - warm:  the packaged order-created bundle's handler, invoked directly with API Gateway v2 events, one at a
//          time, after its container has connected (IS_OFFLINE keeps its producer connected, as on Lambda);
//          with --compare, other trees' bundles too, each its own "container" in this process;
// - naive: the tutorial pattern, a producer connected, used and disconnected within each call;
// - raw+observability: raw, then the one log line and the EMF metrics every publish must write (the
//          handler's own powertoolsObserver from lib/observability.ts, to the same stdout): the floor of a
//          handler that logs and measures every publish, with no validation, middy or event building;
// - minimal: what no validating handler can skip, in the fewest steps (minimal-handler.ts): JSON.parse of the
//          request's body, the route's own schema, the event and its record, raw's send, the log line and
//          metrics; no middy, no error answers, no deadline, trace context or caller.
// raw and warm run in alternating blocks (the order rotating from round to round, and reversed every other
// round) so that drift of the machine hits every section alike.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Producer } from 'kafkajs';
import { loadConfig } from '../../lib/config.js';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import { createKafkaClient } from '../../lib/producer/kafkajs-producer.js';
import {
  handlerObserver,
  minimalHandler,
  type RawRecord,
  rawProducerConfig,
  sendRecord,
} from './minimal-handler.js';
import { apiGatewayV2Event, lambdaContext, orderBody } from './workload.js';

export interface LoopWorkerOptions {
  /** Where the result (LoopWorkerResult as JSON) goes: stdout belongs to the handlers' logs and metrics. */
  resultFile: string;
  /** Packaged handler bundles (CommonJS), by label; the first is the tree under test, the others --compare trees. */
  bundles: { label: string; path: string }[];
  functionName: string;
  warmup: number;
  rounds: number;
  block: number;
  naiveWarmup: number;
  naive: number;
  naiveReuse: number;
}

export interface LoopWorkerResult {
  raw: number[];
  rawWithObservability: number[];
  minimal: number[];
  /** Per bundle label. */
  warm: Record<string, number[]>;
  naive: number[];
  naiveReuse: number[];
  /** CPU time of this process (user + system) per call, over all measured blocks, in ms; raw and per bundle. */
  cpuPerCall: Record<string, number>;
  record: { keyBytes: number; valueBytes: number; headers: number; headerBytes: number };
  acks: number;
  elapsedMs: number;
}

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const say = (line: string) => process.stderr.write(`[loop-worker] ${line}\n`);

const main = async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoopWorkerOptions;
  const started = nowMs();
  const config = loadConfig(process.env);
  const handlers = options.bundles.map(({ label, path }) => ({
    label,
    handler: (createRequire(path)(path) as { handler: Handler }).handler,
  }));

  const kafka = createKafkaClient(config);
  const producerConfig = rawProducerConfig(config);
  const raw = kafka.producer(producerConfig);
  await raw.connect();
  const send = (producer: Producer, message: RawRecord) => sendRecord(config, producer, message);
  const { sendObserved, publish } = minimalHandler(config, raw, handlerObserver(config));

  /** The event the handler would build for call i, and the message it would send. */
  const eventFor = (i: number) => {
    const body = orderBody(i);
    const event = buildOrderEvent('order-created', body.orderId, body);
    const { key, value, headers } = toKafkaRecord(event, config.topic, config.eventSource);
    return { event, message: { key, value, headers } };
  };
  const recordFor = (i: number): RawRecord => eventFor(i).message;

  const rawOnce = async (i: number): Promise<number> => {
    const message = recordFor(i);
    const start = nowMs();
    await send(raw, message);
    return nowMs() - start;
  };

  const rawWithObservabilityOnce = async (i: number): Promise<number> => {
    const { event, message } = eventFor(i);
    const start = nowMs();
    await sendObserved(event, message);
    return nowMs() - start;
  };

  const minimalOnce = async (i: number): Promise<number> => {
    const request = apiGatewayV2Event(JSON.stringify(orderBody(i)));
    const start = nowMs();
    await publish(request.body ?? '');
    return nowMs() - start;
  };

  const warmOnce =
    (handler: Handler) =>
    async (i: number): Promise<number> => {
      const event = apiGatewayV2Event(JSON.stringify(orderBody(i)));
      const context = lambdaContext(options.functionName);
      const start = nowMs();
      const response = await handler(event, context);
      const elapsed = nowMs() - start;
      if (response.statusCode !== 202)
        throw new Error(`the handler answered ${response.statusCode}: ${String(response.body)}`);
      return elapsed;
    };

  // The tutorial's handler: the client at module scope, a producer connected and disconnected per call.
  const naiveOnce = async (i: number): Promise<number> => {
    const message = recordFor(i);
    const start = nowMs();
    const producer = kafka.producer(producerConfig);
    await producer.connect();
    await send(producer, message);
    await producer.disconnect();
    return nowMs() - start;
  };

  // The same with the producer itself at module scope: kafkajs reconnects it, but its first send after a
  // reconnect fails on the stale seed-broker connection and succeeds after one retry back-off.
  const reused = kafka.producer(producerConfig);
  const naiveReuseOnce = async (i: number): Promise<number> => {
    const message = recordFor(i);
    const start = nowMs();
    await reused.connect();
    await send(reused, message);
    await reused.disconnect();
    return nowMs() - start;
  };

  const sections = [
    { label: 'raw', once: rawOnce, samples: [] as number[], cpuMs: 0 },
    {
      label: 'raw+observability',
      once: rawWithObservabilityOnce,
      samples: [] as number[],
      cpuMs: 0,
    },
    { label: 'minimal', once: minimalOnce, samples: [] as number[], cpuMs: 0 },
    ...handlers.map(({ label, handler }) => ({
      label,
      once: warmOnce(handler),
      samples: [] as number[],
      cpuMs: 0,
    })),
  ];

  let call = 0;
  say(`warming up: ${options.warmup} calls of each of ${sections.map((s) => s.label).join(', ')}`);
  for (let i = 0; i < options.warmup; i++) {
    for (const section of sections) await section.once(call);
    call++;
  }

  say(`measuring: ${options.rounds} rounds of ${options.block} calls of each`);
  for (let round = 0; round < options.rounds; round++) {
    const rotation = round % sections.length;
    const order = [...sections.slice(rotation), ...sections.slice(0, rotation)];
    if (Math.floor(round / sections.length) % 2 === 1) order.reverse();
    for (const section of order) {
      const cpu = process.cpuUsage();
      // The same order ids, in the same order, in every block of a round.
      for (let i = 0; i < options.block; i++)
        section.samples.push(await section.once(round * options.block + i));
      const used = process.cpuUsage(cpu);
      section.cpuMs += (used.user + used.system) / 1000;
    }
  }

  say(
    `naive: ${options.naiveWarmup} + ${options.naive} calls, then ${options.naiveReuse} with a reused producer`,
  );
  const naive: number[] = [];
  const naiveReuse: number[] = [];
  for (let i = 0; i < options.naiveWarmup; i++) await naiveOnce(call++);
  for (let i = 0; i < options.naive; i++) naive.push(await naiveOnce(i));
  for (let i = 0; i < options.naiveReuse; i++) naiveReuse.push(await naiveReuseOnce(i));

  const example = recordFor(0);
  const result: LoopWorkerResult = {
    raw: sections[0]?.samples ?? [],
    rawWithObservability: sections[1]?.samples ?? [],
    minimal: sections[2]?.samples ?? [],
    warm: Object.fromEntries(sections.slice(3).map((section) => [section.label, section.samples])),
    naive,
    naiveReuse,
    cpuPerCall: Object.fromEntries(
      sections.map((section) => [
        section.label,
        section.cpuMs / Math.max(1, section.samples.length),
      ]),
    ),
    record: {
      keyBytes: Buffer.byteLength(example.key),
      valueBytes: Buffer.byteLength(example.value),
      headers: Object.keys(example.headers).length,
      headerBytes: Object.entries(example.headers).reduce(
        (total, [name, value]) => total + Buffer.byteLength(name) + Buffer.byteLength(value),
        0,
      ),
    },
    acks: config.acks,
    elapsedMs: nowMs() - started,
  };
  await raw.disconnect();
  writeFileSync(options.resultFile, JSON.stringify(result));
};

main().then(
  // The handlers' producers stay connected (as on Lambda); the process is done all the same.
  () => process.exit(0),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
