/**
 * The cluster of a kafkajs producer, kept: which brokers lead a topic's partitions, and their connections
 * opened ahead. kafkajs connects to the seed broker when its producer connects, and to each other broker the
 * first time a send goes to a partition that broker leads: TCP, TLS, its API versions and SASL, all inside that
 * send. A container initialised ahead of its traffic (provisioned concurrency) opens them while it initialises
 * instead, so that its first requests do not. And a send of several records can be split by leader from the
 * first (see kafkajs-producer.ts) once the partitions are known, which kafkajs tells only its partitioner.
 *
 * kafkajs has no public call for either. Its client makes each producer's cluster (the brokers and their
 * connections) with a private instance function; this wraps it, on one client, to keep the cluster it makes.
 */
import type { PartitionMetadata } from 'kafkajs';

/** What is used of kafkajs's Cluster (kafkajs/src/cluster/index.js). */
interface KafkaJsCluster {
  /** Throws until the cluster has fetched metadata; [] for a topic that metadata does not name. */
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findBroker(broker: { nodeId: number }): Promise<unknown>;
}

type ClusterFactory = (options: unknown) => KafkaJsCluster;

/** The description of the symbol kafkajs's Client keeps its cluster factory under (kafkajs/src/index.js). */
const CREATE_CLUSTER = 'private:Kafka:createCluster';

export interface KeptCluster {
  /** The topic's partitions as the cluster last fetched them; undefined before it has (or for no producer yet). */
  partitionsOf(topic: string): PartitionMetadata[] | undefined;
  /** Connects the brokers that lead the topic's partitions (once its metadata is in); resolves with how many. */
  connectLeaders(topic: string): Promise<number>;
}

/**
 * Has the client keep the cluster of the producer it makes next, and returns what reads it; undefined for a
 * client without kafkajs's private cluster factory (a test's fake, another version).
 */
export const keptClusterOf = (client: object): KeptCluster | undefined => {
  const slots = client as Record<symbol, unknown>;
  const key = Object.getOwnPropertySymbols(client).find(
    (symbol) => symbol.description === CREATE_CLUSTER,
  );
  const createCluster = key && slots[key];
  if (!key || typeof createCluster !== 'function') return undefined;
  let cluster: KafkaJsCluster | undefined;
  slots[key] = ((options) => {
    cluster = (createCluster as ClusterFactory)(options);
    return cluster;
  }) satisfies ClusterFactory;
  const partitionsOf = (topic: string) => {
    try {
      const partitions = cluster?.findTopicPartitionMetadata(topic);
      return partitions?.length ? partitions : undefined;
    } catch {
      return undefined; // no metadata fetched yet
    }
  };
  return {
    partitionsOf,
    connectLeaders: async (topic) => {
      const made = cluster;
      if (!made) return 0;
      // A partition without a leader (-1) has no broker to connect to; its sends fail over to a new one.
      const leaders = new Set(
        (partitionsOf(topic) ?? []).map(({ leader }) => leader).filter((leader) => leader >= 0),
      );
      await Promise.all([...leaders].map((nodeId) => made.findBroker({ nodeId })));
      return leaders.size;
    },
  };
};
