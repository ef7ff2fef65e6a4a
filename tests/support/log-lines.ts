// The service's log lines as a test captures them from stdout or stderr: Powertools writes one JSON document per
// line; other text is not the service's.

/** The lines captured so far, and a stand-in for a stream's write that adds each JSON line it is given. */
export const logLineCapture = () => {
  const lines: Record<string, unknown>[] = [];
  const write = (chunk: unknown) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line of the service's
      }
    }
    return true;
  };
  /** The first line with this message at or after index `from`, waiting for it. */
  const line = async (message: string, from = 0, within = 15_000) => {
    for (const started = Date.now(); Date.now() - started < within; ) {
      const found = lines.slice(from).find((candidate) => candidate.message === message);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`nothing logged "${message}"`);
  };
  return { lines, write, line };
};
