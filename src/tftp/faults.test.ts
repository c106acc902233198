// TFTP on a bad network (issue 10), at the server over real UDP on loopback. The client here injects the faults
// itself, on both directions of its own traffic: it loses 10% or 30% of the DATA it receives and of the ACKs it
// sends, sends some ACKs twice and holds others back so they arrive out of order. Transfers run in lock-step and
// windowed (RFC 7440), several at once; each must end byte-exact, and a transfer whose client vanishes must end in
// tftp.failed once the retries run out, with the server still serving. `npm run test:long` moves more data.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { tftpFetch } from '../../test/support/tftp-client.js';
import { serializeTftpPacket } from './packet.js';
import { fileRootRoute } from './routes.js';
import { rootWith, serve, until } from './test-server.fixture.js';

const fileBytes = scaled(100_000, 1_000_000);
// At 30% loss each way a lock-step block takes about two round trips and the server's timeouts back off: a
// megabyte takes minutes.
const deadlineMs = scaled(60_000, 900_000);

describe('TFTP under loss, duplication and reordering', () => {
  for (const lossPercent of [10, 30]) {
    it(`${lossPercent}% loss each way with duplicates and reordering: 4 transfers at once, lock-step and windowed, byte-exact`, async (t) => {
      const data = randomBytes(fileBytes);
      const { server } = await serve(t, [fileRootRoute(rootWith(t, { 'initrd.img': data }))], {
        timeoutMs: 100,
        retries: 40,
      });
      const faults = { lossPercent, duplicatePercent: 10, reorderPercent: 15 };
      const results = await Promise.all(
        [1, 1, 8, 16].map((windowsize) =>
          tftpFetch(server.port, 'initrd.img', { windowsize, faults, deadlineMs }),
        ),
      );
      for (const [i, received] of results.entries())
        assert.ok(received.data.equals(data), `transfer ${i} differs`);
      const injected = results.reduce((sum, result) => sum + result.injectedFaults, 0);
      assert.ok(injected > 0, 'the client injected no fault');
      reportCount(`tftp/faults ${lossPercent}% loss`, 'packets lost or held on purpose', injected);
      reportCount(
        `tftp/faults ${lossPercent}% loss`,
        'bytes transferred byte-exact',
        fileBytes * results.length,
      );
    });
  }

  it('ends a transfer whose client vanished in tftp.failed after its retries, and keeps serving', async (t) => {
    const data = randomBytes(50_000);
    const { server, events } = await serve(t, [fileRootRoute(rootWith(t, { f: data }))], {
      timeoutMs: 50,
      retries: 3,
    });
    const gone = createSocket('udp4');
    gone.bind(0, '127.0.0.1');
    await once(gone, 'listening');
    gone.send(
      serializeTftpPacket({ type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() }),
      server.port,
      '127.0.0.1',
    );
    await once(gone, 'message');
    gone.close();
    await until(() => events.some((event) => event.type === 'tftp.failed'), 5_000);
    const failed = events.find((event) => event.type === 'tftp.failed');
    assert.ok(failed, JSON.stringify(events));
    assert.match(String(failed.error), /retr|timed out|no answer|gave up/i);
    const again = await tftpFetch(server.port, 'f');
    assert.ok(again.data.equals(data));
  });
});
