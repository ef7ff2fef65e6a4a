// Just enough of the Kafka wire format for the proxy: size-prefixed frames, request headers, and the
// primitive types (fixed-width integers, strings, arrays, zig-zag varints) of the messages it reads or rewrites.
// https://kafka.apache.org/protocol.html

/** Splits a byte stream into Kafka frames (a 4-byte big-endian size, then that many bytes). */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds a chunk and returns every frame it completed, each with its size prefix. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const total = 4 + this.pending.readInt32BE(0);
      if (this.pending.length < total) break;
      frames.push(this.pending.subarray(0, total));
      this.pending = this.pending.subarray(total);
    }
    return frames;
  }
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** The first three fields of every request header version (v0 to v2). `frame` includes its size prefix. */
export function readRequestHeader(frame: Buffer): RequestHeader {
  return {
    apiKey: frame.readInt16BE(4),
    apiVersion: frame.readInt16BE(6),
    correlationId: frame.readInt32BE(8),
  };
}

/** A response frame's correlation id (response header v0 and v1 both start with it). */
export function readCorrelationId(frame: Buffer): number {
  return frame.readInt32BE(4);
}

export class Reader {
  constructor(
    private readonly buffer: Buffer,
    public offset = 0,
  ) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  int8(): number {
    return this.advance(1, (at) => this.buffer.readInt8(at));
  }
  int16(): number {
    return this.advance(2, (at) => this.buffer.readInt16BE(at));
  }
  int32(): number {
    return this.advance(4, (at) => this.buffer.readInt32BE(at));
  }
  int64(): bigint {
    return this.advance(8, (at) => this.buffer.readBigInt64BE(at));
  }

  /** STRING / NULLABLE_STRING: int16 length, -1 for null. */
  string(): string | null {
    const length = this.int16();
    return length < 0 ? null : this.bytesOf(length).toString('utf8');
  }

  /** BYTES / NULLABLE_BYTES: int32 length, -1 for null. */
  bytes(): Buffer | null {
    const length = this.int32();
    return length < 0 ? null : this.bytesOf(length);
  }

  bytesOf(length: number): Buffer {
    return this.advance(length, (at) => this.buffer.subarray(at, at + length));
  }

  /** ARRAY: int32 count (-1 for null, read as empty). */
  array<T>(readItem: () => T): T[] {
    const count = this.int32();
    return Array.from({ length: Math.max(count, 0) }, readItem);
  }

  /** UNSIGNED_VARINT (compact lengths, tagged-field counts). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.advance(1, (at) => this.buffer.readUInt8(at));
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new Error('varint too long');
  }

  /** VARINT (zig-zag), as record batches use it. */
  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** VARLONG (zig-zag); values beyond 2^53 lose precision, which the proxy never needs. */
  varlong(): number {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = BigInt(this.advance(1, (at) => this.buffer.readUInt8(at)));
      raw |= (byte & 0x7fn) << shift;
      if ((byte & 0x80n) === 0n) return Number((raw >> 1n) ^ -(raw & 1n));
    }
    throw new Error('varlong too long');
  }

  /** Skips a tagged-fields section (flexible versions). */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.bytesOf(this.uvarint());
    }
  }

  rest(): Buffer {
    return this.bytesOf(this.remaining);
  }

  private advance<T>(size: number, read: (at: number) => T): T {
    if (size < 0 || this.offset + size > this.buffer.length)
      throw new RangeError(`truncated message at byte ${this.offset}`);
    const value = read(this.offset);
    this.offset += size;
    return value;
  }
}

export class Writer {
  private readonly chunks: Buffer[] = [];

  int16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    return this.raw(buffer);
  }
  int32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    return this.raw(buffer);
  }
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const bytes = Buffer.from(value, 'utf8');
    return this.int16(bytes.length).raw(bytes);
  }
  array<T>(items: T[], writeItem: (item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeItem(item);
    return this;
  }
  raw(bytes: Buffer): this {
    this.chunks.push(bytes);
    return this;
  }

  /** The written bytes with a frame's size prefix in front. */
  frame(): Buffer {
    const body = Buffer.concat(this.chunks);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }
}
