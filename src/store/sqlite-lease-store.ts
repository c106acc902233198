// DHCP leases in SQLite, one row per address, written by a thread of their own so that the fsync before each DHCPACK
// does not stall the event loop (RFC 2131 §4.3.1 "the server MUST NOT reuse a committed address" relies on the
// acknowledged lease being on disk).

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BootwrightError, quote } from '../errors.js';
import type { Lease, LeaseState, LeaseStore } from './lease-store.js';
import { copyLease, LeaseIndex } from './memory-lease-store.js';

type LeaseRow = {
  address: string;
  mac: string;
  state: LeaseState;
  expires_at: number;
  hostname: string | null;
  client_id: string | null;
};

function rowToLease(row: LeaseRow | undefined): Lease | undefined {
  if (!row) return undefined;
  const lease: Lease = { address: row.address, mac: row.mac, state: row.state, expiresAt: row.expires_at };
  if (row.hostname !== null) lease.hostname = row.hostname;
  if (row.client_id !== null) lease.clientId = row.client_id;
  return lease;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dhcp_leases (
  address    TEXT PRIMARY KEY,
  mac        TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('offered', 'bound', 'declined')),
  expires_at INTEGER NOT NULL,
  hostname   TEXT,
  client_id  TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dhcp_leases_mac ON dhcp_leases (mac);
`;

/** One row to write: the lease for the address, or none (the row is deleted). */
interface RowWrite {
  address: string;
  lease: Lease | undefined;
}

/**
 * How the event loop hands batches to the writer thread and hears back: one SharedArrayBuffer, a batch at a time
 * (the next gathers while one is out). A postMessage each way per batch, with its structured clone and its message
 * event, was about a sixth of the DHCP server's CPU under load (profile); here the thread sleeps in Atomics.wait and
 * the event loop hears of the commit through Atomics.waitAsync. Int32 cells, then the batch (JSON, UTF-8), then the
 * error message of a failed commit (empty when it succeeded).
 */
const Cell = { Sent: 0, Done: 1, BatchBytes: 2, ErrorBytes: 3, Stop: 4 } as const;
const CELLS_BYTES = 8 * Int32Array.BYTES_PER_ELEMENT;
/** Thousands of leases; a larger batch (an expiry of a whole /16) goes in parts. */
const BATCH_BYTES = 1 << 20;
const ERROR_BYTES = 4096;

/**
 * The lease writer thread, in plain CommonJS so that it runs the same under the TypeScript loader and compiled:
 * it commits each batch in one transaction on its own connection and says when the batch is on disk. fsync blocks
 * only this thread, so the event loop goes on reading and deciding the requests meanwhile.
 */
const LEASE_WRITER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const { shared, cells: Cell, cellsBytes, batchBytes, errorBytes } = workerData;
const cells = new Int32Array(shared, 0, cellsBytes / 4);
const batch = new Uint8Array(shared, cellsBytes, batchBytes);
const errorArea = new Uint8Array(shared, cellsBytes + batchBytes, errorBytes);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 10000');
const put = db.prepare(
  'INSERT OR REPLACE INTO dhcp_leases (address, mac, state, expires_at, hostname, client_id, updated_at) ' +
    'VALUES (@address, @mac, @state, @expiresAt, @hostname, @clientId, @updatedAt)',
);
const remove = db.prepare('DELETE FROM dhcp_leases WHERE address = ?');
const commit = db.transaction((writes, updatedAt) => {
  for (const { address, lease } of writes) {
    if (!lease) remove.run(address);
    else put.run({ hostname: null, clientId: null, ...lease, updatedAt });
  }
});
const decoder = new TextDecoder();
const encoder = new TextEncoder();
let seen = 0;
for (;;) {
  Atomics.wait(cells, Cell.Sent, seen);
  if (Atomics.load(cells, Cell.Stop) !== 0) break;
  const sent = Atomics.load(cells, Cell.Sent);
  if (sent === seen) continue;
  seen = sent;
  let message = '';
  try {
    // Copied out first: TextDecoder does not read shared memory.
    commit.immediate(JSON.parse(decoder.decode(batch.slice(0, cells[Cell.BatchBytes]))), Date.now());
  } catch (error) {
    message = String(error && error.message ? error.message : error);
  }
  cells[Cell.ErrorBytes] = encoder.encodeInto(message.slice(0, 1000), errorArea).written;
  Atomics.store(cells, Cell.Done, sent);
  Atomics.notify(cells, Cell.Done);
}
`;

/** Atomics.waitAsync (V8, Node 16 on), which TypeScript's ES2022 library does not declare yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      cells: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

/**
 * Leases in SQLite, on connections of their own (the file may be the inventory store's): WAL and synchronous=FULL,
 * so a lease written before the DHCPACK went out is still there after a crash or a power cut.
 *
 * Group commit: while one batch is being committed (in the writer thread, fsync included), the writes of the
 * requests decided meanwhile gather; when it is on disk, they go as the next batch, one transaction and one fsync
 * for all of them. A write's promise settles when its batch is on disk, so each ACK still waits for its own lease,
 * but a burst of requests shares one fsync instead of queueing for one each. Offers are held in memory only:
 * nothing waits for them to reach the disk, and they do not survive a restart. Reads come from memory, since this
 * store is the table's only writer.
 */
export class SqliteLeaseStore implements LeaseStore {
  /** Every lease, offers included, with the writes not yet on disk. */
  private index = new LeaseIndex();
  /** The rows as committed or being committed, by address: what the next batch is worked out against. */
  private written = new Map<string, Lease>();
  /** Addresses the index changed since the last batch was sent. */
  private changed = new Set<string>();
  /** Settled with the next batch. */
  private waiting: Waiter[] = [];
  /** The batch being committed: who waits for it, and the rows as they were before it, should it fail. */
  private inFlight: { waiting: Waiter[]; before: RowWrite[] } | undefined;
  private commitScheduled = false;
  private readonly cells: Int32Array;
  private readonly batchArea: Uint8Array;
  private readonly errorArea: Uint8Array;
  private readonly encoder = new TextEncoder();
  /** Set when the writer thread is gone: every later write fails with it. */
  private writerLost: Error | undefined;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly writer: Worker,
    shared: SharedArrayBuffer,
  ) {
    this.cells = new Int32Array(shared, 0, CELLS_BYTES / Int32Array.BYTES_PER_ELEMENT);
    this.batchArea = new Uint8Array(shared, CELLS_BYTES, BATCH_BYTES);
    this.errorArea = new Uint8Array(shared, CELLS_BYTES + BATCH_BYTES, ERROR_BYTES);
    db.exec(SCHEMA);
    // Offers written by an earlier version, which kept them on disk, are dropped like any offer at a restart.
    db.prepare("DELETE FROM dhcp_leases WHERE state = 'offered'").run();
    this.loadWritten();
    for (const lease of this.written.values()) this.index.put(lease);
    writer.on('error', (error) => this.loseWriter(error));
    writer.on('exit', (code) =>
      this.loseWriter(new Error(`the lease writer thread exited with code ${code}`)),
    );
    writer.unref();
  }

  static open(path: string): SqliteLeaseStore {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // The inventory store's writer may hold the lock for a moment when both share one file.
      db.pragma('busy_timeout = 10000');
      db.exec(SCHEMA);
      const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
      const shared = new SharedArrayBuffer(CELLS_BYTES + BATCH_BYTES + ERROR_BYTES);
      // No execArgv: the writer is plain JavaScript and needs none of the TypeScript loader a test runs under.
      const writer = new Worker(LEASE_WRITER, {
        eval: true,
        execArgv: [],
        workerData: {
          sqlite,
          path: resolve(path),
          shared,
          cells: Cell,
          cellsBytes: CELLS_BYTES,
          batchBytes: BATCH_BYTES,
          errorBytes: ERROR_BYTES,
        },
      });
      return new SqliteLeaseStore(db, writer, shared);
    } catch (error) {
      db?.close();
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Cannot open the DHCP lease database at ${quote(path)}: ${(error as Error).message}.`,
      );
    }
  }

  async byMac(mac: string): Promise<Lease | undefined> {
    return copyLease(this.index.byMac(mac));
  }

  async byAddress(address: string): Promise<Lease | undefined> {
    return copyLease(this.index.byAddress(address));
  }

  upsert(lease: Lease): Promise<void> {
    for (const address of this.index.put(lease)) this.changed.add(address);
    if (lease.state !== 'offered') return this.onDisk();
    // What an offer replaced on disk goes with the next batch; losing that in a crash keeps an address out of the
    // pool until its old lease expires, which is the safe side.
    this.scheduleCommit();
    return Promise.resolve();
  }

  release(address: string): Promise<void> {
    if (this.index.remove(address)) this.changed.add(address);
    return this.onDisk();
  }

  async expire(now: number): Promise<Lease[]> {
    const expired = this.index.expire(now);
    for (const lease of expired) this.changed.add(lease.address);
    await this.onDisk();
    return expired;
  }

  async all(): Promise<Lease[]> {
    return this.index.all();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What was written before close is committed first.
    while (!this.writerLost && (this.inFlight || this.commitScheduled || this.changed.size > 0))
      await this.onDisk().catch(() => undefined);
    this.writer.removeAllListeners('exit');
    Atomics.store(this.cells, Cell.Stop, 1);
    Atomics.notify(this.cells, Cell.Sent);
    await this.writer.terminate();
    this.db.close();
  }

  /** Settles when the writes made so far are on disk. */
  private onDisk(): Promise<void> {
    if (this.writerLost) return Promise.reject(this.writerLost);
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.scheduleCommit();
    return done;
  }

  private scheduleCommit(): void {
    if (this.commitScheduled || this.inFlight) return;
    this.commitScheduled = true;
    // Once the datagrams already read have been decided, so that they share the batch.
    setImmediate(() => this.sendBatch());
  }

  private sendBatch(): void {
    this.commitScheduled = false;
    if (this.inFlight || this.writerLost) return;
    const writes: RowWrite[] = [];
    for (const address of this.changed) {
      const held = this.index.byAddress(address);
      const lease = held && held.state !== 'offered' ? { ...held } : undefined;
      if (!sameLease(lease, this.written.get(address))) writes.push({ address, lease });
    }
    let sending = writes;
    let bytes = this.encodeBatch(sending);
    // Halving ends: one lease's strings come from one datagram, a few hundred KiB at most.
    while (bytes === undefined) {
      sending = sending.slice(0, Math.ceil(sending.length / 2));
      bytes = this.encodeBatch(sending);
    }
    // Who waits for this batch: everyone, unless part of the writes had to wait for the next one.
    const complete = sending.length === writes.length;
    const waiting = complete ? this.waiting : [];
    if (complete) this.waiting = [];
    this.changed = new Set(complete ? [] : writes.slice(sending.length).map((write) => write.address));
    if (sending.length === 0) {
      // Nothing new to write, and every earlier batch is on disk.
      for (const waiter of waiting) waiter.resolve();
      return;
    }
    const before: RowWrite[] = [];
    for (const { address, lease } of sending) {
      before.push({ address, lease: this.written.get(address) });
      if (lease) this.written.set(address, lease);
      else this.written.delete(address);
    }
    this.inFlight = { waiting, before };
    this.writer.ref();
    // Read before the batch goes: the thread may be done with it before the next line here runs.
    const doneBefore = Atomics.load(this.cells, Cell.Done);
    this.cells[Cell.BatchBytes] = bytes;
    Atomics.store(this.cells, Cell.Sent, (Atomics.load(this.cells, Cell.Sent) + 1) | 0);
    Atomics.notify(this.cells, Cell.Sent);
    const done = waitAsync(this.cells, Cell.Done, doneBefore);
    const settle = () => {
      const errorBytes = this.cells[Cell.ErrorBytes] as number;
      const message = errorBytes > 0 ? Buffer.from(this.errorArea.slice(0, errorBytes)).toString() : '';
      this.batchDone(message ? new Error(message) : undefined);
    };
    if (done.async) void done.value.then(settle);
    else queueMicrotask(settle);
  }

  /** The batch's size in the shared buffer, written there; undefined when it does not fit. */
  private encodeBatch(writes: RowWrite[]): number | undefined {
    const json = JSON.stringify(writes);
    const { read, written } = this.encoder.encodeInto(json, this.batchArea);
    return read === json.length ? written : undefined;
  }

  private batchDone(error: Error | undefined): void {
    const { waiting: settled, before } = this.inFlight ?? { waiting: [], before: [] };
    this.inFlight = undefined;
    this.writer.unref();
    if (error) {
      this.forgetUnwritten(before);
      // The writes made while this batch was out were worked out against rows that are not on disk: they go too.
      for (const waiter of [...settled, ...this.waiting]) waiter.reject(error);
      this.waiting = [];
      return;
    }
    for (const waiter of settled) waiter.resolve();
    if (this.waiting.length > 0 || this.changed.size > 0) this.sendBatch();
  }

  private loseWriter(error: Error): void {
    if (this.writerLost) return;
    this.writerLost = new BootwrightError(
      'E_UNAVAILABLE',
      `DHCP leases cannot be written: ${error.message}.`,
    );
    for (const waiter of [...(this.inFlight?.waiting ?? []), ...this.waiting]) waiter.reject(this.writerLost);
    this.inFlight = undefined;
    this.waiting = [];
  }

  private loadWritten(): void {
    const columns = 'address, mac, state, expires_at, hostname, client_id';
    const rows = this.db
      .prepare<[], LeaseRow>(`SELECT ${columns} FROM dhcp_leases ORDER BY updated_at`)
      .all();
    this.written = new Map();
    // Oldest first, so that where rows disagree the newest wins, as the index would have it.
    const index = new LeaseIndex();
    for (const row of rows) index.put(rowToLease(row) as Lease);
    for (const lease of index.all()) this.written.set(lease.address, lease);
  }

  /**
   * After a failed commit (rolled back as a whole), reads must not go on seeing leases that are not on disk: the rows
   * go back to what they were before the batch, and the index is rebuilt from them, with the offers it held where
   * their address and client are still free.
   */
  private forgetUnwritten(before: RowWrite[]): void {
    for (const { address, lease } of before) {
      if (lease) this.written.set(address, lease);
      else this.written.delete(address);
    }
    const offers = this.index.all().filter((lease) => lease.state === 'offered');
    this.index = new LeaseIndex();
    for (const lease of this.written.values()) this.index.put(lease);
    for (const offer of offers) {
      if (!this.index.byAddress(offer.address) && !this.index.byMac(offer.mac)) this.index.put(offer);
    }
    this.changed = new Set();
  }
}

function sameLease(a: Lease | undefined, b: Lease | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.address === b.address &&
    a.mac === b.mac &&
    a.state === b.state &&
    a.expiresAt === b.expiresAt &&
    a.hostname === b.hostname &&
    a.clientId === b.clientId
  );
}
