import type { Admin } from 'kafkajs';
import type { ClosableSockets, ProbeAdmin } from '../../lib/producer/kafkajs-probe.js';

/** Stands in for kafkajs's admin client: counts connects, answers metadata, fails or waits on demand. */
export class FakeAdmin implements ProbeAdmin {
  connects = 0;
  failure: Error | undefined;
  topicError: Error | undefined;
  offsetsError: Error | undefined;
  leaders = [1, 2, 3];
  /** Set to hold every describeCluster until it resolves. */
  hold: Promise<void> | undefined;
  /** Set to hold every fetchTopicOffsets (the leaders' ListOffsets) until it resolves. */
  offsetsHold: Promise<void> | undefined;

  constructor(readonly sockets: ClosableSockets) {}

  connect: Admin['connect'] = async () => {
    this.connects += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
  };

  describeCluster: Admin['describeCluster'] = async () => {
    const failure = this.failure;
    await this.hold;
    if (failure) throw failure;
    return {
      brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: 'localhost', port: 9090 + nodeId })),
      controller: 1,
      clusterId: 'c',
    };
  };

  fetchTopicMetadata: Admin['fetchTopicMetadata'] = async (request) => {
    if (this.topicError) throw this.topicError;
    const name = request?.topics?.[0] ?? '';
    const partitions = this.leaders.map((leader, partitionId) => ({
      partitionId,
      leader,
      replicas: [leader],
      isr: [leader],
      offlineReplicas: [],
      partitionErrorCode: 0,
    }));
    return { topics: [{ name, partitions }] };
  };

  fetchTopicOffsets: Admin['fetchTopicOffsets'] = async () => {
    await this.offsetsHold;
    if (this.offsetsError) throw this.offsetsError;
    return this.leaders.map((_, partition) => ({ partition, offset: '0', high: '0', low: '0' }));
  };
}
