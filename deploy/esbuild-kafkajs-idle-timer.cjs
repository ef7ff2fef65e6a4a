// An esbuild plugin that stops kafkajs 2.2.4 from polling an idle connection.
//
// After every response, kafkajs's RequestQueue.checkPendingRequests sends what waits behind the in-flight
// limit and then calls scheduleCheckPendingRequests, which sets a timer for `throttledUntil - Date.now()`
// even when nothing waits. throttledUntil is -1 unless the broker throttles, so the delay is negative: Node
// runs it after 1 ms (Node 24 also prints a TimeoutNegativeWarning), the timer calls checkPendingRequests,
// which schedules the next one. Every connection thus spins a 1 ms timer for as long as it is open: on
// Lambda that is work running after the answer and resuming in the next invocation; a connected function
// spent about 75 ms of CPU a second on it with no request (`npm run bench`, idle; about 9 ms with the patch).
// Upstream: tulios/kafkajs#1704 and #1751, open.
//
// The patch returns early when nothing is pending. Nothing is lost: push() schedules a check whenever it
// queues a request, and every response and request timeout runs checkPendingRequests itself.
const { readFileSync } = require('node:fs');

const REQUEST_QUEUE = /[\\/]kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]index\.js$/;

const UNPATCHED = `  scheduleCheckPendingRequests() {
`;
const PATCHED = `  scheduleCheckPendingRequests() {
    // Nothing waits: no check to schedule (deploy/esbuild-kafkajs-idle-timer.cjs).
    if (this.pending.length === 0) return
`;

module.exports = {
  name: 'kafkajs-idle-timer',
  setup(build) {
    build.onLoad({ filter: REQUEST_QUEUE }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (source.split(UNPATCHED).length !== 2) {
        throw new Error(
          `${args.path}: scheduleCheckPendingRequests is not where kafkajs 2.2.4 has it; review deploy/esbuild-kafkajs-idle-timer.cjs`,
        );
      }
      return { loader: 'js', contents: source.replace(UNPATCHED, PATCHED) };
    });
  },
};
