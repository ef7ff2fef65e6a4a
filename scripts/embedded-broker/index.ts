// In-process Kafka for local runs and end-to-end tests: librdkafka's mock cluster (real wire protocol,
// in-memory log) behind a bootstrap proxy on a well-known port.
//
// Known limits of the mock, as seen with kafkajs 2.2.4 against librdkafka 2.0.2:
// - Metadata reports ControllerId 0, which is none of the brokers (their ids are 1..n; describeCluster()
//   showed {"controller":0, brokers 1,2,3}). kafkajs sends InitProducerId for a non-transactional
//   idempotent producer to the controller, so `producer({ idempotent: true }).connect()` fails at once
//   (kafkajs bails, no retries) with KafkaJSBrokerNotFound "Broker 0 not found in the cached metadata".
//   Use idempotent: false against this broker. admin.createTopics() fails the same way, and the mock has
//   no CreateTopics handler anyway: declare topics through `topics` (Metadata requests for unknown
//   topics also auto-create them).
// - Brokers keep partition leadership while down, so a produce to a partition led by a down broker
//   fails until it is up again; there is no failover.
import { startBootstrapProxy } from './bootstrap-proxy.js';
import { MockCluster } from './mock-cluster.js';

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface EmbeddedBrokerOptions {
  /** Bootstrap port on localhost; 0 picks a free one. Default: EMBEDDED_BROKER_PORT or 9092. */
  port?: number;
  /** Number of mock brokers (ids 1..n). Default 3. */
  brokers?: number;
  /** Topics created up front. Default: order-events with 3 partitions. */
  topics?: TopicSpec[];
}

export interface BrokerFaults {
  /** Drops the broker's open connections and refuses new ones until brokerUp. */
  brokerDown(id: number): void;
  brokerUp(id: number): void;
  /** Adds `ms` of latency to every response from that broker (0 removes it). */
  setRtt(id: number, ms: number): void;
  /** The next requests with this ApiKey (e.g. 0 = Produce) fail with these Kafka error codes, in order. */
  pushRequestErrors(apiKey: number, codes: number[]): void;
  /** Forgets queued errors for one ApiKey, or for all of them. */
  clearRequestErrors(apiKey?: number): void;
}

export interface EmbeddedBroker {
  /** What clients put in `brokers` / bootstrap.servers, e.g. 'localhost:9092'. */
  bootstrap: string;
  brokerIds: number[];
  faults: BrokerFaults;
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
    for (const topic of options.topics ?? DEFAULT_TOPICS)
      cluster.createTopic(topic.name, topic.partitions);
    const addresses = cluster.brokerAddresses();
    const proxy = await startBootstrapProxy({
      port: options.port ?? defaultPort(),
      upstreams: () => addresses,
    });

    let stopped: Promise<void> | undefined;
    return {
      bootstrap: `localhost:${proxy.port}`,
      brokerIds: cluster.brokerIds,
      faults: {
        brokerDown: (id) => cluster.brokerDown(id),
        brokerUp: (id) => cluster.brokerUp(id),
        setRtt: (id, ms) => cluster.setRtt(id, ms),
        pushRequestErrors: (apiKey, codes) => cluster.pushRequestErrors(apiKey, codes),
        clearRequestErrors: (apiKey) => cluster.clearRequestErrors(apiKey),
      },
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
