// An esbuild plugin that writes kafkajs's table of Kafka error codes (protocol/error.js: 90 entries of
// `{ type, code, retriable, message }`, a few with a `helpUrl`; about 12 KB minified) as rows of values,
// `[type, code, retriable, message, helpUrl?]`, from which the same objects are made when the module loads:
// the property names are no longer repeated 90 times (about 2.5 KB less). Every entry, every message included, stays as it is: the plugin
// checks that the rows make exactly the objects kafkajs's own module exports, in the same order with the same
// properties, and fails the build otherwise.
const { readFileSync } = require('node:fs');
const { isDeepStrictEqual } = require('node:util');
const vm = require('node:vm');

const KEYS = ['type', 'code', 'retriable', 'message'];
const WITH_HELP = [...KEYS, 'helpUrl'];

const compactTable = (file) => {
  const source = readFileSync(file, 'utf8');
  const start = source.indexOf('const errorCodes = [');
  const end = source.indexOf('\n]\n', start);
  if (start < 0 || end < 0) throw new Error(`${file}: no errorCodes table (has kafkajs changed?)`);
  // The table as kafkajs defines it, read by kafkajs itself.
  const { errorCodes } = require(file);
  for (const entry of errorCodes) {
    const keys = Object.keys(entry);
    if (!isDeepStrictEqual(keys, KEYS) && !isDeepStrictEqual(keys, WITH_HELP))
      throw new Error(
        `${file}: an error code entry is not { ${WITH_HELP.join(', ')}? }: ${JSON.stringify(entry)}`,
      );
  }
  const rows = JSON.stringify(errorCodes.map((entry) => Object.values(entry)));
  const table = `const errorCodes = ${rows}.map(([type, code, retriable, message, helpUrl]) =>
  helpUrl === undefined ? { type, code, retriable, message } : { type, code, retriable, message, helpUrl })`;
  const rebuilt = vm.runInNewContext(`${table}; errorCodes`);
  // Compared as JSON: the objects come from another realm, and every value is a string, number or boolean.
  if (JSON.stringify(rebuilt) !== JSON.stringify(errorCodes))
    throw new Error(`${file}: the compact table does not rebuild kafkajs's errorCodes`);
  return `${source.slice(0, start)}${table}\n${source.slice(end + 3)}`;
};

module.exports = {
  name: 'kafkajs-error-table',
  setup(build) {
    build.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]error\.js$/ }, (args) => ({
      loader: 'js',
      contents: compactTable(args.path),
    }));
  },
};
