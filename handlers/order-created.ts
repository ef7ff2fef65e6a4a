import { definePublisher } from '../lib/define-publisher.js';
import { orderCreatedSchema } from '../lib/schemas.js';

/** POST /orders: the body carries the new order, orderId included. */
export const handler = definePublisher({ eventType: 'order-created', schema: orderCreatedSchema, orderIdFrom: 'body' });
