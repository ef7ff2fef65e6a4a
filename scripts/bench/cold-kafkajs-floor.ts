// The cold section's floor: a fresh `node` process that does only what no publishing function can skip, with
// the client the product is built on. It loads kafkajs bundled as serverless.yml bundles the functions
// (esbuild, minified, deploy/esbuild-plugins.cjs; children.ts compiles it), connects one producer with the
// function's brokers, sends one record as the handler builds it (acks=-1) and prints the marker line.
// No configuration parsing, validation, logging or metrics: whatever a function adds, it adds on top of this.
// With BENCH_FIRST_REQUEST_AFTER_MS set (as for a container initialised for provisioned concurrency), it does
// what such a container does for kafkajs before its first request (connect; a send of no records, which
// fetches the topic's metadata; the partitions' leaders connected; with BENCH_FLOOR_REHEARSALS, the record sent
// that many times to a broker inside the process, as a container's rehearsal sends it), waits that long, and
// times its first send of a record alone: kafkajs's own part of the first request of a container that prepared
// for it. With BENCH_FLOOR_SENDS=N as well, it then sends N - 1 more records, one after another, and times the
// last: how far kafkajs is from warm after a few real sends.
import kafkajs, { type RecordMetadata } from 'kafkajs';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import { keptClusterOf } from '../../lib/producer/kafkajs-leaders.js';
import { memoryBrokerSockets } from '../../lib/producer/memory-broker.js';
import { RECEIPT_MARKER } from './cold-invoke-marker.js';
import { orderBody } from './workload.js';

const { Kafka, logLevel } = kafkajs;
const started = performance.now();
const clientId = 'order-events-publisher';
const kafka = new Kafka({
  clientId,
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  logLevel: logLevel.NOTHING,
});
// As the functions run it (KAFKA_IDEMPOTENT, default on): the idempotent producer's InitProducerId round trip
// is part of every cold start's first send.
const idempotent = process.env.KAFKA_IDEMPOTENT !== 'false';
// Initialised ahead, it connects the partitions' leaders too, as the service's producer does (kafkajs-leaders.ts).
const keptCluster =
  process.env.BENCH_FIRST_REQUEST_AFTER_MS === undefined ? undefined : keptClusterOf(kafka);
const producerConfig = {
  idempotent,
  ...(idempotent ? { maxInFlightRequests: 1 } : {}),
  allowAutoTopicCreation: false,
};
const producer = kafka.producer(producerConfig);
const body = orderBody(0);
// The handler's record, built by the handler's own lib/events.ts (which adds nothing kafkajs does not load too).
const topic = process.env.ORDER_EVENTS_TOPIC ?? 'order-events';
const recordOf = (order: typeof body) => {
  const { key, value, headers } = toKafkaRecord(
    buildOrderEvent('order-created', order.orderId, order),
    topic,
    '/order-events-publisher',
  );
  return { key, value, headers };
};
const record = recordOf(body);
const send = (message = record) => producer.send({ topic, acks: -1, messages: [message] });
/** The sends after the first, one after another (other orders, so other partitions too); the last one's time. */
const lastOfLaterSends = async () => {
  const later = Array.from({ length: Number(process.env.BENCH_FLOOR_SENDS ?? 1) - 1 }, (_, i) =>
    recordOf(orderBody(i + 1)),
  );
  let lastMs: number | undefined;
  for (const message of later) {
    const sent = performance.now();
    await send(message);
    lastMs = performance.now() - sent;
  }
  return lastMs;
};
/**
 * With BENCH_FLOOR_REHEARSALS=N, what a container's rehearsal does for kafkajs (lib/rehearsal.ts, through
 * lib/producer/kafkajs-rehearsal.ts): N sends of the record by a producer of the same settings on a client whose
 * connections go to the broker inside the process (lib/producer/memory-broker.ts), sending nothing out.
 */
const rehearse = async () => {
  const rehearsals = Number(process.env.BENCH_FLOOR_REHEARSALS ?? 0);
  if (rehearsals === 0) return;
  const rehearsal = new Kafka({
    clientId,
    brokers: ['memory:0'],
    logLevel: logLevel.NOTHING,
    socketFactory: memoryBrokerSockets(topic),
  }).producer(producerConfig);
  await rehearsal.connect();
  for (let i = 0; i < rehearsals; i++)
    await rehearsal.send({ topic, acks: -1, messages: [{ ...record }] });
  await rehearsal.disconnect();
};
const firstRequestAfterMs = process.env.BENCH_FIRST_REQUEST_AFTER_MS;
const measured: Promise<{
  result: RecordMetadata | undefined;
  sendMs?: number;
  lastSendMs?: number;
}> =
  firstRequestAfterMs === undefined
    ? producer
        .connect()
        .then(() => send())
        .then(([result]) => ({ result }))
    : producer
        .connect()
        .then(() => producer.send({ topic, acks: -1, messages: [] }))
        .then(() => keptCluster?.connectLeaders(topic))
        .then(rehearse)
        .then(() => new Promise((resolve) => setTimeout(resolve, Number(firstRequestAfterMs))))
        .then(async () => {
          const sent = performance.now();
          const [result] = await send();
          const sendMs = performance.now() - sent;
          return { result, sendMs, lastSendMs: await lastOfLaterSends() };
        });
measured.then(
  ({ result, sendMs, lastSendMs }) => {
    const line = JSON.stringify({
      acked: result?.errorCode === 0,
      partition: result?.partition,
      offset: result?.baseOffset,
      inProcessMs: performance.now() - started,
      sendMs,
      lastSendMs,
    });
    process.stdout.write(`${RECEIPT_MARKER}${line}\n`, () => process.exit(0));
  },
  (error: unknown) => {
    process.stderr.write(
      `the kafkajs floor failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
