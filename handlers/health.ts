import { createHealthHandler } from '../lib/health-handler.js';

/** GET /health: 200 when Kafka answers a metadata request in time, 503 with Retry-After when it does not. */
export const handler = createHealthHandler();
