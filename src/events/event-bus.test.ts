import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { openStore } from '../store/open-store.js';
import type { StoredEvent } from '../store/store.js';
import { EventBus } from './event-bus.js';

function setup(t: TestContext) {
  const store = openStore(`sqlite:${tempDir(t)}/store.sqlite`);
  t.after(() => store.close());
  const macs: Record<string, string> = { '52:54:00:00:00:09': 'vm9' };
  const bus = new EventBus(
    store.events,
    async ({ mac, ip }) => (mac ? macs[mac] : ip === '192.0.2.9' ? 'vm9' : undefined),
    {
      flushMs: 5,
    },
  );
  return { store, bus };
}

describe('event bus', () => {
  it('stores events with the system found by MAC or IP, in order', async (t) => {
    const { store, bus } = setup(t);
    bus.publish({ type: 'dhcp.discover', mac: '52:54:00:00:00:09' });
    bus.publish({ type: 'tftp.sent', ip: '192.0.2.9', detail: { path: 'pxelinux.0' } });
    bus.publish({ type: 'dhcp.discover', mac: '52:54:00:99:99:99' });
    bus.publish({ type: 'install.post', system: 'vm9', source: '192.0.2.9' });
    await bus.flush();
    const events = await store.events.query({ system: 'vm9' });
    assert.deepEqual(
      events.map((event) => event.type),
      ['dhcp.discover', 'tftp.sent', 'install.post'],
    );
    assert.deepEqual(events[1]?.detail, { path: 'pxelinux.0' });
    assert.equal((await store.events.query({ type: 'dhcp.' })).length, 2);
  });

  it('finds each machine of a batch by its own address, however many events each sent', async (t) => {
    const { store, bus } = setup(t);
    for (let i = 0; i < 3; i++) {
      bus.publish({ type: 'http.image', ip: '192.0.2.9' });
      bus.publish({ type: 'http.image', ip: '192.0.2.10' });
    }
    await bus.flush();
    const events = await store.events.query({});
    assert.deepEqual(
      events.map((event) => `${event.ip} ${event.system ?? '-'}`),
      ['192.0.2.9 vm9', '192.0.2.10 -', '192.0.2.9 vm9', '192.0.2.10 -', '192.0.2.9 vm9', '192.0.2.10 -'],
    );
  });

  it('delivers stored events to subscribers and keeps going when one of them throws', async (t) => {
    const { bus } = setup(t);
    const seen: StoredEvent[] = [];
    bus.subscribe(() => {
      throw new Error('closed stream');
    });
    const unsubscribe = bus.subscribe((event) => seen.push(event));
    bus.publish({ type: 'http.autoinstall', system: 'vm9' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(seen.length, 1);
    assert.ok((seen[0]?.id ?? 0) > 0, 'subscribers get stored events with ids');
    unsubscribe();
    bus.publish({ type: 'http.autoinstall', system: 'vm9' });
    await bus.flush();
    assert.equal(seen.length, 1);
  });

  it('writes a storm of events in batches and prunes old ones', async (t) => {
    const { store, bus } = setup(t);
    for (let i = 0; i < 5000; i++)
      bus.publish({ type: 'dhcp.discover', time: i < 1000 ? 1000 : Date.now(), mac: '52:54:00:00:00:09' });
    await bus.flush();
    assert.equal((await store.events.query({ system: 'vm9', limit: 10_000 })).length, 5000);
    assert.equal(await store.events.prune(2000), 1000);
    assert.equal((await store.events.query({ limit: 10_000 })).length, 4000);
  });
});
