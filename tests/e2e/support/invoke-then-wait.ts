// A stand-in for a Lambda container: loads the order-cancelled handler, completes one invocation against
// KAFKA_BROKERS (so the producer is connected), prints the receipt, and waits to be stopped.
import { handler } from '../../../handlers/order-cancelled.js';
import { lambdaContext } from '../../support/events.js';

const receipt = await handler(
  { orderId: 'sigterm-1', reason: 'container shutting down' },
  lambdaContext(),
);
process.stdout.write(`${JSON.stringify(receipt)}\n`);
setInterval(() => undefined, 60_000);
