import type net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import type { ISocketFactory, PartitionMetadata, Producer } from 'kafkajs';
import { ProducerGeneration } from '../../../lib/producer/producer-generation.js';

/** The parts of a kafkajs producer a generation uses, counting connects and disconnects. */
const fakeProducer = () => {
  const calls = { connects: 0, disconnects: 0 };
  const producer = {
    connect: async () => {
      calls.connects += 1;
    },
    disconnect: async () => {
      calls.disconnects += 1;
    },
  } as unknown as Producer;
  return { producer, calls };
};

const partitions: PartitionMetadata[] = [
  { partitionId: 0, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 },
  { partitionId: 1, leader: 2, replicas: [2], isr: [2], partitionErrorCode: 0 },
];

describe('ProducerGeneration', () => {
  it('makes its producer on the first get, with its own socket factory and itself', async () => {
    const { producer } = fakeProducer();
    const made: { socketFactory: ISocketFactory; generation: ProducerGeneration }[] = [];
    const generation = new ProducerGeneration((socketFactory, owner) => {
      made.push({ socketFactory, generation: owner });
      return producer;
    });
    expect(made).toHaveLength(0);
    await expect(generation.connection.get()).resolves.toBe(producer);
    expect(made).toHaveLength(1);
    expect(made[0]?.generation).toBe(generation);
    expect(typeof made[0]?.socketFactory).toBe('function');
  });

  it("remembers each topic's partitions for the sends after the first", () => {
    const generation = new ProducerGeneration(() => fakeProducer().producer);
    expect(generation.partitionsOf('order-events')).toBeUndefined();
    generation.rememberPartitions('order-events', partitions);
    expect(generation.partitionsOf('order-events')).toEqual(partitions);
    expect(generation.partitionsOf('other-topic')).toBeUndefined();
  });

  it('retires once: closes its sockets (the factory refuses new ones) and disconnects its producer', async () => {
    const { producer, calls } = fakeProducer();
    let socketFactory: ISocketFactory | undefined;
    const generation = new ProducerGeneration((factory) => {
      socketFactory = factory;
      return producer;
    });
    await generation.connection.get();
    expect(generation.retired).toBe(false);
    generation.retire();
    generation.retire();
    expect(generation.retired).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.disconnects).toBe(1);
    const refused = socketFactory?.({
      host: '127.0.0.1',
      port: 9,
      ssl: false as never,
      onConnect: () => undefined,
    }) as net.Socket;
    const failure = await new Promise<Error>((resolve) => refused.once('error', resolve));
    expect(failure.message).toBe('a retired producer is closed');
  });

  it('retires before its producer was ever made without making one', async () => {
    let makes = 0;
    const generation = new ProducerGeneration(() => {
      makes += 1;
      return fakeProducer().producer;
    });
    generation.retire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(generation.retired).toBe(true);
    expect(makes).toBe(0);
  });
});
