/**
 * EventProducer on kafkajs. One instance lives for the whole container: it connects on the first send,
 * shares that one connect among concurrent first sends, and reconnects on the next send after kafkajs
 * reports the producer disconnected. It never disconnects per request, which is the point: a warm
 * invocation costs one produce round trip, not a TCP (and TLS, and SASL) handshake per call.
 */

import type { Kafka, Message, Producer, ProducerConfig } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Config } from '../config.js';
import { withDeadline } from '../deadline.js';
import { brokerConnection, withBrokerCredentials } from './broker-security.js';
import { BrokerUnavailableError, PublishTimeoutError } from './errors.js';
import type { EventProducer, OutgoingRecord, RecordAck, SendOptions } from './event-producer.js';
import { ReusableConnection } from './reusable-connection.js';

const { Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;

/** What this class needs from kafkajs's Kafka client; unit tests hand in a fake. */
export type KafkaFactory = (config: Config) => Pick<Kafka, 'producer'>;

export const createKafkaClient: KafkaFactory = (config) =>
  new KafkaClient({
    clientId: config.clientId,
    ...brokerConnection(config),
    retry: {
      retries: config.retries,
      initialRetryTime: config.retryInitialMs,
      multiplier: 2,
      maxRetryTime: 2_000,
    },
    logLevel: logLevel.NOTHING,
  });

export interface KafkaJsEventProducerOptions {
  /**
   * Disconnect after this long without a send. Only for one-shot processes (`serverless invoke local`, a
   * script): kafkajs keeps a 100 ms timer per connection, so a connected producer keeps such a process
   * alive forever. Left unset on Lambda and serverless-offline, where the connection is the point.
   */
  idleDisconnectMs?: number;
}

export class KafkaJsEventProducer implements EventProducer {
  // Two steps: first the broker credentials (a SASL password kept in Secrets Manager is read once per
  // container, asynchronously), then the kafkajs client and its producer, made with them.
  private readonly connection = new ReusableConnection(() =>
    withBrokerCredentials(this.config, (config) => this.createProducer(config)),
  );
  private idleTimer: NodeJS.Timeout | undefined;
  /** Which partition the partitioner chose for each message of the send under way (see send). */
  private readonly chosenPartition = new WeakMap<Message, number>();

  constructor(
    private readonly config: Config,
    private readonly createClient: KafkaFactory = createKafkaClient,
    private readonly options: KafkaJsEventProducerOptions = {},
  ) {}

  async send(records: readonly OutgoingRecord[], { timeoutMs }: SendOptions): Promise<RecordAck[]> {
    clearTimeout(this.idleTimer);
    try {
      return await withDeadline(
        this.connectAndSend(records, timeoutMs),
        timeoutMs,
        () => new PublishTimeoutError(`Kafka did not acknowledge within ${timeoutMs} ms`),
      );
    } finally {
      this.scheduleIdleDisconnect();
    }
  }

  async disconnect(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.connection.close();
  }

  private scheduleIdleDisconnect(): void {
    const { idleDisconnectMs } = this.options;
    if (idleDisconnectMs === undefined) return;
    this.idleTimer = setTimeout(
      () => void this.disconnect().catch(() => undefined),
      idleDisconnectMs,
    );
    // The timer itself must not be what keeps a process alive.
    this.idleTimer.unref();
  }

  private async connectAndSend(
    records: readonly OutgoingRecord[],
    timeoutMs: number,
  ): Promise<RecordAck[]> {
    const producer = await this.connection.get().catch((error: unknown) => {
      throw toBrokerError(error);
    });
    const topic = records[0]?.topic ?? this.config.topic;
    const messages: Message[] = records.map(({ key, value, headers }) => ({ key, value, headers }));
    try {
      const results = await producer.send({
        topic,
        messages,
        acks: this.config.acks,
        timeout: Math.min(this.config.requestTimeoutMs, timeoutMs),
      });
      return acksInRecordOrder(
        messages,
        (message) => this.chosenPartition.get(message),
        results,
        topic,
      );
    } catch (error) {
      throw toBrokerError(error);
    }
  }

  private createProducer(config: Config): Producer {
    const producerConfig: ProducerConfig = {
      idempotent: this.config.idempotent,
      allowAutoTopicCreation: false,
      // kafkajs's DefaultPartitioner is Java's murmur2: the same key lands on the same partition as with
      // any other Kafka client. Wrapped to remember each message's partition, because kafkajs answers
      // per partition (a base offset), not per message.
      createPartitioner: () => {
        const partition = Partitioners.DefaultPartitioner();
        return (args) => {
          const chosen = partition(args);
          this.chosenPartition.set(args.message, chosen);
          return chosen;
        };
      },
    };
    // Idempotence needs one in-flight request per connection to keep its ordering guarantee.
    if (this.config.idempotent) producerConfig.maxInFlightRequests = 1;
    const producer = this.createClient(config).producer(producerConfig);
    producer.on(producer.events.DISCONNECT, () => this.connection.markLost());
    return producer;
  }
}

interface PartitionResult {
  topicName: string;
  partition: number;
  baseOffset?: string;
}

/** Turns kafkajs's per-partition base offsets into one ack per message, in the order the messages were given. */
const acksInRecordOrder = (
  messages: readonly Message[],
  partitionOf: (message: Message) => number | undefined,
  results: readonly PartitionResult[],
  topic: string,
): RecordAck[] => {
  const nextOffset = new Map<number, bigint>();
  for (const result of results) {
    if (result.topicName === topic && result.baseOffset !== undefined)
      nextOffset.set(result.partition, BigInt(result.baseOffset));
  }
  return messages.map((message) => {
    const partition = partitionOf(message);
    const offset = partition === undefined ? undefined : nextOffset.get(partition);
    if (partition === undefined || offset === undefined) {
      throw new BrokerUnavailableError(
        'The broker acknowledged the send but returned no offset for a record',
      );
    }
    nextOffset.set(partition, offset + 1n);
    return { topic, partition, offset: offset.toString() };
  });
};

const toBrokerError = (error: unknown): BrokerUnavailableError => {
  const kafkaErrorCode =
    typeof error === 'object' && error !== null && 'type' in error ? String(error.type) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new BrokerUnavailableError(`Kafka did not accept the record: ${message}`, {
    cause: error,
    kafkaErrorCode,
  });
};
