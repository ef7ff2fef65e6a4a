/**
 * The connections to a topic's partition leaders, opened ahead. kafkajs connects to the seed broker when its
 * producer connects, and to each other broker the first time a send goes to a partition that broker leads:
 * TCP, TLS, its API versions and SASL, all inside that send. A container initialised ahead of its traffic
 * (provisioned concurrency) opens them while it initialises instead, so that its first requests do not.
 *
 * kafkajs has no public call for this. Its client makes each producer's cluster (the brokers and their
 * connections) with a private instance function; this wraps it, on one client, to keep the cluster it makes.
 */

/** What is used of kafkajs's Cluster (kafkajs/src/cluster/index.js). */
interface KafkaJsCluster {
  findTopicPartitionMetadata(topic: string): { leader: number }[];
  findBroker(broker: { nodeId: number }): Promise<unknown>;
}

type ClusterFactory = (options: unknown) => KafkaJsCluster;

/** The description of the symbol kafkajs's Client keeps its cluster factory under (kafkajs/src/index.js). */
const CREATE_CLUSTER = 'private:Kafka:createCluster';

/** Connects the brokers that lead the topic's partitions (once its metadata is in); resolves with how many. */
export type LeaderConnector = (topic: string) => Promise<number>;

/**
 * Has the client keep the cluster of the producer it makes next, and returns what connects that cluster's
 * leaders; undefined for a client without kafkajs's private cluster factory (a test's fake, another version).
 */
export const leaderConnectorOf = (client: object): LeaderConnector | undefined => {
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
  return async (topic) => {
    if (!cluster) return 0;
    const made = cluster;
    // A partition without a leader (-1) has no broker to connect to; its sends fail over to a new one.
    const leaders = new Set(
      made
        .findTopicPartitionMetadata(topic)
        .map(({ leader }) => leader)
        .filter((leader) => leader >= 0),
    );
    await Promise.all([...leaders].map((nodeId) => made.findBroker({ nodeId })));
    return leaders.size;
  };
};
