/**
 * What a Lambda container holds for its whole life: the configuration, parsed once at cold start (a bad
 * value stops the container from starting, with a message naming the variable), and the one producer that
 * every warm invocation reuses.
 */
import { loadConfig } from './config.js';
import type { PublisherDependencies } from './publisher.js';
import { KafkaJsEventProducer } from './producer/kafkajs-producer.js';

const config = loadConfig(process.env);

// Constructing it opens nothing: the first invocation connects (see KafkaJsEventProducer).
const producer = new KafkaJsEventProducer(config);

export const containerDependencies: PublisherDependencies = { config, producer };
