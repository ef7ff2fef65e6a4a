// The cold section's second floor: a fresh `node` process that runs the minimal validating handler
// (minimal-handler.ts) once, bundled as serverless.yml bundles the functions (children.ts compiles it like
// cold-kafkajs-floor.ts). It loads what every publishing function must load (its configuration, zod and the
// route's schema, Powertools' logger and metrics, kafkajs), then, as a cold invocation does, parses and
// validates one request's body, connects, sends its record, writes the log line and metrics and prints the
// marker line. What the packaged handler takes over this is what middy, the error answers, the deadline, trace
// context, the caller and the code loaded only on first use add to a cold start.
import { loadConfig } from '../../lib/config.js';
import { createKafkaClient } from '../../lib/producer/kafkajs-producer.js';
import { RECEIPT_MARKER } from './cold-invoke-marker.js';
import { handlerObserver, minimalHandler, rawProducerConfig } from './minimal-handler.js';
import { apiGatewayV2Event, orderBody } from './workload.js';

const config = loadConfig(process.env);
const producer = createKafkaClient(config).producer(rawProducerConfig(config));
const { publish } = minimalHandler(config, producer, handlerObserver(config));
const request = apiGatewayV2Event(JSON.stringify(orderBody(Number(process.argv[2] ?? 0))));

producer
  .connect()
  .then(() => publish(request.body ?? ''))
  .then(
    (result) => {
      const line = JSON.stringify({ acked: result.errorCode === 0, partition: result.partition });
      process.stdout.write(`${RECEIPT_MARKER}${line}\n`, () => process.exit(0));
    },
    (error: unknown) => {
      process.stderr.write(
        `the minimal handler failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
