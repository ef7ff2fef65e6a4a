import { publisherDeclaration } from '../lib/catalog.js';
import { definePublisher } from '../lib/define-publisher.js';

/** order-shipped: its schema, route and orderId source are its entry in lib/catalog.ts. */
export const handler = definePublisher(publisherDeclaration('order-shipped'));
