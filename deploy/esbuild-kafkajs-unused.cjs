// An esbuild plugin that leaves out the parts of kafkajs a function never runs. kafkajs is CommonJS and
// requires all of its parts up front (every client, protocol request and SASL mechanism), so tree-shaking
// cannot drop any of them. Left out:
// - the clients the function's own code never makes. The publishing functions make a producer
//   (lib/producer/kafkajs-producer.ts), the health function an admin client (lib/producer/kafkajs-probe.ts),
//   none a consumer. Which ones a function makes is read from its code: the source files its entry point
//   reaches (outside node_modules) that call `.producer(`, `.admin(` or `.consumer(` (a first, quick esbuild
//   pass over the entry point, with every package external). A client the code reached another way would be
//   left out by mistake, and fail at once, with the message below;
// - the protocol requests the function never sends: those of consumer groups, transactions and cluster
//   administration, which neither the idempotent producer nor the health probe's admin calls (Metadata and
//   ListOffsets) send, and those of a client the function does not make (Produce and InitProducerId belong to
//   the producer, ListOffsets to the admin client). Out go the request's modules (from the table in
//   protocol/requests/index.js), the Broker method that sends it, and what calls only that method: Cluster's
//   group-coordinator lookups and committed offsets and, without ListOffsets, its fetchTopicsOffset;
// - the producer's transactions (its `transaction` and its eosManager's transactional methods, and with them
//   Node's assert module): no producer here has a transactionalId, without which kafkajs refuses to start a
//   transaction;
// - the AWS SASL mechanism: lib/producer/broker-security.ts selects PLAIN, SCRAM-SHA-256/512, or OAUTHBEARER
//   (MSK IAM, through AWS's signer), never kafkajs's own AWS mechanism;
// - the legacy partitioner (the producer is always given the default, Java-compatible one) and the consumer's
//   partition assigners;
// - all of kafkajs's package.json but what src/errors.js reads from it (its `bugs` URL), and its name and version;
// - the tables of ACL and config types its index.js exports for an admin client's ACL and config calls, which no
//   function makes (the admin client requires them itself, so the health function keeps them);
// - the warning about kafkajs 2's new default partitioner, which no client here would print.
// What is left out throws if it is ever reached, naming itself (deploy/left-out-runtime.cjs): a mistake here
// fails loudly (the end-to-end tests run these bundles against a broker), never silently.
const path = require('node:path');
const { readFileSync } = require('node:fs');
const { leftOut, runtime, withFunctionsLeftOut } = require('./esbuild-left-out.cjs');

/**
 * Protocol requests no function sends: their keys in protocol/requests/index.js's table, and the Broker
 * method that sends each.
 */
const neverSent = {
  Fetch: 'fetch',
  OffsetCommit: 'offsetCommit',
  OffsetFetch: 'offsetFetch',
  GroupCoordinator: 'findGroupCoordinator',
  JoinGroup: 'joinGroup',
  Heartbeat: 'heartbeat',
  LeaveGroup: 'leaveGroup',
  SyncGroup: 'syncGroup',
  DescribeGroups: 'describeGroups',
  ListGroups: 'listGroups',
  CreateTopics: 'createTopics',
  DeleteTopics: 'deleteTopics',
  DeleteRecords: 'deleteRecords',
  AddPartitionsToTxn: 'addPartitionsToTxn',
  AddOffsetsToTxn: 'addOffsetsToTxn',
  EndTxn: 'endTxn',
  TxnOffsetCommit: 'txnOffsetCommit',
  DescribeAcls: 'describeAcls',
  CreateAcls: 'createAcls',
  DeleteAcls: 'deleteAcls',
  DescribeConfigs: 'describeConfigs',
  AlterConfigs: 'alterConfigs',
  CreatePartitions: 'createPartitions',
  DeleteGroups: 'deleteGroups',
  AlterPartitionReassignments: 'alterPartitionReassignments',
  ListPartitionReassignments: 'listPartitionReassignments',
};

/** Protocol requests only one client sends (the others, Metadata, ApiVersions and SASL, every client does). */
const sentOnlyBy = {
  Produce: { client: 'producer', method: 'produce' },
  InitProducerId: { client: 'producer', method: 'initProducerId' },
  ListOffsets: { client: 'admin', method: 'listOffsets' },
};

/** Modules (under kafkajs/src) left out of every function, and why. */
const neverRun = {
  'consumer/index.js': 'no function consumes',
  'consumer/assigners/index.js': 'no function consumes',
  'consumer/assignerProtocol.js': 'no function consumes',
  'producer/partitioners/legacy/index.js':
    'the producer is always given the default partitioner (lib/producer/kafkajs-producer.ts)',
  'broker/saslAuthenticator/awsIam.js':
    "MSK IAM authenticates with OAUTHBEARER and AWS's signer (lib/producer/broker-security.ts), not this mechanism",
};

/** Transactions: the producer's `transaction` (producer/index.js), its eosManager's transactional methods. */
const NO_TRANSACTIONS = 'no producer here has a transactionalId, so none starts a transaction';
const transactional = [
  'beginTransaction',
  'addPartitionsToTransaction',
  'commit',
  'abort',
  'sendOffsets',
];

/**
 * index.js without the warning kafkajs logs once when a producer is made without a partitioner (that its v2
 * changed the default one): every client here logs nothing (logLevel NOTHING), and the functions' producers
 * name their partitioner. Its text is about 350 bytes of each function.
 */
const PARTITIONER_WARNING =
  /^const warnOfDefaultPartitioner = once\(logger => \{\n[\s\S]*?\n\}\)\n/m;
const withoutPartitionerWarning = (source, file) => {
  if (!PARTITIONER_WARNING.test(source))
    throw new Error(`${file}: no partitioner warning to leave out (has kafkajs changed?)`);
  return source.replace(PARTITIONER_WARNING, 'const warnOfDefaultPartitioner = () => {}\n');
};

/**
 * The eosManager's source without its `require('assert')`, which only sendOffsets (a transactional method, left
 * out above) calls: loading Node's assert module costs every cold start about 1 ms, and nothing else loads it.
 */
const ASSERT_REQUIRE = /^const assert = require\('assert'\)\n/m;
const withoutAssert = (source, file) => {
  if (!ASSERT_REQUIRE.test(source))
    throw new Error(`${file}: no require('assert') to leave out (has kafkajs changed?)`);
  const rest = source.replace(ASSERT_REQUIRE, '');
  if (/\bassert\b/.test(rest))
    throw new Error(`${file}: assert is still used without transactions (has kafkajs changed?)`);
  return rest;
};

/**
 * kafkajs's index.js without its six tables of ACL and config types (the package's exports, which no function
 * reads): one stand-in for all of them.
 */
const TYPE_TABLES =
  /^const (\w+) = require\('\.\/src\/protocol\/(?:configResourceTypes|configSource|aclResourceTypes|aclOperationTypes|aclPermissionTypes|resourcePatternTypes)'\)\n/gm;
const withoutTypeTables = (source, file) => {
  let found = 0;
  const rest = source.replace(TYPE_TABLES, (_, name) => {
    found += 1;
    return `const ${name} = __typeTablesLeftOut\n`;
  });
  if (found !== 6)
    throw new Error(
      `${file}: expected 6 tables of ACL and config types, found ${found} (has kafkajs changed?)`,
    );
  return `const __typeTablesLeftOut = require(${runtime}).stub('kafkajs ACL and config types', 'no function reads them');\n${rest}`;
};

const CLIENT_CALL = /\.(producer|admin|consumer)\s*\(/g;

/** The kafkajs clients the build's own source files make (see above). */
const clientsMadeBy = async (build) => {
  const { entryPoints, stdin, absWorkingDir = process.cwd(), tsconfig } = build.initialOptions;
  const { metafile } = await build.esbuild.build({
    entryPoints,
    stdin,
    absWorkingDir,
    tsconfig,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    write: false,
    outdir: 'kafkajs-clients-scan',
    metafile: true,
    logLevel: 'silent',
  });
  const clients = new Set();
  for (const file of Object.keys(metafile.inputs)) {
    if (file.includes('node_modules/')) continue;
    let source;
    if (stdin && file === (stdin.sourcefile ?? '<stdin>')) source = stdin.contents;
    else if (file.startsWith('<')) continue;
    else source = readFileSync(path.resolve(absWorkingDir, file), 'utf8');
    for (const [, client] of source.matchAll(CLIENT_CALL)) clients.add(client);
  }
  return clients;
};

/** What a function that makes these clients leaves out. */
const leftOutFor = (clients) => {
  const requests = new Map(Object.entries(neverSent));
  for (const [request, { client, method }] of Object.entries(sentOnlyBy))
    if (!clients.has(client)) requests.set(request, method);
  return {
    requests,
    clients: ['producer', 'admin', 'consumer'].filter((client) => !clients.has(client)),
  };
};

/** protocol/requests/index.js with the left-out requests' entries of its table made stand-ins. */
const withRequestsLeftOut = (source, requests) => {
  let replaced = 0;
  const result = source.replace(/^( {2})(\w+): require\('\.\/\w+'\),$/gm, (line, indent, name) => {
    if (!requests.has(name)) return line;
    replaced += 1;
    return `${indent}${name}: __leftOutRequest(${JSON.stringify(name)}),`;
  });
  if (replaced !== requests.size)
    throw new Error(
      `kafkajs protocol/requests/index.js: expected ${requests.size} requests to leave out, found ${replaced} (has kafkajs changed?)`,
    );
  return `const __leftOutRequest = (name) => require(${runtime}).stub(\`kafkajs \${name} request\`, 'this function never sends it');\n${result}`;
};

/** The path of a file under kafkajs/src, with forward slashes, or undefined. */
const kafkajsSource = (file) =>
  /[\\/]kafkajs[\\/]src[\\/](.+)$/.exec(file)?.[1].replace(/\\/g, '/');

module.exports = {
  name: 'kafkajs-unused',
  setup(build) {
    let clients;
    // Once per build (and rebuild: the code may have changed), on first need.
    build.onStart(() => {
      clients = undefined;
    });
    const leftOutHere = async () => {
      clients ??= clientsMadeBy(build);
      return leftOutFor(await clients);
    };
    const transformed = (args, owner, names, why) => ({
      loader: 'js',
      contents: withFunctionsLeftOut(
        readFileSync(args.path, 'utf8'),
        args.path,
        names,
        `kafkajs ${owner}.`,
        why,
      ),
    });

    build.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/].*\.js$/ }, async (args) => {
      const file = kafkajsSource(args.path);
      if (!file) return undefined;
      if (neverRun[file]) return leftOut(`kafkajs ${file}`, neverRun[file]);
      const client = /^(producer|admin|consumer)\/index\.js$/.exec(file)?.[1];
      if (client) {
        if ((await leftOutHere()).clients.includes(client))
          return leftOut(`kafkajs ${file}`, `this function makes no ${client} client`);
        if (client === 'producer')
          return transformed(args, 'producer', ['transaction'], NO_TRANSACTIONS);
        return undefined;
      }
      switch (file) {
        case 'index.js': {
          const { contents } = transformed(args, 'Kafka', (await leftOutHere()).clients);
          return { loader: 'js', contents: withoutPartitionerWarning(contents, args.path) };
        }
        case 'protocol/requests/index.js': {
          const { requests } = await leftOutHere();
          return {
            loader: 'js',
            contents: withRequestsLeftOut(readFileSync(args.path, 'utf8'), requests),
          };
        }
        case 'broker/index.js':
          return transformed(args, 'Broker', [...(await leftOutHere()).requests.values()]);
        case 'cluster/index.js': {
          const { requests } = await leftOutHere();
          // Group coordinators and committed offsets: consumers' and transactions' only.
          const methods = [
            'findGroupCoordinator',
            'findGroupCoordinatorMetadata',
            'committedOffsets',
            'markOffsetAsCommitted',
          ];
          if (requests.has('ListOffsets')) methods.push('fetchTopicsOffset', 'defaultOffset');
          return transformed(args, 'Cluster', methods);
        }
        case 'producer/eosManager/index.js': {
          const { contents } = transformed(args, 'EosManager', transactional, NO_TRANSACTIONS);
          return { loader: 'js', contents: withoutAssert(contents, args.path) };
        }
        default:
          return undefined;
      }
    });

    build.onLoad({ filter: /[\\/]kafkajs[\\/]index\.js$/ }, (args) => ({
      loader: 'js',
      contents: withoutTypeTables(readFileSync(args.path, 'utf8'), args.path),
    }));

    build.onLoad({ filter: /[\\/]kafkajs[\\/]package\.json$/ }, (args) => {
      const { name, version, bugs } = JSON.parse(readFileSync(args.path, 'utf8'));
      return { loader: 'json', contents: JSON.stringify({ name, version, bugs }) };
    });
  },
};
