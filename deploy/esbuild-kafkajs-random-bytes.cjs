// An esbuild plugin that bundles Node's crypto.randomBytes in place of kafkajs's randomBytes module, which its
// default partitioner calls once per topic (a random start for keyless messages' round robin). That module
// prefers Web Crypto wherever the global `crypto` exists, as it does on Node.js 24: reading the global when the
// module loads loads Node's Web Crypto, and the first call loads its WebIDL converters, together about 1.3 ms
// of every cold start (0.45 ms at load, 0.85 ms in the first send, `node -e` on Node.js 24 beside a first
// randomBytes at 0.2 ms). Node's randomBytes comes from node:crypto, which the bundles load anyway. kafkajs
// only asks for 32 bytes, so its refusal of more than 65,536 is not needed.
const KAFKAJS_RANDOM_BYTES =
  /[\\/]kafkajs[\\/]src[\\/]producer[\\/]partitioners[\\/]legacy[\\/]randomBytes\.js$/;

module.exports = {
  name: 'kafkajs-random-bytes',
  setup(build) {
    build.onLoad({ filter: KAFKAJS_RANDOM_BYTES }, () => ({
      loader: 'js',
      contents: "module.exports = require('node:crypto').randomBytes;\n",
    }));
  },
};
