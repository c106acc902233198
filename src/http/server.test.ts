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
