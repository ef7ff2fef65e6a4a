import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import kafkajs from 'kafkajs';
import { keptClusterOf } from '../../../lib/producer/kafkajs-leaders.js';
import { FakeKafkaClient } from '../../support/fake-kafkajs.js';

// kafkajs's own Cluster, whose methods the connector calls on the cluster it kept; no broker is reached.
interface ClusterPrototype {
  findTopicPartitionMetadata(topic: string): { leader: number }[];
  findBroker(broker: { nodeId: number }): Promise<unknown>;
}
const Cluster = createRequire(import.meta.url)('kafkajs/src/cluster') as {
  prototype: ClusterPrototype;
};

const client = () =>
  new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING });

afterEach(() => {
  jest.restoreAllMocks();
});

describe('keptClusterOf', () => {
  it("keeps the cluster of kafkajs's next producer and connects each broker that leads a partition, once", async () => {
    const partitions = jest
      .spyOn(Cluster.prototype, 'findTopicPartitionMetadata')
      .mockReturnValue([{ leader: 2 }, { leader: 1 }, { leader: 2 }, { leader: -1 }]);
    const findBroker = jest.spyOn(Cluster.prototype, 'findBroker').mockResolvedValue({});
    const kafka = client();
    const cluster = keptClusterOf(kafka);
    expect(cluster).toBeDefined();

    // Before the client has made a producer there is no cluster, so nothing to connect.
    expect(await cluster?.connectLeaders('order-events')).toBe(0);
    expect(cluster?.partitionsOf('order-events')).toBeUndefined();
    expect(findBroker).not.toHaveBeenCalled();

    kafka.producer();
    expect(await cluster?.connectLeaders('order-events')).toBe(2);
    expect(partitions).toHaveBeenCalledWith('order-events');
    // A partition without a leader (-1) names no broker.
    expect(findBroker.mock.calls).toEqual([[{ nodeId: 2 }], [{ nodeId: 1 }]]);
  });

  it('fails as the connect of a leader fails', async () => {
    jest.spyOn(Cluster.prototype, 'findTopicPartitionMetadata').mockReturnValue([{ leader: 1 }]);
    jest.spyOn(Cluster.prototype, 'findBroker').mockRejectedValue(new Error('broker 1 is down'));
    const kafka = client();
    const cluster = keptClusterOf(kafka);
    kafka.producer();
    await expect(cluster?.connectLeaders('order-events')).rejects.toThrow('broker 1 is down');
  });

  it("reads the topic's partitions from the kept cluster: none before its metadata is in, or for a topic it does not name", () => {
    const kafka = client();
    const cluster = keptClusterOf(kafka);
    kafka.producer();
    // kafkajs's own Cluster, unfetched: it throws KafkaJSTopicMetadataNotLoaded.
    expect(cluster?.partitionsOf('order-events')).toBeUndefined();
    const partitions = [{ partitionId: 0, leader: 1 }] as unknown as ReturnType<
      ClusterPrototype['findTopicPartitionMetadata']
    >;
    const find = jest.spyOn(Cluster.prototype, 'findTopicPartitionMetadata');
    find.mockReturnValueOnce(partitions);
    expect(cluster?.partitionsOf('order-events')).toBe(partitions);
    find.mockReturnValueOnce([]);
    expect(cluster?.partitionsOf('other-topic')).toBeUndefined();
  });

  it("is undefined for a client without kafkajs's private cluster factory", () => {
    expect(keptClusterOf(new FakeKafkaClient())).toBeUndefined();
    expect(keptClusterOf({})).toBeUndefined();
  });
});
