import { batchRoute } from '../lib/batch.js';
import { defineRoutePublisher } from '../lib/define-publisher.js';
import { batchRehearsalRequest } from '../lib/rehearsal.js';

/** POST /order-events/batch: 1 to 500 events of any type, validated all-or-nothing, answered in order. */
export const handler = defineRoutePublisher(batchRoute, () =>
  batchRehearsalRequest('order-events-batch'),
);
