// In-process Kafka for local runs and end-to-end tests: librdkafka's mock cluster (real wire protocol,
// in-memory log) behind a Kafka-protocol-aware proxy (kafka-proxy.ts) with a bootstrap on a well-known port.
//
// Known limits of the mock, as seen with kafkajs 2.2.4 against librdkafka 2.0.2:
// - Metadata reports ControllerId 0, which is none of the brokers (their ids are 1..n). kafkajs asks the
//   controller for an idempotent producer's id (InitProducerId), so the proxy names a live broker instead;
//   with that, kafkajs's idempotent producer initialises and sends.
// - The mock checks producer sequence numbers only for transactional producers: an idempotent producer's
//   retried batch is written again, where a real broker would drop the duplicate.
// - admin.createTopics() has no handler in the mock: declare topics through `topics` (Metadata requests for
//   unknown topics also auto-create them, leaders as the mock assigns them).
// - Brokers keep partition leadership while down, so a produce to a partition led by a down broker
//   fails until it is up again; there is no failover.
import {
  ALL_BROKERS,
  type HangRule,
  type KafkaProxy,
  type ResetRule,
  startKafkaProxy,
} from './kafka-proxy.js';
import { MockCluster } from './mock-cluster.js';

export type { HangRule, ProduceLogEntry, ResetRule } from './kafka-proxy.js';
export { ALL_BROKERS } from './kafka-proxy.js';

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface EmbeddedBrokerOptions {
  /** Bootstrap port on localhost; 0 picks a free one. Default: EMBEDDED_BROKER_PORT or 9092. */
  port?: number;
  /** Number of mock brokers (ids 1..n). Default 3. */
  brokers?: number;
  /** Topics created up front, their leaders spread round-robin over the brokers. Default: order-events with 3 partitions. */
  topics?: TopicSpec[];
}

export interface BrokerFaults {
  /** Drops the broker's open connections and refuses new ones until brokerUp (id -1: every broker). */
  brokerDown(id: number): void;
  brokerUp(id: number): void;
  /** Adds `ms` of latency to every response from that broker (0 removes it). */
  setRtt(id: number, ms: number): void;
  /** The next requests with this ApiKey (e.g. 0 = Produce) fail with these Kafka error codes, in order. */
  pushRequestErrors(apiKey: number, codes: number[]): void;
  /** Forgets queued errors for one ApiKey, or for all of them. */
  clearRequestErrors(apiKey?: number): void;
  /**
   * At the proxy: the broker (id -1: every broker) reads requests and never answers them (only those with this
   * ApiKey, when given), until clearProxyFaults.
   */
  hang(rule: HangRule): void;
  /** At the proxy: matching requests get their connection reset once they have arrived (never forwarded). */
  reset(rule: ResetRule): void;
  clearProxyFaults(): void;
}

export interface EmbeddedBroker {
  /** What clients put in `brokers` / bootstrap.servers, e.g. 'localhost:9092'. */
  bootstrap: string;
  brokerIds: number[];
  faults: BrokerFaults;
  /** Every Produce request that reached the proxy, oldest first. */
  produced: KafkaProxy['produced'];
  clearProduced(): void;
  stop(): Promise<void>;
}

export const DEFAULT_TOPICS: TopicSpec[] = [{ name: 'order-events', partitions: 3 }];

export function defaultPort(): number {
  const fromEnv = process.env.EMBEDDED_BROKER_PORT;
  return fromEnv ? Number(fromEnv) : 9092;
}

export async function startEmbeddedBroker(
  options: EmbeddedBrokerOptions = {},
): Promise<EmbeddedBroker> {
  const cluster = new MockCluster(options.brokers ?? 3);
  try {
    const { brokerIds } = cluster;
    for (const topic of options.topics ?? DEFAULT_TOPICS) {
      cluster.createTopic(topic.name, topic.partitions);
      // The mock gives every partition the same leader; a real cluster spreads them.
      for (let partition = 0; partition < topic.partitions; partition++)
        cluster.setPartitionLeader(
          topic.name,
          partition,
          brokerIds[partition % brokerIds.length] as number,
        );
    }
    const down = new Set<number>();
    const idsOf = (id: number) => (id === ALL_BROKERS ? brokerIds : [id]);
    const proxy = await startKafkaProxy({
      bootstrapPort: options.port ?? defaultPort(),
      brokers: cluster.brokerAddresses(),
      isDown: (id) => down.has(id),
    });

    let stopped: Promise<void> | undefined;
    return {
      bootstrap: `localhost:${proxy.bootstrapPort}`,
      brokerIds,
      faults: {
        brokerDown: (id) => {
          cluster.brokerDown(id);
          for (const each of idsOf(id)) down.add(each);
        },
        brokerUp: (id) => {
          cluster.brokerUp(id);
          for (const each of idsOf(id)) down.delete(each);
        },
        setRtt: (id, ms) => cluster.setRtt(id, ms),
        pushRequestErrors: (apiKey, codes) => cluster.pushRequestErrors(apiKey, codes),
        clearRequestErrors: (apiKey) => cluster.clearRequestErrors(apiKey),
        hang: (rule) => {
          knownBroker(brokerIds, rule.brokerId);
          proxy.hang(rule);
        },
        reset: (rule) => {
          knownBroker(brokerIds, rule.brokerId);
          proxy.reset(rule);
        },
        clearProxyFaults: () => proxy.clearFaults(),
      },
      produced: () => proxy.produced(),
      clearProduced: () => proxy.clearProduced(),
      stop() {
        stopped ??= proxy.stop().finally(() => cluster.destroy());
        return stopped;
      },
    };
  } catch (error) {
    cluster.destroy();
    throw error;
  }
}

function knownBroker(brokerIds: number[], id: number): void {
  if (id !== ALL_BROKERS && !brokerIds.includes(id)) throw new Error(`no broker ${id}`);
}
