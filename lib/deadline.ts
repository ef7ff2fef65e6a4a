/**
 * Races work against a deadline: rejects with timedOut() once timeoutMs have passed. The work may still settle
 * afterwards (a send already on the wire, a metadata request); its outcome must not become an unhandled rejection.
 */
export const withDeadline = <T>(work: Promise<T>, timeoutMs: number, timedOut: () => Error): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), Math.max(0, timeoutMs));
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
};
