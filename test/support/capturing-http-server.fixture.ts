// A stand-in for a server the CLI should not trust, as its own process so that it can run inside a network
// namespace: it appends every byte it receives, headers and bodies as they came off the wire, to a file, and answers
// each request with a 401 error in the API's JSON shape, or with a 307 redirect to REDIRECT_URL (the same path
// appended) when one is given. Prints "listening" once it accepts connections.
// Usage: node --import tsx test/support/capturing-http-server.fixture.ts HOST PORT CAPTURE_FILE [REDIRECT_URL]

import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

const [host = '', port = '', captureFile = '', redirectUrl] = process.argv.slice(2);
writeFileSync(captureFile, '');

const server = createServer((socket) => {
  let received = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    appendFileSync(captureFile, chunk);
    received = Buffer.concat([received, chunk]);
    const headerEnd = received.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const head = received.subarray(0, headerEnd).toString('latin1');
    const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
    if (received.length < headerEnd + 4 + length) return;
    const path = head.split(' ')[1] ?? '/';
    const body = JSON.stringify({ error: { code: 'E_UNAUTHORIZED', message: 'Captured.' } });
    socket.end(
      redirectUrl
        ? `HTTP/1.1 307 Temporary Redirect\r\nLocation: ${redirectUrl}${path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`
        : `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    received = Buffer.alloc(0);
  });
});
server.listen(Number(port), host, () => process.stdout.write('listening\n'));
