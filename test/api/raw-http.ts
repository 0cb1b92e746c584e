import { connect } from 'node:net';

export type RawResponse = { status: number; headers: Record<string, string>; body: string };

/**
 * Writes bytes to one TCP connection, as a client that pipelines on a keep-alive connection
 * would, and reads until the server closes it or `timeoutMs` passes. `pauseAfter` is how many
 * writes to send before waiting for the first response (0: all at once).
 */
export const rawExchange = (
  url: string,
  writes: (string | Buffer)[],
  { timeoutMs = 20_000, pauseAfter = 0 } = {},
): Promise<{ text: string; responses: RawResponse[]; error?: string; timedOut: boolean }> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let error: string | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    const rest = pauseAfter > 0 ? writes.slice(pauseAfter) : [];
    const first = pauseAfter > 0 ? writes.slice(0, pauseAfter) : writes;
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (rest.length > 0 && parseResponses(Buffer.concat(received).toString('latin1')).length > 0) {
        for (const write of rest.splice(0)) socket.write(write);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(received).toString('latin1');
      resolve({ text, responses: parseResponses(text), timedOut, ...(error && { error }) });
    });
    for (const write of first) socket.write(write);
  });

/** Splits what a server sent into responses (Content-Length or chunked bodies). */
export const parseResponses = (text: string): RawResponse[] => {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const status = Number(statusLine.split(' ')[1]);
    rest = rest.slice(end + 4);
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) return responses;
        const size = Number.parseInt(rest.slice(0, lineEnd), 16);
        rest = rest.slice(lineEnd + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length < length) return responses;
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    responses.push({ status, headers, body });
  }
  return responses;
};

/** A request head for a raw connection. */
export const head = (method: string, path: string, headers: Record<string, string | number> = {}) =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
