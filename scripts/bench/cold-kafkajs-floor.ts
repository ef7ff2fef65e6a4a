// The cold section's floor: a fresh `node` process that does only what no publishing function can skip, with
// the client the product is built on. It loads kafkajs bundled as serverless.yml bundles the functions
// (esbuild, minified, the producer-only plugin; children.ts compiles it), connects one producer with the
// function's broker settings, sends one record of the handler's shape (acks=-1) and prints the marker line.
// No configuration parsing, validation, logging or metrics: whatever a function adds, it adds on top of this.
import kafkajs from 'kafkajs';
import { RECEIPT_MARKER } from './cold-invoke-marker.js';

const { Kafka, logLevel } = kafkajs;
const started = performance.now();
const kafka = new Kafka({ clientId: 'order-events-publisher', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false });
const value = JSON.stringify({
  eventId: '00000000-0000-4000-8000-000000000000',
  eventType: 'order-created',
  orderId: 'bench-order-0',
  timestamp: new Date().toISOString(),
  customerId: 'customer-7',
  items: [
    { sku: 'SKU-1001', quantity: 2, unitPrice: 9.5 },
    { sku: 'SKU-2002', quantity: 1, unitPrice: 24.99 },
  ],
  total: 43.99,
  currency: 'EUR',
});
producer
  .connect()
  .then(() =>
    producer.send({
      topic: process.env.ORDER_EVENTS_TOPIC ?? 'order-events',
      acks: -1,
      messages: [{ key: 'bench-order-0', value, headers: { ce_specversion: '1.0', ce_type: 'order-created', 'content-type': 'application/json' } }],
    }),
  )
  .then(
    ([result]) => {
      const line = JSON.stringify({ acked: result?.errorCode === 0, partition: result?.partition, offset: result?.baseOffset, inProcessMs: performance.now() - started });
      process.stdout.write(`${RECEIPT_MARKER}${line}\n`, () => process.exit(0));
    },
    (error: unknown) => {
      process.stderr.write(`the kafkajs floor failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
