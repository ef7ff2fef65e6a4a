// Types for the two modules of kafkajs's protocol that kafkajs-encoding.ts calls; kafkajs declares only its
// public API. kafkajs 2.2.4 is pinned (package-lock.json), and its source is what these describe.

declare module 'kafkajs/src/protocol/encoder.js' {
  /** kafkajs's byte buffer for the wire. */
  export default class Encoder {
    readonly buffer: Buffer;
    size(): number;
  }
}

declare module 'kafkajs/src/protocol/requests/produce/index.js' {
  import type { Message } from 'kafkajs';
  import type Encoder from 'kafkajs/src/protocol/encoder.js';

  export interface ProduceRequest {
    apiKey: number;
    apiVersion: number;
    encode(): Promise<Encoder>;
  }

  const produce: {
    protocol(version: { version: number }): (request: {
      acks: number;
      timeout: number;
      compression: number;
      transactionalId?: string;
      producerId: number | string;
      producerEpoch: number;
      topicData: {
        topic: string;
        partitions: { partition: number; firstSequence: number; messages: Message[] }[];
      }[];
    }) => { request: ProduceRequest };
  };
  export default produce;
}

declare module 'kafkajs/src/protocol/request.js' {
  import type Encoder from 'kafkajs/src/protocol/encoder.js';
  import type { ProduceRequest } from 'kafkajs/src/protocol/requests/produce/index.js';

  /** A request as a connection writes it: size, header (api key and version, correlation id, client id), body. */
  const encodeRequest: (request: {
    correlationId: number;
    clientId: string;
    request: ProduceRequest;
  }) => Promise<Encoder>;
  export default encodeRequest;
}
