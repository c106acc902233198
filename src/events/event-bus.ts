// The one event bus. DHCP, TFTP, HTTP, triggers and koan publish here; events are matched to their system (by
// MAC or IP when the request does not name it), written to the store in batches (a DHCP storm must not cost a
// disk sync per packet), and handed to live subscribers (`bootwright watch`, the SSE stream) once stored.

import type { EventInput, EventLog, EventQuery, StoredEvent } from '../store/store.js';

export type SystemResolver = (key: { mac?: string; ip?: string }) => Promise<string | undefined>;
export type EventListener = (event: StoredEvent) => void;

export interface EventBusOptions {
  /** How long events wait to be written together. */
  flushMs?: number;
  /** Past this many waiting events, they are written at once. */
  maxBatch?: number;
  /** Past this many waiting events (the store cannot keep up), new ones are dropped and counted. */
  maxPending?: number;
}

export class EventBus {
  private pending: EventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<EventListener>();
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  /** Events dropped because the store fell behind. */
  dropped = 0;

  constructor(
    private readonly log: EventLog,
    private readonly resolveSystem: SystemResolver,
    options: EventBusOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 100;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxPending = options.maxPending ?? 50_000;
  }

  /** Never blocks and never throws: a service reporting an event must not fail because of it. */
  publish(event: EventInput): void {
    if (this.pending.length >= this.maxPending) {
      this.dropped++;
      return;
    }
    this.pending.push({ ...event, time: event.time ?? Date.now() });
    if (this.pending.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** The stored events, as written so far (the install timeline's reads). */
  query(query: EventQuery): Promise<StoredEvent[]> {
    return this.log.query(query);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes what is waiting; resolves once everything published before the call is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: EventInput[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      // A batch is written at one moment, so each machine in it is looked up once: a thousand downloads from one
      // address made a thousand lookups, a tenth of the server's work while serving small files.
      const systems = new Map<string, string | undefined>();
      for (const event of batch) {
        if (!event.system && (event.mac || event.ip)) {
          const key = `${event.mac ?? ''} ${event.ip ?? ''}`;
          let system = systems.get(key);
          if (system === undefined && !systems.has(key)) {
            system = await this.resolveSystem({ mac: event.mac, ip: event.ip });
            systems.set(key, system);
          }
          if (system) event.system = system;
        }
      }
      const stored = await this.log.append(batch);
      for (const event of stored) {
        for (const listener of this.listeners) {
          try {
            listener(event);
          } catch {
            // One broken subscriber (a closed SSE stream) must not stop the others.
          }
        }
      }
    } catch (error) {
      this.dropped += batch.length;
      console.error(`bootwright: could not store ${batch.length} events: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.listeners.clear();
  }
}
