// The processes the bench starts, and their clean-up: every child is registered when it is spawned and stopped
// by its own process id (or its own process group, for serverless-offline and what it spawns) on success,
// failure, Ctrl-C, SIGTERM or the bench's time limit. Nothing is ever looked up or killed by name.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isRunning, stopChild } from '../stop-child.js';

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();

/** Runs fn at clean-up time (last registered, first run) unless the returned function unregisters it first. */
export const onCleanup = (fn: Cleanup): (() => void) => {
  cleanups.add(fn);
  return () => void cleanups.delete(fn);
};

export const cleanupAll = async (): Promise<void> => {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`bench: clean-up step failed: ${(error as Error).message}\n`);
    }
  }
};

export { isRunning, stopChild };

/** Spawns a child that is stopped at clean-up time if it is still running then. */
export const spawnTracked = (
  command: string,
  args: readonly string[],
  options: SpawnOptions & { group?: boolean },
): ChildProcess => {
  const { group = false, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: group });
  const unregister = onCleanup(() => stopChild(child, { group }));
  child.once('exit', () => {
    if (!group) unregister();
  });
  return child;
};

/** Collects a child's output lines (the last `keep` of them) for error messages. */
export const captureLines = (
  child: ChildProcess,
  keep = 60,
  onLine?: (line: string) => void,
): string[] => {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > keep) lines.shift();
      onLine?.(line);
    });
  }
  return lines;
};

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after timeoutMs), collecting its output. */
export const run = (
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs: number; keepBytes?: number },
): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const { timeoutMs, keepBytes = 16 * 2 ** 20, ...spawnOptions } = options;
    const child = spawnTracked(command, args, {
      ...spawnOptions,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Output is drained as it comes (a child must never block on a full pipe); only its tail is kept. Cheaply:
    // the loop worker writes a log line per call, and a drain that copied its whole tail per chunk would take
    // CPU from the very processes it measures (two cores, shared with the broker).
    const stdout = new OutputTail(keepBytes);
    const stderr = new OutputTail(keepBytes);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.add(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.add(chunk));
    const timer = setTimeout(() => {
      void stopChild(child, { graceMs: 2_000 });
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${tail(stdout.text() + stderr.text())}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text() });
    });
  });

/** The last keepBytes characters of a stream, kept as chunks and joined only when asked for. */
class OutputTail {
  private chunks: string[] = [];
  private length = 0;

  constructor(private readonly keepBytes: number) {}

  add(chunk: string): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.chunks.length > 1 && this.length - (this.chunks[0]?.length ?? 0) >= this.keepBytes)
      this.length -= this.chunks.shift()?.length ?? 0;
  }

  text(): string {
    const joined = this.chunks.join('');
    return joined.length > this.keepBytes ? joined.slice(-this.keepBytes) : joined;
  }
}

export const tail = (text: string, lines = 30) =>
  text.trimEnd().split('\n').slice(-lines).join('\n');
