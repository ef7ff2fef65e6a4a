import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import kafkajs from 'kafkajs';
import { leaderConnectorOf } from '../../../lib/producer/kafkajs-leaders.js';
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

describe('leaderConnectorOf', () => {
  it("keeps the cluster of kafkajs's next producer and connects each broker that leads a partition, once", async () => {
    const partitions = jest
      .spyOn(Cluster.prototype, 'findTopicPartitionMetadata')
      .mockReturnValue([{ leader: 2 }, { leader: 1 }, { leader: 2 }, { leader: -1 }]);
    const findBroker = jest.spyOn(Cluster.prototype, 'findBroker').mockResolvedValue({});
    const kafka = client();
    const connectLeaders = leaderConnectorOf(kafka);
    expect(connectLeaders).toBeDefined();

    // Before the client has made a producer there is no cluster, so nothing to connect.
    expect(await connectLeaders?.('order-events')).toBe(0);
    expect(findBroker).not.toHaveBeenCalled();

    kafka.producer();
    expect(await connectLeaders?.('order-events')).toBe(2);
    expect(partitions).toHaveBeenCalledWith('order-events');
    // A partition without a leader (-1) names no broker.
    expect(findBroker.mock.calls).toEqual([[{ nodeId: 2 }], [{ nodeId: 1 }]]);
  });

  it('fails as the connect of a leader fails', async () => {
    jest.spyOn(Cluster.prototype, 'findTopicPartitionMetadata').mockReturnValue([{ leader: 1 }]);
    jest.spyOn(Cluster.prototype, 'findBroker').mockRejectedValue(new Error('broker 1 is down'));
    const kafka = client();
    const connectLeaders = leaderConnectorOf(kafka);
    kafka.producer();
    await expect(connectLeaders?.('order-events')).rejects.toThrow('broker 1 is down');
  });

  it("is undefined for a client without kafkajs's private cluster factory", () => {
    expect(leaderConnectorOf(new FakeKafkaClient())).toBeUndefined();
    expect(leaderConnectorOf({})).toBeUndefined();
  });
});
