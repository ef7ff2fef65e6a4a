import { definePublisher } from '../lib/define-publisher.js';
import { orderCancelledSchema } from '../lib/schemas.js';

/** POST /orders/{orderId}/cancellation */
export const handler = definePublisher({ eventType: 'order-cancelled', schema: orderCancelledSchema, orderIdFrom: 'path' });
