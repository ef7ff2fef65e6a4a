/**
 * EventProducer on kafkajs. One producer serves the container's warm invocations: it connects on the first
 * send, shares that one connect among concurrent first sends, and reconnects on the next send after kafkajs
 * reports it disconnected. It never disconnects per request, which is the point: a warm invocation costs one
 * produce round trip, not a TCP (and TLS, and SASL) handshake per call.
 *
 * A send ends with its deadline: if the broker has not acknowledged by then, the producer's generation is
 * retired (see producer-generation.ts), so nothing of that send goes on after the answer, and the next send
 * starts on a new producer. So does a send that failed other than by a broker's error code.
 *
 * A send of several records goes out as one request per leading broker, so that when one broker fails, the
 * records the others acknowledged are known and reported (in the error's `acknowledged`), instead of kafkajs's
 * all-or-nothing answer for the whole send.
 */

import type { ISocketFactory, Kafka, Message, Producer, ProducerConfig } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Config } from '../config.js';
import { withDeadline } from '../deadline.js';
import {
  brokerConnection,
  forgetRefusedPassword,
  withBrokerCredentials,
} from './broker-security.js';
import {
  type BrokerError,
  BrokerUnavailableError,
  BudgetSpentError,
  causeChain,
  PublishTimeoutError,
} from './errors.js';
import type { EventProducer, OutgoingRecord, RecordAck, SendOptions } from './event-producer.js';
import { type KeptCluster, keptClusterOf } from './kafkajs-leaders.js';
import { ProducerGeneration } from './producer-generation.js';

const { Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;

/** What this class needs from kafkajs's Kafka client; unit tests hand in a fake. */
export type KafkaFactory = (
  config: Config,
  socketFactory: ISocketFactory,
) => Pick<Kafka, 'producer'>;

/** The client; without a socket factory, kafkajs's own (for code that needs no generations: the bench's raw floor). */
export const createKafkaClient = (config: Config, socketFactory?: ISocketFactory): Kafka =>
  new KafkaClient({
    clientId: config.clientId,
    ...brokerConnection(config),
    ...(socketFactory ? { socketFactory } : {}),
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

/** The records of one send that go to one broker, with their places in the send. */
interface RecordGroup {
  indexes: number[];
  messages: Message[];
}

export class KafkaJsEventProducer implements EventProducer {
  #generation: ProducerGeneration | undefined;
  /** Generations retired so far in this container (for tests and diagnostics). */
  retiredGenerations = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Sends under way: the idle disconnect waits for the last of them. */
  #sending = 0;
  /** Which partition the partitioner chose for each message of the sends under way. */
  readonly #chosenPartition = new WeakMap<Message, number>();
  readonly #partitionByKey = Partitioners.DefaultPartitioner();
  /** Each generation's cluster, kept (kafkajs-leaders.ts), where its client allows it. */
  readonly #keptClusters = new WeakMap<ProducerGeneration, KeptCluster>();

  readonly #config: Config;
  readonly #createClient: KafkaFactory;
  readonly #options: KafkaJsEventProducerOptions;

  constructor(
    config: Config,
    createClient: KafkaFactory = createKafkaClient,
    options: KafkaJsEventProducerOptions = {},
  ) {
    this.#config = config;
    this.#createClient = createClient;
    this.#options = options;
  }

  async send(records: readonly OutgoingRecord[], { timeoutMs }: SendOptions): Promise<RecordAck[]> {
    if (timeoutMs <= 0)
      throw new BudgetSpentError('The time left for the send was spent before it began');
    clearTimeout(this.#idleTimer);
    this.#sending += 1;
    const generation = this.#currentGeneration();
    const acks: (RecordAck | undefined)[] = records.map(() => undefined);
    const failures: BrokerError[] = [];
    const sendGroups = async () => {
      // A send of several records on a producer that has not sent yet learns the partitions first (with the
      // metadata request that send would make anyway), so that it goes out by leader too.
      if (records.length > 1) await this.#learnPartitions(generation, records[0]?.topic, 'unknown');
      const sends = this.#groupByLeader(generation, records).map((group) =>
        this.#sendGroup(generation, group, records, timeoutMs).then((groupAcks) => {
          group.indexes.forEach((index, i) => {
            acks[index] = groupAcks[i];
          });
        }, collectFailure),
      );
      await Promise.all(sends);
    };
    const collectFailure = (error: unknown) => {
      failures.push(toBrokerError(error, acks));
    };
    try {
      await withDeadline(
        sendGroups().catch(collectFailure),
        timeoutMs,
        () => new PublishTimeoutError(`Kafka did not acknowledge within ${timeoutMs} ms`),
      );
    } catch (timeout) {
      // What is still under way must not outlive the invocation: retire the producer it runs on.
      this.#retire(generation);
      throw new PublishTimeoutError((timeout as Error).message, { acknowledged: [...acks] });
    } finally {
      this.#sending -= 1;
      this.#scheduleIdleDisconnect();
    }
    const [failure] = failures;
    if (failure) {
      for (const refused of failures) forgetRefusedPassword(this.#config, refused);
      // A broker's answer (an error code) leaves the client sound, except the few of RETIRING_CODES (below).
      // Anything else (a connect that failed, a connection lost) can leave a kafkajs client that fails every
      // later connect at once ("Broker not connected"). Either way, the next send starts on a new producer.
      if (
        failures.some(
          ({ kafkaErrorCode }) =>
            kafkaErrorCode === undefined || RETIRING_CODES.has(kafkaErrorCode),
        )
      )
        this.#retire(generation);
      throw new BrokerUnavailableError(failure.message, {
        cause: failure.cause,
        kafkaErrorCode: failure.kafkaErrorCode,
        acknowledged: [...acks],
      });
    }
    return acks.map((ack) => {
      if (!ack)
        throw new BrokerUnavailableError('The broker acknowledged the send but not a record');
      return ack;
    });
  }

  /**
   * Connects ahead of the first send (a container initialised before its traffic): learns the topic's partitions
   * and connects the brokers that lead them.
   */
  async connect(): Promise<void> {
    const generation = this.#currentGeneration();
    try {
      await this.#learnPartitions(generation, this.#config.topic, 'always');
    } catch (error) {
      // As after a failed send: a failed connect can leave the client failing every later one at once.
      if (kafkaErrorCodeOf(error) === undefined) this.#retire(generation);
      forgetRefusedPassword(this.#config, error);
      throw error;
    }
    // Not so a leader that could not be reached: the producer may be serving requests by then (its retries take
    // seconds), and a send to that leader's partitions fails (and retires the producer) by itself if it must.
    await this.#keptClusters.get(generation)?.connectLeaders(this.#config.topic);
  }

  /**
   * Connects and fetches the topic's metadata, which a first send would otherwise wait for, and remembers its
   * partitions where the generation's cluster is kept. `unknown`: only if the generation has not seen them.
   */
  async #learnPartitions(
    generation: ProducerGeneration,
    topic = this.#config.topic,
    when: 'always' | 'unknown',
  ): Promise<void> {
    const producer = await generation.connection.get();
    const cluster = this.#keptClusters.get(generation); // made with the producer
    if (when === 'unknown' && (!cluster || generation.partitionsOf(topic))) return;
    // A send of no records writes nothing: kafkajs makes no produce request without records.
    await producer.send({ topic, messages: [], acks: this.#config.acks });
    const partitions = cluster?.partitionsOf(topic);
    if (partitions) generation.rememberPartitions(topic, partitions);
  }

  async disconnect(): Promise<void> {
    clearTimeout(this.#idleTimer);
    await this.#generation?.connection.close();
  }

  #currentGeneration(): ProducerGeneration {
    if (!this.#generation || this.#generation.retired)
      // Two steps: first the broker credentials (a SASL password kept in Secrets Manager is read once per
      // container, asynchronously), then the kafkajs client and its producer, made with them.
      this.#generation = new ProducerGeneration((socketFactory, generation) =>
        withBrokerCredentials(this.#config, (config) =>
          this.#createProducer(config, socketFactory, generation),
        ),
      );
    return this.#generation;
  }

  #retire(generation: ProducerGeneration): void {
    if (generation.retired) return;
    generation.retire();
    this.retiredGenerations += 1;
  }

  #scheduleIdleDisconnect(): void {
    const { idleDisconnectMs } = this.#options;
    if (idleDisconnectMs === undefined || this.#sending > 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () => void this.disconnect().catch(() => undefined),
      idleDisconnectMs,
    );
    // The timer itself must not be what keeps a process alive.
    this.#idleTimer.unref();
  }

  /**
   * One group per broker that leads a partition the records go to, each record pinned to the partition the
   * default partitioner picks for its key (so to the same one a single send would have). Before this
   * generation knows the topic's partitions (a single record, or a client whose cluster is not kept), one group:
   * kafkajs fetches them during that send.
   */
  #groupByLeader(
    generation: ProducerGeneration,
    records: readonly OutgoingRecord[],
  ): RecordGroup[] {
    const topic = records[0]?.topic ?? this.#config.topic;
    const partitionMetadata = generation.partitionsOf(topic);
    if (!partitionMetadata || records.length === 1)
      return [{ indexes: records.map((_, i) => i), messages: records.map(toMessage) }];
    const groups = new Map<number, RecordGroup>();
    records.forEach((record, index) => {
      const message = toMessage(record);
      message.partition = this.#partitionByKey({ topic, partitionMetadata, message });
      const leader =
        partitionMetadata.find(({ partitionId }) => partitionId === message.partition)?.leader ??
        -1;
      const group = groups.get(leader) ?? { indexes: [], messages: [] };
      group.indexes.push(index);
      group.messages.push(message);
      groups.set(leader, group);
    });
    return [...groups.values()];
  }

  async #sendGroup(
    generation: ProducerGeneration,
    { messages }: RecordGroup,
    records: readonly OutgoingRecord[],
    timeoutMs: number,
  ): Promise<RecordAck[]> {
    const producer = await generation.connection.get();
    const topic = records[0]?.topic ?? this.#config.topic;
    const results = await producer.send({
      topic,
      messages,
      acks: this.#config.acks,
      timeout: Math.min(this.#config.requestTimeoutMs, timeoutMs),
    });
    return acksInRecordOrder(
      messages,
      (message) => this.#chosenPartition.get(message),
      results,
      topic,
    );
  }

  #createProducer(
    config: Config,
    socketFactory: ISocketFactory,
    generation: ProducerGeneration,
  ): Producer {
    // Retired while its password was being read (the send that waited for it ran out of time): a client made
    // now would only retry a connect its closed sockets refuse, after that send's answer.
    if (generation.retired) throw new Error('retired before its client was made');
    const producerConfig: ProducerConfig = {
      idempotent: this.#config.idempotent,
      allowAutoTopicCreation: false,
      // kafkajs's DefaultPartitioner is Java's murmur2: the same key lands on the same partition as with
      // any other Kafka client (and it keeps a partition a message already names). Wrapped to remember each
      // message's partition, because kafkajs answers per partition (a base offset), not per message, and
      // the partitions' leaders, to split the next sends by broker.
      createPartitioner: () => {
        const partition = Partitioners.DefaultPartitioner();
        return (args) => {
          const chosen = partition(args);
          this.#chosenPartition.set(args.message, chosen);
          generation.rememberPartitions(args.topic, args.partitionMetadata);
          return chosen;
        };
      },
    };
    // Idempotence needs one in-flight request per connection to keep its ordering guarantee.
    if (this.#config.idempotent) producerConfig.maxInFlightRequests = 1;
    const client = this.#createClient(config, socketFactory);
    const cluster = keptClusterOf(client);
    if (cluster) this.#keptClusters.set(generation, cluster);
    const producer = client.producer(producerConfig);
    producer.on(producer.events.DISCONNECT, () => generation.connection.markLost());
    return producer;
  }
}

/**
 * Kafka's answers after which an idempotent producer must not send again:
 * - the broker no longer accepts its id, epoch or sequence, and kafkajs never asks for a new producer id, so every
 *   later send to that partition would fail alike;
 * - the broker may have appended the batch without acknowledging it (too few in-sync replicas after the append,
 *   or its own wait for them timed out). kafkajs takes the partition's sequence back after a failed send, so the
 *   next request's batch would carry the same sequence, and the broker would take it for a duplicate of the one
 *   it appended: a 202 with that batch's offset, and the new event never written.
 */
const RETIRING_CODES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
]);

const toMessage = ({ key, value, headers, timestamp }: OutgoingRecord): Message => ({
  key,
  value,
  headers,
  timestamp,
});

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

const toBrokerError = (
  error: unknown,
  acknowledged: readonly (RecordAck | undefined)[],
): BrokerError => {
  if (error instanceof BrokerUnavailableError) return error;
  const kafkaErrorCode = kafkaErrorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return new BrokerUnavailableError(`Kafka did not accept the record: ${message}`, {
    cause: error,
    kafkaErrorCode,
    acknowledged,
  });
};

/**
 * Kafka's error name (a KafkaJSProtocolError's type): on the error itself, or on the one it wraps when kafkajs's
 * retries ran out (KafkaJSNumberOfRetriesExceeded keeps the last error as its cause).
 */
const kafkaErrorCodeOf = (error: unknown): string | undefined => {
  const answered = causeChain(error).find(
    (link) => 'type' in link && typeof link.type === 'string',
  );
  return answered && (answered as { type: string }).type;
};
