import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import type { Message } from 'kafkajs';
import { encodeProduceRequest } from '../../../lib/producer/kafkajs-encoding.js';
import { testConfig } from '../../support/events.js';

// kafkajs's own decoders read the request back: the test does not trust an encoding of its own.
interface KafkaDecoder {
  readInt16(): number;
  readInt32(): number;
  readString(): string | null;
}
interface DecodedRecord {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
  timestamp: string;
}
const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkaDecoder;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: KafkaDecoder,
) => Promise<{ producerId: string; firstSequence: number; records: DecodedRecord[] }>;

/** The frame as a broker reads it: size, request header, Produce v3+ body of one topic and partition. */
const readProduceRequest = async (frame: Buffer) => {
  const decoder = new Decoder(frame);
  const request = {
    size: decoder.readInt32(),
    apiKey: decoder.readInt16(),
    apiVersion: decoder.readInt16(),
    correlationId: decoder.readInt32(),
    clientId: decoder.readString(),
    transactionalId: decoder.readString(),
    acks: decoder.readInt16(),
    timeout: decoder.readInt32(),
    topics: decoder.readInt32(),
    topic: decoder.readString(),
    partitions: decoder.readInt32(),
    partition: decoder.readInt32(),
    batchBytes: decoder.readInt32(),
  };
  return { ...request, batch: await decodeRecordBatch(decoder) };
};

const message = (orderId: string): Message => ({
  key: orderId,
  value: JSON.stringify({ orderId }),
  headers: { ce_id: `id-${orderId}`, ce_type: 'order-created' },
  timestamp: '1764000000000',
});

describe('encodeProduceRequest', () => {
  it('frames a Produce v7 request as a kafkajs connection writes it, with the configured acks and timeout', async () => {
    const config = testConfig({ KAFKA_CLIENT_ID: 'publisher-x', KAFKA_REQUEST_TIMEOUT_MS: '4200' });
    const frame = await encodeProduceRequest('order-events', [message('o-1')], config);

    expect(await readProduceRequest(frame)).toMatchObject({
      size: frame.length - 4,
      apiKey: 0,
      apiVersion: 7,
      clientId: 'publisher-x',
      transactionalId: null,
      acks: -1,
      timeout: 4200,
      topics: 1,
      topic: 'order-events',
      partitions: 1,
    });
  });

  it('carries every message: key, value, headers and timestamp', async () => {
    const messages = [message('o-1'), message('o-2')];
    const { batch } = await readProduceRequest(
      await encodeProduceRequest('order-events', messages, testConfig()),
    );

    expect(
      batch.records.map(({ key, value, headers, timestamp }) => ({
        key: key.toString(),
        value: value.toString(),
        headers: Object.fromEntries(
          Object.entries(headers).map(([name, bytes]) => [name, bytes.toString()]),
        ),
        timestamp,
      })),
    ).toEqual(messages);
  });

  it.each([
    ['true', '0'],
    ['false', '-1'],
  ])(
    'KAFKA_IDEMPOTENT=%s: a producer id of the kind the send has (%s)',
    async (idempotent, producerId) => {
      const config = testConfig({
        KAFKA_IDEMPOTENT: idempotent,
        KAFKA_ACKS: idempotent === 'true' ? '-1' : '1',
      });
      const { acks, batch } = await readProduceRequest(
        await encodeProduceRequest('order-events', [message('o-1')], config),
      );

      expect({ acks, producerId: batch.producerId, firstSequence: batch.firstSequence }).toEqual({
        acks: config.acks,
        producerId,
        firstSequence: 0,
      });
    },
  );
});
