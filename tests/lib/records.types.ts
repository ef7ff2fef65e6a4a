// The record types exported to consumers (lib/records.ts) are the fields the service writes.
import type { OrderEventValue } from '../../lib/records.js';

// The exported types are the fields the service writes: a change to one side only fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type Envelope<T> = { eventId: string; eventType: T; orderId: string; timestamp: string };
type ShippedIsTyped = Assert<
  Same<
    OrderEventValue<'order-shipped'>,
    Envelope<'order-shipped'> & { trackingNumber: string; carrier?: string | undefined }
  >
>;
type CancelledIsTyped = Assert<
  Same<OrderEventValue<'order-cancelled'>, Envelope<'order-cancelled'> & { reason: string }>
>;
type CreatedIsTyped = Assert<
  Same<
    OrderEventValue<'order-created'>,
    Envelope<'order-created'> & {
      customerId: string;
      items: { sku: string; quantity: number; unitPrice: number }[];
      total: number;
      currency: string;
    }
  >
>;

// Checked by the compiler (`npm test` runs `npm run typecheck` first), not at run time: each alias above fails
// to compile when the exported type and the fields the service writes part ways. Nothing imports this.
export type RecordTypesMatch = [CreatedIsTyped, ShippedIsTyped, CancelledIsTyped];
