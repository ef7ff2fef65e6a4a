import { definePublisher } from '../lib/define-publisher.js';
import { orderShippedSchema } from '../lib/schemas.js';

/** POST /orders/{orderId}/shipment */
export const handler = definePublisher({ eventType: 'order-shipped', schema: orderShippedSchema, orderIdFrom: 'path' });
