import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { type ISocketFactory, Kafka, logLevel, Partitioners } from 'kafkajs';
import { memoryBrokerSockets } from '../../../lib/producer/memory-broker.js';

// kafkajs's table of the requests it can send, each with the versions it knows (as installed).
const { requests } = createRequire(import.meta.url)('kafkajs/src/protocol/requests') as {
  requests: Record<string, { versions: string[] }>;
};
const newest = (api: string) => Math.max(...(requests[api]?.versions ?? []).map(Number));

/** The memory broker's sockets, keeping the API key and version of each request written to them. */
const recordingSockets = (topic: string) => {
  const sockets = memoryBrokerSockets(topic);
  const written: [apiKey: number, apiVersion: number][] = [];
  const opened: string[] = [];
  const socketFactory: ISocketFactory = (options) => {
    opened.push(`${options.host}:${options.port}`);
    const socket = sockets(options);
    const write = socket.write.bind(socket) as (request: Buffer) => boolean;
    return Object.assign(socket, {
      write: (request: Buffer) => {
        written.push([request.readInt16BE(4), request.readInt16BE(6)]);
        return write(request);
      },
    });
  };
  return { written, opened, socketFactory };
};

/** A request as a connection writes it: size, API key, API version, correlation id, client id. */
const request = (apiKey: number, correlationId: number) => {
  const frame = Buffer.alloc(14);
  frame.writeInt32BE(10, 0);
  frame.writeInt16BE(apiKey, 4);
  frame.writeInt32BE(correlationId, 8);
  frame.writeInt16BE(-1, 12);
  return frame;
};

/** What one socket of the broker answers to one request (undefined for no answer). */
const answerTo = async (frame: Buffer, topic = 'order-events') => {
  const socket = memoryBrokerSockets(topic)({
    host: 'memory',
    port: 0,
    ssl: {},
    onConnect: () => undefined,
  });
  const answers: Buffer[] = [];
  socket.on('data', (data: Buffer) => answers.push(data));
  socket.write(frame);
  await new Promise((resolve) => setTimeout(resolve, 20));
  return answers;
};

describe('the memory broker', () => {
  it("answers a kafkajs idempotent producer at kafkajs's newest versions and acknowledges its records", async () => {
    const { written, opened, socketFactory } = recordingSockets('order-events');
    // What kafkajs logs at WARN and above: nothing, as with a real broker.
    const complaints: string[] = [];
    const kafka = new Kafka({
      clientId: 'test',
      brokers: ['seed.example:9092'],
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        complaints.push(entry.log.message);
      },
      socketFactory,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      for (let i = 0; i < 2; i++)
        await expect(
          producer.send({
            topic: 'order-events',
            acks: -1,
            messages: [{ key: 'o-1', value: '{"orderId":"o-1"}' }],
          }),
        ).resolves.toEqual([
          expect.objectContaining({
            topicName: 'order-events',
            partition: 0,
            errorCode: 0,
            baseOffset: '0',
          }),
        ]);
    } finally {
      await producer.disconnect();
    }
    const versions = new Map(written);
    expect(versions).toEqual(
      new Map([
        [18, newest('ApiVersions')],
        [3, newest('Metadata')],
        [22, newest('InitProducerId')],
        [0, newest('Produce')],
      ]),
    );
    expect(written.filter(([apiKey]) => apiKey === 0)).toHaveLength(2);
    // The seed broker's connection, then node 0's, as the metadata names it; nothing replaced or reopened.
    expect(opened).toEqual(['seed.example:9092', 'memory:0']);
    expect(complaints).toEqual([]);
  });

  it('frames each answer with its size and the correlation id of its request, and names its topic', async () => {
    const [answer, ...more] = await answerTo(request(3, 4242), 'orders-eu');
    expect(more).toEqual([]);
    expect(answer?.readInt32BE(0)).toBe((answer?.length ?? 0) - 4);
    expect(answer?.readInt32BE(4)).toBe(4242);
    expect(answer?.includes(Buffer.from('\u0000\u0009orders-eu'))).toBe(true);
  });

  it('leaves unanswered a request a producer does not make', async () => {
    // FindCoordinator: a consumer's or a transactional producer's.
    expect(await answerTo(request(10, 7))).toEqual([]);
  });
});
