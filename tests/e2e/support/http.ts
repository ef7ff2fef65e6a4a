/** One HTTP call to the running service; answers status, headers and the parsed JSON body. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export const post = async (
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Reply> => {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseBody(text) };
};

const json = { 'content-type': 'application/json' };

/** A POST to one of the service's publishing routes, with its development token (and JSON unless told otherwise). */
export const publishTo = (
  service: { http: string; authHeaders: Record<string, string> },
  path: string,
  body: unknown,
  headers: Record<string, string> = json,
) => post(`${service.http}${path}`, body, { ...service.authHeaders, ...headers });

/** JSON bodies parsed; anything else (serverless-offline's own plain-text errors) kept as { text }. */
const parseBody = (text: string): Record<string, unknown> => {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
};
