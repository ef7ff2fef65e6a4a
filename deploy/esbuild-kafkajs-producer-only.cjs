// An esbuild plugin that leaves out the parts of kafkajs a publishing function never runs: the consumer,
// and the protocol requests of consumer groups and cluster administration. kafkajs is CommonJS and
// requires all of them up front, so tree-shaking cannot drop them; they were about a third of each bundle.
// A left-out part throws if it is ever reached, so a mistake here fails loudly (the end-to-end tests run
// these bundles against a broker), never silently.
const path = require('node:path');

const unusedRequests = [
  'fetch',
  'offsetCommit',
  'offsetFetch',
  'joinGroup',
  'heartbeat',
  'leaveGroup',
  'syncGroup',
  'describeGroups',
  'listGroups',
  'createTopics',
  'deleteTopics',
  'deleteRecords',
  'txnOffsetCommit',
  'describeAcls',
  'createAcls',
  'deleteAcls',
  'describeConfigs',
  'alterConfigs',
  'createPartitions',
  'deleteGroups',
  'alterPartitionReassignments',
  'listPartitionReassignments',
];

const kafkajsSrc = path.join('kafkajs', 'src');
const isLeftOut = (file) => {
  const relative = file.split(`${kafkajsSrc}${path.sep}`)[1];
  if (!relative) return false;
  if (relative === path.join('consumer', 'index.js')) return true;
  const request = /^protocol[\\/]requests[\\/]([^\\/]+)[\\/]index\.js$/.exec(relative);
  return Boolean(request && unusedRequests.includes(request[1]));
};

module.exports = {
  name: 'kafkajs-producer-only',
  setup(build) {
    build.onLoad({ filter: /kafkajs[\\/]src[\\/].*\.js$/ }, (args) => {
      if (!isLeftOut(args.path)) return undefined;
      const name = path.relative(path.join(args.path, '..', '..'), args.path);
      return {
        loader: 'js',
        contents: `const fail = () => { throw new Error('kafkajs ${name.replace(/\\/g, '/')} is not bundled: this function only produces'); };
module.exports = new Proxy(fail, { get: (_, key) => (key === 'versions' ? {} : key === '__esModule' ? false : fail) });`,
      };
    });
  },
};
