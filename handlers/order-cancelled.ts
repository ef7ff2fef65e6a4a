import { publisherDeclaration } from '../lib/catalog.js';
import { definePublisher } from '../lib/define-publisher.js';

/** order-cancelled: its schema, route and orderId source are its entry in lib/catalog.ts. */
export const handler = definePublisher(publisherDeclaration('order-cancelled'));
