import { definePublisher } from '../lib/define-publisher.js';
import type { PublisherDeclaration } from '../lib/publisher.js';
import { orderShippedSchema } from '../lib/schemas.js';

/** POST /orders/{orderId}/shipment */
export const declaration = {
  eventType: 'order-shipped',
  schema: orderShippedSchema,
  orderIdFrom: 'path',
} satisfies PublisherDeclaration;

export const handler = definePublisher(declaration);
