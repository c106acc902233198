import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { takingTurns } from './server.js';

describe('requests take turns', () => {
  it('at most 16 start in one turn of the event loop, in arrival order; the rest wait for the next turns', async () => {
    const started: number[] = [];
    const listener = takingTurns((request) => void started.push(Number(request.url)));
    for (let i = 0; i < 40; i++) listener({ url: String(i) } as IncomingMessage, {} as ServerResponse);
    assert.deepEqual(started, [], 'nothing starts inside the turn that read the requests');
    const afterTurns: number[] = [];
    for (let turn = 0; turn < 3; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      afterTurns.push(started.length);
    }
    assert.deepEqual(afterTurns, [16, 32, 40]);
    assert.deepEqual(
      started,
      Array.from({ length: 40 }, (_, i) => i),
    );
  });
});

describe('urgent requests', () => {
  it('start ahead of those already waiting, in arrival order among themselves', async () => {
    const started: string[] = [];
    const listener = takingTurns(
      (request) => void started.push(request.url ?? ''),
      16,
      (request) => request.url?.startsWith('api') === true,
    );
    for (let i = 0; i < 40; i++) listener({ url: `kickstart${i}` } as IncomingMessage, {} as ServerResponse);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started.length, 16);
    // Two operator calls arrive behind 24 waiting installer requests.
    listener({ url: 'api1' } as IncomingMessage, {} as ServerResponse);
    listener({ url: 'api2' } as IncomingMessage, {} as ServerResponse);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started.slice(16, 18), ['api1', 'api2']);
    assert.deepEqual(
      started.slice(18, 32),
      Array.from({ length: 14 }, (_, i) => `kickstart${16 + i}`),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started.length, 42);
  });
});
