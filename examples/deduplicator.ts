// Kafka delivers at least once, and the service may write an event twice when a caller retries after a
// timeout: consumers deduplicate on ce_id (the value's eventId). This one remembers the last `capacity` ids in
// memory, which covers redeliveries after a rebalance or a retried batch. A consumer whose effects must happen
// once across restarts keeps the ids where its effects go: a unique key in its database, or, on Lambda,
// Powertools' idempotency utility keyed on ce_id.
export interface Deduplicator {
  /** The event was handled already. */
  handled(eventId: string): boolean;
  /** Remember the event as handled: called once its handling succeeded. */
  remember(eventId: string): void;
}

export const inMemoryDeduplicator = (capacity = 100_000): Deduplicator => {
  // A Set keeps insertion order: the oldest id is the first one, and goes first.
  const seen = new Set<string>();
  return {
    handled: (eventId) => seen.has(eventId),
    remember: (eventId) => {
      seen.add(eventId);
      if (seen.size > capacity) {
        const oldest = seen.values().next().value;
        if (oldest !== undefined) seen.delete(oldest);
      }
    },
  };
};
