/**
 * What a Lambda container holds for its whole life: the configuration, parsed once at cold start (a bad
 * value stops the container from starting, with a message naming the variable), and the one producer that
 * every warm invocation reuses.
 */
import { isLongLivedProcess, loadConfig } from './config.js';
import { createIdempotency } from './idempotency.js';
import { openIdempotencyStore } from './idempotency-stores.js';
import { createLogger, createMetrics, powertoolsObserver } from './observability.js';
import { createKafkaClient, KafkaJsEventProducer } from './producer/kafkajs-producer.js';
import type { PublisherDependencies } from './publisher.js';

const config = loadConfig(process.env);

// Constructing it opens nothing: the first invocation connects (see KafkaJsEventProducer). In a one-shot
// process it lets go of the broker a second after its last send, so that the process can end.
const producer = new KafkaJsEventProducer(
  config,
  createKafkaClient,
  isLongLivedProcess(process.env) ? {} : { idleDisconnectMs: 1_000 },
);

// Idempotency-Key records, in the store the configuration names (opened by the first request with a key).
const idempotency =
  config.idempotency &&
  createIdempotency(config.idempotency, openIdempotencyStore(config.idempotency));

export const logger = createLogger(config.logLevel);

/** Lambda initialises this container ahead of its traffic (provisioned concurrency): time to spare now. */
export const initialisedAhead =
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency';

// Such a container connects now (and learns the topic's partitions), so that its first request does not wait
// for it; define-publisher.ts also rehearses the route's code. Any other cold start connects on its first
// send, as the rest of the code expects; a failed connect here only means that send connects again (on a new
// producer when the failure may have left the client wedged).
if (initialisedAhead) {
  producer.connect().catch((error: unknown) =>
    logger.warn('connecting during initialisation failed; the first send connects', {
      errorClass: error instanceof Error ? error.name : typeof error,
    }),
  );
}
const metrics = createMetrics();

export const containerDependencies: PublisherDependencies = {
  config,
  producer,
  observer: powertoolsObserver(logger, metrics),
  ...(idempotency ? { idempotency } : {}),
};

// Lambda sends SIGTERM before it shuts a container down (when an extension is registered; it then allows
// about 500 ms). Closing the connections cleanly spares the brokers a dead client until their idle timeout.
// Only on Lambda: elsewhere (serverless-offline runs handlers inside its own process) the host owns SIGTERM.
const disconnectOnSigterm = () => {
  const exit = () => process.exit(0);
  setTimeout(exit, 400).unref();
  producer.disconnect().then(() => {
    logger.info('SIGTERM: Kafka producer disconnected');
    exit();
  }, exit);
};
if (process.env.AWS_LAMBDA_RUNTIME_API) process.once('SIGTERM', disconnectOnSigterm);
