/**
 * A Kafka broker inside the process, for rehearsals: kafkajs connects to it through the socket factory this
 * returns, and each connection answers the four requests a producer makes (ApiVersions, Metadata,
 * InitProducerId, Produce). One broker, node 0, is the controller and leads the topic's one partition, which
 * appends every batch at offset 0. Nothing leaves the process, and kafkajs runs all of its own code for a send:
 * the producer, the connection's request queue, the encoding of the request and the decoding of its answer.
 *
 * It connects and answers in microtasks, never on a later turn of the event loop: a rehearsal through it ends
 * before the turn on which Lambda's runtime asks for the first invocation, after which Lambda may freeze the
 * container until that invocation comes, and the rest of a rehearsal would then run inside it.
 */
import { EventEmitter } from 'node:events';
import type { ISocketFactory } from 'kafkajs';

/** Where an answer holds the topic's name (a Kafka string: its int16 length, then its UTF-8 bytes). */
const TOPIC = 'T';

/**
 * Each answer's body in hex, by API key, at the version kafkajs uses with a broker that offers its newest (as
 * Kafka 2.1 and later do). A request a producer does not make goes unanswered.
 */
const ANSWERS: Record<number, string> = {
  // Produce v5 to v7
  0:
    '00000001' + // one topic:
    TOPIC +
    '00000001' + // one partition:
    '00000000' + // partition 0,
    '0000' + // no error,
    '0000000000000000' + // base offset 0,
    'ffffffffffffffff' + // log append time -1 (the producer's timestamps stand),
    '0000000000000000' + // log start offset 0;
    '00000000', // throttle time
  // Metadata v5, v6
  3:
    '00000000' + // throttle time;
    '00000001' + // one broker:
    '00000000' + // node 0,
    '00066d656d6f7279' + // host "memory" (the socket factory connects nowhere),
    '00000000' + // port 0,
    'ffff' + // no rack;
    'ffff' + // no cluster id;
    '00000000' + // controller: node 0;
    '00000001' + // one topic:
    '0000' + // no error,
    TOPIC +
    '00' + // not internal,
    '00000001' + // one partition:
    '0000' + // no error,
    '00000000' + // partition 0,
    '00000000' + // leader: node 0,
    '0000000100000000' + // replicas: node 0,
    '0000000100000000' + // in sync: node 0,
    '00000000', // none offline
  // ApiVersions v1, v2
  18:
    '0000' + // no error;
    '00000004' + // four APIs, each its key, oldest and newest version:
    '000000000007' + // Produce 0 to 7,
    '000300000006' + // Metadata 0 to 6,
    '001200000002' + // ApiVersions 0 to 2,
    '001600000001' + // InitProducerId 0 to 1;
    '00000000', // throttle time
  // InitProducerId v0, v1
  22:
    '00000000' + // throttle time;
    '0000' + // no error;
    '0000000000000001' + // producer id 1;
    '0000', // epoch 0
};

/** kafkajs's socket factory for connections to the memory broker that answers for `topic`. */
export const memoryBrokerSockets = (topic: string): ISocketFactory => {
  const name = Buffer.from(topic);
  const nameHex = name.length.toString(16).padStart(4, '0') + name.toString('hex');
  return ({ onConnect }) => {
    const socket = Object.assign(new EventEmitter(), {
      // A request is its size, API key, API version, correlation id and the rest; its answer the size, the
      // correlation id and the body.
      write: (request: Buffer) => {
        const hex = ANSWERS[request.readInt16BE(4)];
        if (hex !== undefined) {
          const answer = Buffer.from(
            `00000000${request.toString('hex', 8, 12)}${hex.replace(TOPIC, nameHex)}`,
            'hex',
          );
          answer.writeInt32BE(answer.length - 4);
          queueMicrotask(() => socket.emit('data', answer));
        }
        return true;
      },
      // No 'end' event follows: kafkajs answers one by disconnecting, which would end the socket again.
      end: () => socket,
      unref: () => socket,
      setKeepAlive: () => socket,
    });
    queueMicrotask(onConnect);
    return socket as unknown as ReturnType<ISocketFactory>;
  };
};
