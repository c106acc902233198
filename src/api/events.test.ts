import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { startServer } from '../serve.js';

/** Reads SSE frames from a response until `count` events have arrived. */
async function readEvents(
  response: Response,
  count: number,
): Promise<{ id: string; event: string; data: any }[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: { id: string; event: string; data: any }[] = [];
  while (frames.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        frame
          .split('\n')
          .filter((line) => !line.startsWith(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
      );
      if (fields.data)
        frames.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) });
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return frames;
}

describe('live events', () => {
  it("streams a system's events as they happen and replays what a reconnecting watcher missed", async (t) => {
    const server = await startServer({ dataDir: tempDir(t), host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => server.stop());
    const base = `http://127.0.0.1:${server.port}/api/v1/events`;
    const live = await fetch(`${base}/stream?system=vm9`);
    assert.equal(live.headers.get('content-type'), 'text/event-stream');
    const reading = readEvents(live, 2);
    server.events.publish({ type: 'dhcp.discover', system: 'vm9' });
    server.events.publish({ type: 'dhcp.discover', system: 'other' });
    server.events.publish({ type: 'install.pre', system: 'vm9', source: '192.0.2.9' });
    const frames = await reading;
    assert.deepEqual(
      frames.map((frame) => frame.event),
      ['dhcp.discover', 'install.pre'],
    );
    assert.equal(frames[1]?.data.source, '192.0.2.9');

    server.events.publish({ type: 'install.post', system: 'vm9' });
    await server.events.flush();
    const replay = await readEvents(
      await fetch(`${base}/stream?system=vm9`, { headers: { 'last-event-id': frames[0]?.id ?? '' } }),
      2,
    );
    assert.deepEqual(
      replay.map((frame) => frame.event),
      ['install.pre', 'install.post'],
    );

    const listed = (await (await fetch(`${base}?system=vm9&type=install.`)).json()) as {
      items: { type: string }[];
    };
    assert.deepEqual(
      listed.items.map((event) => event.type),
      ['install.pre', 'install.post'],
    );
  });
});
