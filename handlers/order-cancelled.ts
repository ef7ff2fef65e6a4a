import { definePublisher } from '../lib/define-publisher.js';
import type { PublisherDeclaration } from '../lib/publisher.js';
import { orderCancelledSchema } from '../lib/schemas.js';

/** POST /orders/{orderId}/cancellation */
export const declaration = {
  eventType: 'order-cancelled',
  schema: orderCancelledSchema,
  orderIdFrom: 'path',
} satisfies PublisherDeclaration;

export const handler = definePublisher(declaration);
