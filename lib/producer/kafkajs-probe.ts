/**
 * BrokerProbe on kafkajs's admin client: Metadata requests only (the admin client never creates topics).
 * One instance lives for the whole container, like the producer: warm health checks reuse its connection
 * instead of paying a TCP (and TLS, and SASL) handshake each, and concurrent first checks share one connect.
 */

import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Config } from '../config.js';
import type { BrokerMetadata, BrokerProbe } from '../health.js';
import { brokerConnection, withBrokerCredentials } from './broker-security.js';
import { ReusableConnection } from './reusable-connection.js';

const { Kafka, logLevel } = kafkajs;

export type ProbeAdmin = Pick<
  Admin,
  'connect' | 'disconnect' | 'describeCluster' | 'fetchTopicMetadata'
>;
export type AdminFactory = (config: Config) => ProbeAdmin;

export const createAdminClient: AdminFactory = (config) =>
  new Kafka({
    clientId: `${config.clientId}-health`,
    ...brokerConnection(config),
    // A couple of quick retries ride over one dead seed broker; more would only keep working after the
    // health check's deadline has already answered 503.
    retry: { retries: 2, initialRetryTime: config.retryInitialMs, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  }).admin();

export class KafkaJsBrokerProbe implements BrokerProbe {
  // The credentials first (a password in Secrets Manager is read once per container), then the client.
  private readonly connection = new ReusableConnection(() =>
    withBrokerCredentials(this.config, this.createAdmin),
  );

  constructor(
    private readonly config: Config,
    private readonly createAdmin: AdminFactory = createAdminClient,
  ) {}

  async fetchMetadata(): Promise<BrokerMetadata> {
    const admin = await this.connection.get();
    try {
      const { brokers } = await admin.describeCluster();
      return { brokers: brokers.length, topicPartitions: await this.partitions(admin) };
    } catch (error) {
      // Start the next check from a fresh connection rather than from whatever state this failure left.
      void this.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    await this.connection.close();
  }

  private async partitions(admin: ProbeAdmin): Promise<number | undefined> {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.config.topic] });
      return topics.find((topic) => topic.name === this.config.topic)?.partitions.length;
    } catch (error) {
      // The cluster answered: it just has no such topic.
      if (isKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) return undefined;
      throw error;
    }
  }
}

const isKafkaError = (error: unknown, type: string) =>
  typeof error === 'object' && error !== null && 'type' in error && error.type === type;
