import { BudgetSpentError } from '../../lib/producer/errors.js';
import type {
  EventProducer,
  OutgoingRecord,
  RecordAck,
  SendOptions,
} from '../../lib/producer/event-producer.js';

/** An in-memory EventProducer: records what was sent, acknowledges on partition 0, or fails on demand. */
export class MockProducer implements EventProducer {
  readonly sent: OutgoingRecord[] = [];
  readonly sendOptions: SendOptions[] = [];
  failure: Error | undefined;

  async send(records: readonly OutgoingRecord[], options: SendOptions): Promise<RecordAck[]> {
    this.sendOptions.push(options);
    // EventProducer's contract: no send starts without time left.
    if (options.timeoutMs <= 0) throw new BudgetSpentError('no time left for the send');
    if (this.failure) throw this.failure;
    return records.map((record) => {
      this.sent.push(record);
      return { topic: record.topic, partition: 0, offset: String(this.sent.length - 1) };
    });
  }

  async disconnect(): Promise<void> {}
}
