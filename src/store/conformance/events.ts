// What every event log does, whatever keeps it: run by conformance.test.ts against each backend. The install
// timeline, `bootwright watch` and the SSE stream read it through these queries.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { EventLog, Store } from '../store.js';

/** Registers the event log's tests; `open` gives an empty store for each, which the test closes. */
export function eventLogConformance(
  name: string,
  open: (context: TestContext) => Store | Promise<Store>,
): void {
  const fresh = async (context: TestContext): Promise<EventLog> => {
    const store = await open(context);
    context.after(() => store.close());
    return store.events;
  };

  describe(`${name}: events`, () => {
    it('stores events with increasing ids, the time now when none is given, and an empty detail', async (context) => {
      const events = await fresh(context);
      const before = Date.now();
      const stored = await events.append([
        { type: 'dhcp.discover', mac: '52:54:00:00:00:09', source: '192.0.2.9' },
        { type: 'tftp.sent', time: 1000, system: 'vm9', ip: '192.0.2.9', detail: { path: 'pxelinux.0' } },
      ]);
      assert.equal(stored.length, 2);
      const [first, second] = stored as [(typeof stored)[0], (typeof stored)[0]];
      assert.ok(first.id > 0 && second.id > first.id);
      assert.ok(first.time >= before && first.time <= Date.now());
      assert.deepEqual(first.detail, {});
      assert.deepEqual(await events.query({}), [
        {
          id: first.id,
          time: first.time,
          type: 'dhcp.discover',
          mac: '52:54:00:00:00:09',
          source: '192.0.2.9',
          detail: {},
        },
        {
          id: second.id,
          time: 1000,
          type: 'tftp.sent',
          system: 'vm9',
          ip: '192.0.2.9',
          detail: { path: 'pxelinux.0' },
        },
      ]);
      assert.deepEqual(await events.append([]), []);
    });

    it('finds events by system, by type or type prefix, after an id and since a time', async (context) => {
      const events = await fresh(context);
      const stored = await events.append([
        { type: 'dhcp.discover', system: 'vm9', time: 1000 },
        { type: 'dhcp.ack', system: 'vm9', time: 2000 },
        { type: 'dhcpx.other', system: 'vm9', time: 3000 },
        { type: 'install.post', system: 'vm10', time: 4000 },
      ]);
      const types = async (query: Parameters<EventLog['query']>[0]) =>
        (await events.query(query)).map((event) => event.type);
      assert.deepEqual(await types({ system: 'vm10' }), ['install.post']);
      assert.deepEqual(await types({ type: 'dhcp.' }), ['dhcp.discover', 'dhcp.ack']);
      assert.deepEqual(await types({ type: 'dhcp.ack' }), ['dhcp.ack']);
      assert.deepEqual(await types({ type: 'dhcp' }), [], 'a type without its dot is matched whole');
      assert.deepEqual(await types({ afterId: stored[1]?.id }), ['dhcpx.other', 'install.post']);
      assert.deepEqual(await types({ since: 3000 }), ['dhcpx.other', 'install.post']);
      assert.deepEqual(await types({ system: 'vm9', type: 'dhcp.', since: 2000 }), ['dhcp.ack']);
    });

    it('gives the oldest first, or the newest first, up to a limit', async (context) => {
      const events = await fresh(context);
      await events.append(Array.from({ length: 1005 }, (_, index) => ({ type: `step.${index}` })));
      assert.equal((await events.query({})).length, 1000, 'a thousand at most unless told');
      assert.deepEqual(
        (await events.query({ limit: 2 })).map((event) => event.type),
        ['step.0', 'step.1'],
      );
      assert.deepEqual(
        (await events.query({ limit: 2, newestFirst: true })).map((event) => event.type),
        ['step.1004', 'step.1003'],
      );
      assert.equal((await events.query({ limit: 2000 })).length, 1005);
    });

    it('prunes the events older than a time and says how many went', async (context) => {
      const events = await fresh(context);
      await events.append([
        { type: 'a', time: 1000 },
        { type: 'b', time: 1999 },
        { type: 'c', time: 2000 },
      ]);
      assert.equal(await events.prune(2000), 2);
      assert.deepEqual(
        (await events.query({})).map((event) => event.type),
        ['c'],
      );
      assert.equal(await events.prune(2000), 0);
    });
  });
}
