// A second "container": a fresh Node process that loads the order-cancelled handler and makes one HTTP-shaped
// invocation with an Idempotency-Key, as the development token's caller, then prints the answer. Run with
// KAFKA_BROKERS and IDEMPOTENCY_REDIS_URL.
import { handler } from '../../../handlers/order-cancelled.js';
import { httpEvent, lambdaContext } from '../../support/events.js';

const [orderId = '', key = '', reason = ''] = process.argv.slice(2);
const event = httpEvent({
  body: JSON.stringify({ reason }),
  orderId,
  headers: { 'content-type': 'application/json', 'idempotency-key': key },
  caller: 'local-developer',
});
const answer = await handler(event, lambdaContext());
process.stdout.write(`${JSON.stringify(answer)}\n`);
process.exit(0);
