/**
 * POST /order-events/batch: up to 500 events of any type in one request, all-or-nothing. The whole batch is
 * validated before anything is sent (any invalid event: 400 naming its index and path, nothing published),
 * then sent as one produce request per broker that leads its partitions (see kafkajs-producer.ts), and answered
 * in request order.
 */

import { batchRequestSchema } from './batch-schema.js';
import { invalidRequest } from './http/problem.js';
import { type PublishRoute, type Receipt, toFieldErrors } from './publisher.js';

export const batchRoute: PublishRoute<{ results: Receipt[] }> = {
  name: 'order-events-batch',
  orderIdFrom: 'body',
  toEvents: (fields, _pathOrderId, where) => {
    const parsed = batchRequestSchema.safeParse(fields);
    if (!parsed.success) throw invalidRequest(toFieldErrors(parsed.error.issues, where.fields));
    return parsed.data.events.map(({ eventType, orderId, ...values }) => ({
      eventType,
      orderId,
      fields: values,
    }));
  },
  answer: (results) => ({ results }),
};
