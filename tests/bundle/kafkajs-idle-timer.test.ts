// deploy/esbuild-kafkajs-idle-timer.cjs: a bundled kafkajs request queue arms no timer while nothing waits,
// and still schedules a check for a request that waits behind the in-flight limit. The same probe against
// kafkajs as installed shows the defect the plugin mends.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../e2e/support/service.js';
import { runBundled } from './support/bundle.js';

// A queue as a connection makes one; checkPendingRequests is what every response and request timeout runs.
// Node reports warnings on a later tick, hence the wait before printing.
const probe = `
const RequestQueue = require('kafkajs/src/network/requestQueue');
const warnings = [];
process.on('warning', (warning) => warnings.push(warning.name));
const quiet = () => {};
const queue = new RequestQueue({
  maxInFlightRequests: 1, requestTimeout: 30000, enforceRequestTimeout: true, clientId: 'probe', broker: 'localhost:1',
  logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
});
queue.checkPendingRequests();
const idleTimerArmed = queue.throttleCheckTimeoutId !== null;
queue.destroy();
queue.pending.push({ correlationId: 1 });
queue.scheduleCheckPendingRequests();
const waitingTimerArmed = queue.throttleCheckTimeoutId !== null;
queue.destroy();
setTimeout(() => console.log(JSON.stringify({ idleTimerArmed, waitingTimerArmed, warnings })), 20);
`;

describe('kafkajs request queue, bundled', () => {
  it('arms no timer when nothing waits, and one when a request waits', async () => {
    expect(JSON.parse(await runBundled(probe))).toEqual({
      idleTimerArmed: false,
      waitingTimerArmed: true,
      warnings: [],
    });
  });

  it('differs from kafkajs as installed, which re-arms a negative timer with nothing waiting', () => {
    const installed = JSON.parse(
      execFileSync(process.execPath, ['-e', probe], {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { idleTimerArmed: boolean; warnings: string[] };
    // If this fails, kafkajs has mended it itself and the plugin can go.
    expect(installed.idleTimerArmed).toBe(true);
    expect(installed.warnings).toContain('TimeoutNegativeWarning');
  });
});
