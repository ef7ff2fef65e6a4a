// The eventId the service derives for a request sent with an Idempotency-Key, computed here from the same
// parts (caller, route, key, the validated request, index), for tests that check a retry writes that id.
import { catalogEntry, type EventType } from '../../lib/catalog.js';
import { requestDigest, stableEventId } from '../../lib/events.js';
import { singleEventRoute } from '../../lib/publisher.js';

/** The id of the one event of a request to `eventType`'s route: its body, and the path's orderId if any. */
export const keyedEventId = ({
  caller,
  eventType,
  key,
  body,
  pathOrderId,
}: {
  caller: string;
  eventType: EventType;
  key: string;
  body: unknown;
  pathOrderId?: string;
}): string => {
  const route = singleEventRoute({ eventType, ...catalogEntry(eventType) });
  const pending = route.toEvents(body, pathOrderId, { fields: 'body', orderId: 'path' });
  return stableEventId({
    caller,
    route: route.name,
    key,
    request: requestDigest(pending),
    index: 0,
  });
};
