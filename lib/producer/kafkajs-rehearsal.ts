/**
 * The producer a container's rehearsal (../rehearsal.ts) sends through: the container's own KafkaJsEventProducer,
 * on a kafkajs client that connects nowhere. So a rehearsal runs the code a request's send runs (the producer's
 * grouping, deadline and acknowledgements in record order, kafkajs's partitioner, and kafkajs's encoding of the
 * Produce request, kafkajs-encoding.ts) on objects of the same classes, and V8 has it optimised before the first
 * request; nothing leaves the process.
 */
import type { Message, PartitionMetadata, Producer, ProducerConfig, ProducerRecord } from 'kafkajs';
import type { Config } from '../config.js';
import type { EventProducer } from './event-producer.js';
import { type EncodingConfig, encodeProduceRequest } from './kafkajs-encoding.js';
import { type KafkaFactory, KafkaJsEventProducer } from './kafkajs-producer.js';

/** Encodes a send's request; tests hand in one that records what it encoded. */
export type SendEncoder = (
  topic: string,
  messages: Message[],
  config: EncodingConfig,
) => Promise<unknown>;

/** One partition, led by one broker: where every rehearsed record goes. */
const PARTITIONS: PartitionMetadata[] = [
  {
    partitionErrorCode: 0,
    partitionId: 0,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  },
];

/**
 * A kafkajs client whose producer connects nowhere: each send runs the partitioner the producer was made with
 * and kafkajs's encoding of the request, and answers as a broker that appended the records at offset 0.
 */
const unconnectedKafka =
  (encode: SendEncoder = encodeProduceRequest): KafkaFactory =>
  (config) => ({
    producer: ({ createPartitioner }: ProducerConfig = {}) => {
      const partition = createPartitioner?.();
      const producer: Pick<Producer, 'connect' | 'disconnect' | 'on' | 'events' | 'send'> = {
        connect: async () => undefined,
        disconnect: async () => undefined,
        on: () => () => undefined,
        events: { DISCONNECT: 'producer.disconnect' } as Producer['events'],
        send: async ({ topic, messages }: ProducerRecord) => {
          for (const message of messages)
            partition?.({ topic, partitionMetadata: PARTITIONS, message });
          await encode(topic, messages, config);
          // Shaped as kafkajs answers a send (its keys, in its order), so that what runs on it is optimised for that.
          return [
            {
              topicName: topic,
              partition: 0,
              errorCode: 0,
              baseOffset: '0',
              logAppendTime: '-1',
              logStartOffset: '0',
            },
          ];
        },
      };
      // The rest of kafkajs's Producer (transactions, offsets) is never called by KafkaJsEventProducer.
      return producer as Producer;
    },
  });

/** The container's producer class on an unconnected client; without SASL settings, so it reads no secret. */
export const rehearsalProducer = (
  config: Config,
  encode: SendEncoder = encodeProduceRequest,
): EventProducer =>
  new KafkaJsEventProducer({ ...config, sasl: undefined }, unconnectedKafka(encode));
