/**
 * The producer as the publishing path sees it. kafkajs sits behind it today; unit tests put a mock in
 * its place, and another client could tomorrow, without the publishing path changing.
 */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  /** The record's timestamp, milliseconds since the epoch as a decimal string (the event's own time). */
  timestamp?: string;
}

/** Where the broker wrote a record. Offsets are int64 in Kafka, so they travel as decimal strings. */
export interface RecordAck {
  topic: string;
  partition: number;
  offset: string;
}

export interface SendOptions {
  /** Give up, with a PublishTimeoutError, once this many milliseconds have passed; 0 or less: send nothing (BudgetSpentError). */
  timeoutMs: number;
}

export interface EventProducer {
  /**
   * Sends the records (all to be acknowledged by the broker) and resolves with one ack per record, in the
   * records' order. Connects on first use and reconnects after a lost connection; never disconnects per call.
   * Rejects with a BrokerError subclass whose `acknowledged` names the records acknowledged before the failure;
   * nothing of the send goes on once it has settled.
   */
  send(records: readonly OutgoingRecord[], options: SendOptions): Promise<RecordAck[]>;
  /** Closes the connections; the next send connects again. */
  disconnect(): Promise<void>;
}
