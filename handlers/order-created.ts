import { definePublisher } from '../lib/define-publisher.js';
import type { PublisherDeclaration } from '../lib/publisher.js';
import { orderCreatedSchema } from '../lib/schemas.js';

/** POST /orders: the body carries the new order, orderId included. */
export const declaration = {
  eventType: 'order-created',
  schema: orderCreatedSchema,
  orderIdFrom: 'body',
} satisfies PublisherDeclaration;

export const handler = definePublisher(declaration);
