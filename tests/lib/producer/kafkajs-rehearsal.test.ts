import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BudgetSpentError } from '../../../lib/producer/errors.js';
import type { OutgoingRecord } from '../../../lib/producer/event-producer.js';
import { KafkaJsEventProducer } from '../../../lib/producer/kafkajs-producer.js';
import { rehearsalProducer } from '../../../lib/producer/kafkajs-rehearsal.js';
import { testConfig } from '../../support/events.js';

// A listener that counts connections: the brokers the rehearsal producer is configured with.
let server: Server;
let connections = 0;
let brokers = '';

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  brokers = `127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const record = (orderId: string): OutgoingRecord => ({
  topic: 'order-events',
  key: orderId,
  value: `{"orderId":"${orderId}"}`,
  headers: { ce_id: `id-${orderId}` },
});

describe('the rehearsal producer', () => {
  it("is the container's producer class, its sends acknowledged by the memory broker through kafkajs, in order, connecting nowhere", async () => {
    const producer = rehearsalProducer(testConfig({ KAFKA_BROKERS: brokers }));
    expect(producer).toBeInstanceOf(KafkaJsEventProducer);
    try {
      await expect(producer.send([record('o-1')], { timeoutMs: 1_000 })).resolves.toEqual([
        { topic: 'order-events', partition: 0, offset: '0' },
      ]);
      // A batch, twice: the second goes out grouped by leader, as a container's sends do once it knows them.
      for (let i = 0; i < 2; i += 1)
        await expect(
          producer.send([record('o-2'), record('o-3'), record('o-4')], { timeoutMs: 1_000 }),
        ).resolves.toEqual(
          ['0', '1', '2'].map((offset) => ({ topic: 'order-events', partition: 0, offset })),
        );
    } finally {
      await producer.disconnect();
    }
    expect(connections).toBe(0);
  });

  it('keeps the producer contract: a spent budget sends nothing and says so', async () => {
    const producer = rehearsalProducer(testConfig({ KAFKA_BROKERS: brokers }));
    await expect(producer.send([record('o-1')], { timeoutMs: 0 })).rejects.toBeInstanceOf(
      BudgetSpentError,
    );
    await producer.disconnect();
    expect(connections).toBe(0);
  });

  it('reads no SASL password: a rehearsal needs none, and must not wait for Secrets Manager', async () => {
    const config = testConfig({
      KAFKA_BROKERS: brokers,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'publisher',
      KAFKA_SASL_PASSWORD_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka',
    });
    expect(config.sasl).toMatchObject({ passwordSecretId: expect.any(String) });
    const producer = rehearsalProducer(config);
    try {
      await expect(producer.send([record('o-1')], { timeoutMs: 1_000 })).resolves.toHaveLength(1);
    } finally {
      await producer.disconnect();
    }
    expect(connections).toBe(0);
  });
});
