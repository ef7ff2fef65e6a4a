// Process lifetimes: stopping a child process we started, by its own pid (or its own process group), never by
// name; and ending with the parent that started us.
import type { ChildProcess } from 'node:child_process';

export const isRunning = (child: ChildProcess) =>
  child.exitCode === null && child.signalCode === null;

const exitOf = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (!isRunning(child)) return resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });

const delay = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds).unref());

/**
 * SIGTERM to the child's pid (or to its process group when it was started detached, as its own group leader),
 * SIGKILL after graceMs if it has not exited.
 */
export const stopChild = async (
  child: ChildProcess,
  { group = false, graceMs = 5_000 } = {},
): Promise<void> => {
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      if (group) process.kill(-pid, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  const exited = exitOf(child);
  if (isRunning(child)) {
    signal('SIGTERM');
    if (await Promise.race([exited.then(() => false), delay(graceMs).then(() => true)]))
      signal('SIGKILL');
    await exited;
  }
  // Whatever the group leader left behind (serverless-offline's esbuild service) goes with it.
  if (group) signal('SIGKILL');
};

/**
 * Calls stop once stdin ends. A parent that starts us with a pipe on stdin holds its other end: when the parent
 * is gone, however it ended (killed outright, with no signal reaching us), the pipe closes and we must not
 * outlive it.
 */
export const stopWhenStdinCloses = (stop: (reason: string) => void): void => {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
};

/**
 * Calls stop once the process that started us is gone and we were adopted by another: npm passes on SIGINT and
 * SIGTERM only, so npm killed outright, or hung up, would otherwise leave us and our children running.
 */
export const stopWhenOrphaned = (stop: () => void, intervalMs = 500): void => {
  const startedBy = process.ppid;
  setInterval(() => {
    if (process.ppid !== startedBy) stop();
  }, intervalMs).unref();
};
