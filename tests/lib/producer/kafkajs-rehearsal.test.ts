import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Message } from 'kafkajs';
import { BudgetSpentError } from '../../../lib/producer/errors.js';
import type { OutgoingRecord } from '../../../lib/producer/event-producer.js';
import { encodeProduceRequest } from '../../../lib/producer/kafkajs-encoding.js';
import { KafkaJsEventProducer } from '../../../lib/producer/kafkajs-producer.js';
import { rehearsalProducer, type SendEncoder } from '../../../lib/producer/kafkajs-rehearsal.js';
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

/** kafkajs's encoding, keeping each request it encoded. */
const recordingEncoder = () => {
  const requests: Buffer[] = [];
  const encode: SendEncoder = async (topic: string, messages: Message[], config) => {
    const request = await encodeProduceRequest(topic, messages, config);
    requests.push(request);
    return request;
  };
  return { requests, encode };
};

describe('the rehearsal producer', () => {
  it("is the container's producer class, acknowledging each record in order, encoding each send as kafkajs would, and connecting nowhere", async () => {
    const { requests, encode } = recordingEncoder();
    const producer = rehearsalProducer(testConfig({ KAFKA_BROKERS: brokers }), encode);
    expect(producer).toBeInstanceOf(KafkaJsEventProducer);

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

    expect(requests).toHaveLength(3);
    for (const text of ['order-events', '{"orderId":"o-1"}', 'id-o-1'])
      expect(requests[0]?.includes(Buffer.from(text))).toBe(true);
    for (const text of ['{"orderId":"o-2"}', '{"orderId":"o-4"}'])
      expect(requests[2]?.includes(Buffer.from(text))).toBe(true);
    expect(connections).toBe(0);
  });

  it('keeps the producer contract: a spent budget encodes nothing and says so', async () => {
    const { requests, encode } = recordingEncoder();
    const producer = rehearsalProducer(testConfig({ KAFKA_BROKERS: brokers }), encode);
    await expect(producer.send([record('o-1')], { timeoutMs: 0 })).rejects.toBeInstanceOf(
      BudgetSpentError,
    );
    expect(requests).toEqual([]);
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
    const { requests, encode } = recordingEncoder();
    await expect(
      rehearsalProducer(config, encode).send([record('o-1')], { timeoutMs: 1_000 }),
    ).resolves.toHaveLength(1);
    expect(requests).toHaveLength(1);
    expect(connections).toBe(0);
  });
});
