/**
 * The producer a container's rehearsal (../rehearsal.ts) sends through: the container's own KafkaJsEventProducer,
 * on a kafkajs client whose connections go to a broker inside the process (memory-broker.ts). So a rehearsal
 * runs the code a request's send runs, kafkajs's included (the producer's grouping, deadline and
 * acknowledgements in record order; kafkajs's partitioner, request queue, encoding of the Produce request and
 * decoding of its answer), on objects of the same classes, and V8 has it optimised before the first request;
 * nothing leaves the process.
 */
import type { Config } from '../config.js';
import type { EventProducer } from './event-producer.js';
import { createKafkaClient, KafkaJsEventProducer } from './kafkajs-producer.js';
import { memoryBrokerSockets } from './memory-broker.js';

/** The container's producer class on the memory broker; without SASL settings, so it reads no secret. */
export const rehearsalProducer = (config: Config): EventProducer =>
  new KafkaJsEventProducer({ ...config, sasl: undefined }, (clientConfig) =>
    createKafkaClient(clientConfig, memoryBrokerSockets(config.topic)),
  );
