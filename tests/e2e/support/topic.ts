// Reading the topic back over the Kafka protocol, with kafkajs and with kcat (a client this project did not
// write), to check what the service claims it published. Every record read is checked against the AsyncAPI
// document's schema of its message (value, headers, key): a record that breaks it fails the test reading it.
import { execFile } from 'node:child_process';
import { isDeepStrictEqual, promisify } from 'node:util';
import type { Consumer, KafkaMessage } from 'kafkajs';
import kafkajs from 'kafkajs';
import { expectRecordKeepsContract } from '../../support/asyncapi-validator.js';
import { waitUntil } from './harness.js';

const { Kafka, Partitioners, logLevel } = kafkajs;
const run = promisify(execFile);

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** The record's own timestamp, milliseconds since the epoch. */
  timestamp: number;
}

/**
 * Every record on the topic, read by kcat from the beginning to the current end, each checked against the
 * AsyncAPI document unless `contract` is false (tests of the broker itself write records of their own).
 */
export const readWithKcat = async (
  bootstrap: string,
  topic: string,
  { contract = true }: { contract?: boolean } = {},
): Promise<TopicRecord[]> => {
  const { stdout } = await run(
    'kcat',
    ['-b', bootstrap, '-t', topic, '-C', '-J', '-e', '-q', '-o', 'beginning'],
    { timeout: 30_000, maxBuffer: 256 * 1024 * 1024 },
  );
  const records = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const record = JSON.parse(line) as {
        partition: number;
        offset: number;
        key: string | null;
        payload: string;
        headers?: string[];
        ts: number;
      };
      const headers: Record<string, string> = {};
      for (let i = 0; i + 1 < (record.headers?.length ?? 0); i += 2)
        headers[record.headers![i]!] = record.headers![i + 1]!;
      return {
        partition: record.partition,
        offset: String(record.offset),
        key: record.key,
        value: record.payload,
        headers,
        timestamp: record.ts,
      };
    });
  if (contract) for (const record of records) expectRecordKeepsContract(record);
  return records;
};

/**
 * End offset of every partition, as kcat reads them (its metadata for the partitions, then ListOffsets for
 * the latest offset of each): "nothing was published" is checked with a client this project did not write.
 */
export const endOffsets = async (
  bootstrap: string,
  topic: string,
): Promise<Record<number, string>> => {
  const { stdout: metadata } = await run('kcat', ['-b', bootstrap, '-L', '-J', '-t', topic], {
    timeout: 30_000,
  });
  const partitions = (
    JSON.parse(metadata) as { topics: { topic: string; partitions: { partition: number }[] }[] }
  ).topics
    .find((entry) => entry.topic === topic)
    ?.partitions.map(({ partition }) => partition);
  if (!partitions?.length) throw new Error(`kcat finds no partitions of ${topic}`);
  const { stdout } = await run(
    'kcat',
    [
      '-b',
      bootstrap,
      '-Q',
      ...partitions.flatMap((partition) => ['-t', `${topic}:${partition}:-1`]),
    ],
    { timeout: 30_000 },
  );
  const offsets = [...stdout.matchAll(/^\S+ \[(\d+)\] offset (\d+)$/gm)].map(
    ([, partition, offset]) => [Number(partition), offset as string] as const,
  );
  if (offsets.length !== partitions.length)
    throw new Error(
      `kcat gave ${offsets.length} end offsets for ${partitions.length} partitions: ${stdout}`,
    );
  return Object.fromEntries(offsets);
};

/** A kafkajs consumer-group member that collects every record from the beginning of the topic. */
export class TopicCollector {
  readonly records: TopicRecord[] = [];
  /** Records that broke the AsyncAPI document: waitFor throws the first. */
  private readonly contractViolations: Error[] = [];
  private readonly consumer: Consumer;

  constructor(
    private readonly bootstrap: string,
    private readonly topic: string,
  ) {
    this.consumer = new Kafka({
      brokers: [bootstrap],
      clientId: 'e2e-reader',
      logLevel: logLevel.NOTHING,
    }).consumer({
      groupId: `e2e-${process.pid}-${Date.now()}`,
      maxWaitTimeInMs: 100,
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        const record = toRecord(partition, message);
        try {
          expectRecordKeepsContract(record);
        } catch (error) {
          this.contractViolations.push(error as Error);
        }
        this.records.push(record);
      },
    });
  }

  /**
   * Waits until records matching every predicate have arrived; fails after timeoutMs. What it returns is read
   * back with kcat too (a client this project did not write): each record, at its partition and offset, must be
   * the same there.
   */
  async waitFor(
    count: number,
    match: (record: TopicRecord) => boolean,
    timeoutMs = 20_000,
  ): Promise<TopicRecord[]> {
    const found = await waitUntil(
      () => {
        if (this.contractViolations[0]) throw this.contractViolations[0];
        return this.records.filter(match);
      },
      (records) => records.length >= count,
      { timeoutMs, intervalMs: 50 },
    );
    if (found.length < count)
      throw new Error(
        `expected ${count} matching records, found ${found.length} after ${timeoutMs} ms`,
      );
    const viaKcat = await readWithKcat(this.bootstrap, this.topic, { contract: false });
    for (const record of found) {
      const same = viaKcat.find(
        ({ partition, offset }) => partition === record.partition && offset === record.offset,
      );
      const seen = (one: TopicRecord | undefined) =>
        one && { key: one.key, value: one.value, headers: one.headers };
      if (!isDeepStrictEqual(seen(same), seen(record)))
        throw new Error(
          `kcat reads ${record.partition}/${record.offset} otherwise: ${JSON.stringify(seen(same))} against ${JSON.stringify(seen(record))}`,
        );
    }
    return found;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

const toRecord = (partition: number, message: KafkaMessage): TopicRecord => ({
  partition,
  offset: message.offset,
  key: message.key?.toString() ?? null,
  value: message.value?.toString() ?? '',
  timestamp: Number(message.timestamp),
  headers: Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
  ),
});

/** `count` order ids `<prefix>-<n>`, as many on each partition (by the key kafkajs's default partitioner hashes). */
export const orderIdsOnEveryPartition = (
  topic: string,
  prefix: string,
  partitions: number[],
  count: number,
): string[] => {
  const partitionOf = Partitioners.DefaultPartitioner();
  const partitionMetadata = partitions.map((partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  const perPartition = Math.ceil(count / partitions.length);
  const taken = new Map<number, number>();
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    const orderId = `${prefix}-${n}`;
    const partition = partitionOf({
      topic,
      partitionMetadata,
      message: { key: orderId, value: null },
    });
    if ((taken.get(partition) ?? 0) >= perPartition) continue;
    taken.set(partition, (taken.get(partition) ?? 0) + 1);
    ids.push(orderId);
  }
  return ids;
};
