/** Starts the cold child's receipt line, which shares stdout with the handler's own log lines. */
export const RECEIPT_MARKER = 'bench-cold-receipt ';
