// An esbuild plugin that leaves out the code kafkajs runs only against a broker older than Kafka 1.0.
//
// kafkajs asks each broker for the versions it supports (ApiVersions) and sends each request at the highest
// version both sides implement: Math.min(the highest kafkajs implements, the broker's maxVersion), in
// kafkajs/src/protocol/requests/index.js's lookup. A broker's maxVersion only grows from one Kafka release to
// the next, so against Kafka 1.0 or later a request is never sent below the version Kafka 1.0 supports as its
// highest (the table below; kafkajs goes no higher than Produce v7, Metadata v6, ListOffsets v3). Each
// request's index.js maps versions to functions that require that version's modules; the functions of the
// versions below the floor are the ones left out, and with them the modules only they require: the message
// sets and message formats v0/v1 (with their CRC32) of Produce v0-v4, Metadata v0-v1 and ListOffsets
// v0-v1. A kept version's own requires of older versions' modules (Produce v5's request builds on v3's) stay.
//
// Kafka 1.0 is also the first with SaslAuthenticate, which kafkajs then uses for every SASL exchange: its
// Connection.sendAuthRequest (SASL tokens sent raw, for older brokers) is left out as well.
//
// Against an older broker, a left-out version or method throws, naming itself (deploy/left-out-runtime.cjs),
// rather than being sent: these functions need Kafka 1.0 or later (Amazon MSK offers nothing older).
const { readFileSync } = require('node:fs');
const { withFunctionsLeftOut } = require('./esbuild-left-out.cjs');

/**
 * The highest version Kafka 1.0 supports, per request that these functions send and kafkajs implements
 * older versions of (directory of kafkajs/src/protocol/requests): below it, none is ever sent. Except
 * Metadata, kept from v2: the embedded broker the tests run against (librdkafka's mock cluster) supports
 * Metadata v0-v2 only, which a real Kafka 0.10.1 or later goes beyond.
 * ApiVersions (v0-v1), SaslHandshake (v0-v1), SaslAuthenticate (v0) and InitProducerId (v0) keep all their
 * versions: kafkajs implements none older than Kafka 1.0's, or the newer build on them.
 */
const kafka10 = { produce: 5, metadata: 2, listOffsets: 2 };

const OLD_BROKER = 'the broker is older than Kafka 1.0, which these functions need';

const REQUEST_INDEX = /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]requests[\\/]([^\\/]+)[\\/]index\.js$/;
const range = (n) => Array.from({ length: n }, (_, i) => i);

module.exports = {
  name: 'kafkajs-old-protocol',
  setup(build) {
    build.onLoad({ filter: REQUEST_INDEX }, (args) => {
      const request = REQUEST_INDEX.exec(args.path)[1];
      const floor = kafka10[request];
      if (floor === undefined) return undefined;
      const source = readFileSync(args.path, 'utf8');
      return {
        loader: 'js',
        contents: withFunctionsLeftOut(
          source,
          args.path,
          range(floor),
          `kafkajs ${request} v`,
          OLD_BROKER,
        ),
      };
    });
    build.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]network[\\/]connection\.js$/ }, (args) => ({
      loader: 'js',
      contents: withFunctionsLeftOut(
        readFileSync(args.path, 'utf8'),
        args.path,
        ['sendAuthRequest'],
        'kafkajs Connection.',
        OLD_BROKER,
      ),
    }));
  },
};
