// An esbuild plugin that lets kafkajs 2.2.4's Encoder take its buffers from Node's buffer pool.
//
// kafkajs encodes every request with Encoders, and a send makes many: one per record header, per record, per
// record batch, per partition and topic, and two for the request frame. Each starts with Buffer.alloc(512)
// and grows with Buffer.alloc(2^n): a new ArrayBuffer, zero-filled, every time. In a CPU profile of the warm
// loop Buffer.alloc took 6 % of the samples. Buffer.allocUnsafe serves sizes under 4 KiB from a shared pool
// without zeroing: encoding one Produce request of the bench's record (8 headers) took 19 to 32 µs of CPU
// instead of 58 to 94 µs (kafkajs's own modules, 20,000 encodes after 20,000 warm-up, four processes each).
//
// Uninitialised bytes never leave an Encoder: every write method first makes room (ensureAvailable) and then
// writes each byte it adds to the offset, growing copies only the bytes below the offset, and the only way
// out is the `buffer` getter, a view of the bytes below the offset (writeEncoder and writeEncoderArray read
// that too). tests/bundle/kafkajs-encoder-buffers.test.ts encodes over a pool filled with a marker byte and
// compares the bytes with kafkajs as installed.
const { readFileSync } = require('node:fs');

const ENCODER = /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]encoder\.js$/;

const ALLOCATIONS = [
  [
    'this.buf = Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))',
    'this.buf = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize))',
  ],
  ['const newBuffer = Buffer.alloc(newLength)', 'const newBuffer = Buffer.allocUnsafe(newLength)'],
];

module.exports = {
  name: 'kafkajs-encoder-buffers',
  setup(build) {
    build.onLoad({ filter: ENCODER }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      // Any other Buffer.alloc in the file would be one this review did not cover.
      if (source.split('Buffer.alloc(').length !== ALLOCATIONS.length + 1) {
        throw new Error(
          `${args.path}: the Encoder's allocations are not the ones kafkajs 2.2.4 has; review deploy/esbuild-kafkajs-encoder-buffers.cjs`,
        );
      }
      for (const [unpatched, patched] of ALLOCATIONS) {
        if (source.split(unpatched).length !== 2) {
          throw new Error(`${args.path}: "${unpatched}" is not where kafkajs 2.2.4 has it`);
        }
        source = source.replace(unpatched, patched);
      }
      return { loader: 'js', contents: source };
    });
  },
};
