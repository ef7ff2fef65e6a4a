// The messages the proxy reads or rewrites. It only touches non-flexible versions: capVersions() lowers what
// the brokers advertise in ApiVersions to those, so every client (kafkajs, librdkafka in kcat) stays within them.
import { gunzipSync } from 'node:zlib';
import { Reader, Writer } from './kafka-wire.js';

export const API = {
  produce: 0,
  metadata: 3,
  findCoordinator: 10,
  apiVersions: 18,
} as const;

/** The highest version of each API the proxy parses (the last non-flexible one). */
export const VERSION_CAPS: ReadonlyMap<number, number> = new Map([
  [API.produce, 8],
  [API.metadata, 8],
  [API.findCoordinator, 2],
]);

export interface Address {
  host: string;
  port: number;
}

/**
 * Lowers each capped API's max version in an ApiVersions response, in place on a copy. Version 3 is flexible
 * (compact array, tagged fields); its response header is still v0, as for every ApiVersions version.
 */
export function capVersions(frame: Buffer, version: number): Buffer {
  const copy = Buffer.from(frame);
  const reader = new Reader(copy, 8); // size, correlation id
  if (reader.int16() !== 0) return copy; // an error answer (body in v0 format); the client retries lower
  const flexible = version >= 3;
  const count = flexible ? reader.uvarint() - 1 : reader.int32();
  for (let i = 0; i < count; i++) {
    const apiKey = reader.int16();
    reader.int16(); // min version
    const maxAt = reader.offset;
    const max = reader.int16();
    const cap = VERSION_CAPS.get(apiKey);
    if (cap !== undefined && max > cap) copy.writeInt16BE(cap, maxAt);
    if (flexible) reader.skipTaggedFields();
  }
  return copy;
}

/**
 * Metadata v0-v8: brokers advertise `addressOf(id)` and the controller is `controllerId`. The topics part
 * (leaders, replicas) is copied unchanged.
 */
export function rewriteMetadata(
  frame: Buffer,
  version: number,
  addressOf: (brokerId: number) => Address | undefined,
  controllerId: (brokerIds: number[]) => number,
): Buffer {
  const reader = new Reader(frame, 4);
  const writer = new Writer().int32(reader.int32()); // correlation id
  if (version >= 3) writer.int32(reader.int32()); // throttle_time_ms
  const brokers = reader.array(() => ({
    nodeId: reader.int32(),
    host: reader.string(),
    port: reader.int32(),
    rack: version >= 1 ? reader.string() : null,
  }));
  writer.array(brokers, (broker) => {
    const address = addressOf(broker.nodeId);
    writer.int32(broker.nodeId);
    writer.string(address?.host ?? broker.host);
    writer.int32(address?.port ?? broker.port);
    if (version >= 1) writer.string(broker.rack);
  });
  if (version >= 2) writer.string(reader.string()); // cluster_id
  if (version >= 1) {
    reader.int32(); // the mock's controller id (0, none of its brokers)
    writer.int32(controllerId(brokers.map((broker) => broker.nodeId)));
  }
  return writer.raw(reader.rest()).frame();
}

/** FindCoordinator v0-v2: the coordinator advertises `addressOf(id)`. */
export function rewriteFindCoordinator(
  frame: Buffer,
  version: number,
  addressOf: (brokerId: number) => Address | undefined,
): Buffer {
  const reader = new Reader(frame, 4);
  const writer = new Writer().int32(reader.int32()); // correlation id
  if (version >= 1) writer.int32(reader.int32()); // throttle_time_ms
  writer.int16(reader.int16()); // error_code
  if (version >= 1) writer.string(reader.string()); // error_message
  const nodeId = reader.int32();
  const host = reader.string();
  const port = reader.int32();
  const address = addressOf(nodeId);
  writer
    .int32(nodeId)
    .string(address?.host ?? host)
    .int32(address?.port ?? port);
  return writer.raw(reader.rest()).frame();
}

export interface ProducedRecord {
  topic: string;
  partition: number;
  key: string | null;
  /** The record's `ce_id` header, when it has one. */
  ceId: string | null;
  /** The batch's producer id: assigned by InitProducerId to an idempotent producer, -1 otherwise. */
  producerId: number;
}

const COMPRESSION_NONE = 0;
const COMPRESSION_GZIP = 1;

/**
 * The records of a Produce request v3-v8 (RecordBatch v2, uncompressed or gzip). A batch in another
 * codec is listed as one record with null key and ceId, so the request still counts.
 */
export function readProduceRequest(
  frame: Buffer,
  version: number,
): { clientId: string | null; records: ProducedRecord[] } {
  const reader = new Reader(frame, 12); // size, api key, api version, correlation id
  const clientId = reader.string();
  if (version < 3) return { clientId, records: [] };
  reader.string(); // transactional id
  reader.int16(); // acks
  reader.int32(); // timeout
  const records = reader
    .array(() => {
      const topic = reader.string() ?? '';
      return reader.array(() => {
        const partition = reader.int32();
        const records = reader.bytes();
        return records ? readRecordBatches(records, topic, partition) : [];
      });
    })
    .flat(2);
  return { clientId, records };
}

function readRecordBatches(bytes: Buffer, topic: string, partition: number): ProducedRecord[] {
  const reader = new Reader(bytes);
  const records: ProducedRecord[] = [];
  while (reader.remaining >= 12) {
    reader.int64(); // base offset
    const batch = new Reader(reader.bytesOf(reader.int32()));
    batch.int32(); // partition leader epoch
    if (batch.int8() !== 2) break; // magic: only v2 batches (every client this proxy serves)
    batch.int32(); // crc
    const codec = batch.int16() & 0x07;
    batch.bytesOf(4 + 8 + 8); // last offset delta, base and max timestamps
    const producerId = Number(batch.int64());
    batch.bytesOf(2 + 4); // producer epoch, base sequence
    const count = batch.int32();
    let body = batch.rest();
    if (codec === COMPRESSION_GZIP) body = gunzipSync(body);
    else if (codec !== COMPRESSION_NONE) {
      records.push({ topic, partition, key: null, ceId: null, producerId });
      continue;
    }
    const recordReader = new Reader(body);
    for (let i = 0; i < count; i++)
      records.push({ topic, partition, ...readRecord(recordReader), producerId });
  }
  return records;
}

function readRecord(reader: Reader): { key: string | null; ceId: string | null } {
  const record = new Reader(reader.bytesOf(reader.varint()));
  record.int8(); // attributes
  record.varlong(); // timestamp delta
  record.varint(); // offset delta
  const key = nullableVarBytes(record)?.toString('utf8') ?? null;
  nullableVarBytes(record); // value
  let ceId: string | null = null;
  const headers = record.varint();
  for (let i = 0; i < headers; i++) {
    const name = nullableVarBytes(record)?.toString('utf8');
    const value = nullableVarBytes(record);
    if (name === 'ce_id') ceId = value?.toString('utf8') ?? null;
  }
  return { key, ceId };
}

function nullableVarBytes(reader: Reader): Buffer | null {
  const length = reader.varint();
  return length < 0 ? null : reader.bytesOf(length);
}
