/**
 * kafkajs's encoding of a send, run on records without sending them. Before a container's first request, V8
 * has never run the code that turns records into a Produce request (the record batch, its varints, its CRC-32C),
 * so the first send runs it in V8's interpreter. Encoding the route's records ahead, as a rehearsal does
 * (rehearsal.ts), lets V8 compile and optimise that code while nothing waits for it, and nothing reaches Kafka.
 */
import type { Message } from 'kafkajs';
import encodeRequest from 'kafkajs/src/protocol/request.js';
import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import type { Config } from '../config.js';

/** What of the configuration shapes a send's request. */
export type EncodingConfig = Pick<Config, 'acks' | 'clientId' | 'idempotent' | 'requestTimeoutMs'>;

/** kafkajs's newest Produce version, sent to any broker since Kafka 2.1; v3 to v6 share its encoding. */
const PRODUCE_VERSION = 7;

/**
 * The Produce request a send of these messages puts on the wire, framed as a connection writes it. Its
 * partition, producer id and sequence are placeholders of the types a send gives them.
 */
export const encodeProduceRequest = async (
  topic: string,
  messages: Message[],
  { acks, clientId, idempotent, requestTimeoutMs }: EncodingConfig,
): Promise<Buffer> => {
  const { request } = produce.protocol({ version: PRODUCE_VERSION })({
    acks,
    timeout: requestTimeoutMs,
    compression: 0,
    // An idempotent producer's id comes from the broker as a decimal string; without one it is -1.
    producerId: idempotent ? '0' : -1,
    producerEpoch: 0,
    topicData: [{ topic, partitions: [{ partition: 0, firstSequence: 0, messages }] }],
  });
  return (await encodeRequest({ correlationId: 0, clientId, request })).buffer;
};
