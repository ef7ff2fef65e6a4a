// Waiting on what a child process prints: the one "is it ready yet" for the embedded broker, the service
// under test and the test's stand-in containers.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WaitForLineOptions {
  /** Which of the child's streams to read. Default stdout. */
  stream?: 'stdout' | 'stderr';
  timeoutMs: number;
  /** Names the child in errors, e.g. "embedded broker". */
  what: string;
}

/** Resolves with the first line `match` accepts; rejects if the child exits or fails to start first. */
export function waitForLine(
  child: ChildProcess,
  match: (line: string) => boolean,
  { stream = 'stdout', timeoutMs, what }: WaitForLineOptions,
): Promise<string> {
  const input = child[stream];
  if (!input) return Promise.reject(new Error(`${what}: its ${stream} is not a pipe`));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input });
    const timer = setTimeout(
      () => fail(new Error(`${what} not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`${what} exited before it was ready (code ${code}, signal ${signal})`));
    const cleanup = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', fail);
      lines.off('line', onLine);
    };
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onLine = (line: string) => {
      if (!match(line)) return;
      cleanup();
      resolve(line);
    };
    child.once('exit', onExit);
    child.once('error', fail);
    lines.on('line', onLine);
  });
}

/** Resolves with the first JSON line whose `event` is "ready" (what main.ts and start.ts print). */
export async function waitForReadyLine<T extends { event: 'ready' }>(
  child: ChildProcess,
  options: WaitForLineOptions,
): Promise<T> {
  return JSON.parse(await waitForLine(child, isReadyLine, options)) as T;
}

function isReadyLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return (JSON.parse(line) as { event?: unknown }).event === 'ready';
  } catch {
    return false; // not ours; stay tolerant of other output
  }
}
