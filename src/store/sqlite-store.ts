// The embedded store: SQLite through better-sqlite3, in WAL mode with synchronous=FULL, so a write that was
// acknowledged survives a crash or a power cut. Writes go through one connection and are serialized by an
// in-process queue (`BEGIN IMMEDIATE` also locks out other processes, such as a local CLI beside the server);
// reads use a second connection, which in WAL mode sees only committed data. A fault of the machine under SQLite
// (disk full, locked by another process) leaves here as a sentence saying what to do (store-errors.ts).

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BootwrightError, quote } from '../errors.js';
import type { InventoryObject, ObjectKind } from '../model/kinds.js';
import { migrations } from './migrations.js';
import { referencesOf, uniqueKeysOf } from './object-index.js';
import type {
  EventInput,
  EventLog,
  EventQuery,
  ListOptions,
  ObjectRef,
  Store,
  StoredEvent,
  StoreReader,
  StoreTransaction,
  UniqueKeyType,
} from './store.js';
import { settled, storeFailure } from './store-errors.js';

type Row = { kind: string; name: string; uid: string; ctime: number; mtime: number; data: string };

function rowToObject(row: Row): InventoryObject {
  const data = JSON.parse(row.data) as Pick<InventoryObject, 'fields' | 'interfaces'>;
  const object: InventoryObject = {
    kind: row.kind as ObjectKind,
    name: row.name,
    uid: row.uid,
    ctime: row.ctime,
    mtime: row.mtime,
    fields: data.fields,
  };
  if (data.interfaces) object.interfaces = data.interfaces;
  return object;
}

// Preparing a statement costs more than running a point query, and every request runs the same few: each
// connection keeps its statements by SQL text (a bounded set: the SQL is fixed or built from a few flags).
const preparedByConnection = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function statement(db: Database.Database, sql: string): Database.Statement {
  let prepared = preparedByConnection.get(db);
  if (!prepared) {
    prepared = new Map();
    preparedByConnection.set(db, prepared);
  }
  let found = prepared.get(sql);
  if (!found) {
    found = db.prepare(sql);
    prepared.set(sql, found);
  }
  return found;
}

function open(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  try {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Another process (the CLI beside a running server) may hold the write lock for a moment.
    db.pragma('busy_timeout = 10000');
    return db;
  } catch (error) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Cannot open the store at ${quote(path)}: ${(error as Error).message}.`,
    );
  }
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (row) => row.version,
    ),
  );
  const newest = Math.max(0, ...applied);
  const known = migrations.length;
  if (newest > known) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `The store was written by a newer bootwright (schema ${newest}, this one knows ${known}); upgrade bootwright.`,
    );
  }
  migrations.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        new Date().toISOString(),
      );
    }).immediate();
  });
}

class SqliteReader implements StoreReader {
  constructor(protected readonly db: Database.Database) {}

  get(kind: ObjectKind, name: string): Promise<InventoryObject | undefined> {
    return settled(() => {
      const row = statement(this.db, 'SELECT * FROM objects WHERE kind = ? AND name = ?').get(kind, name) as
        | Row
        | undefined;
      return row ? rowToObject(row) : undefined;
    });
  }

  list(kind: ObjectKind, options: ListOptions = {}): Promise<InventoryObject[]> {
    return settled(() => {
      const rows = statement(
        this.db,
        'SELECT * FROM objects WHERE kind = ? ORDER BY name LIMIT ? OFFSET ?',
      ).all(kind, options.limit ?? -1, options.offset ?? 0) as Row[];
      return rows.map(rowToObject);
    });
  }

  count(kind: ObjectKind): Promise<number> {
    return settled(
      () =>
        (statement(this.db, 'SELECT count(*) AS n FROM objects WHERE kind = ?').get(kind) as { n: number }).n,
    );
  }

  findByKey(type: UniqueKeyType, value: string): Promise<ObjectRef[]> {
    return settled(
      () =>
        statement(
          this.db,
          'SELECT DISTINCT kind, name FROM unique_keys WHERE key_type = ? AND value = ? ORDER BY name',
        ).all(type, value.toLowerCase()) as ObjectRef[],
    );
  }

  keysOfType(type: UniqueKeyType): Promise<string[]> {
    return settled(() => {
      const rows = statement(this.db, 'SELECT DISTINCT value FROM unique_keys WHERE key_type = ?').all(
        type,
      ) as {
        value: string;
      }[];
      return rows.map((row) => row.value);
    });
  }

  dependents(kind: ObjectKind, name: string): Promise<ObjectRef[]> {
    return settled(
      () =>
        statement(
          this.db,
          'SELECT kind, name FROM object_refs WHERE ref_kind = ? AND ref_name = ? ORDER BY kind, name',
        ).all(kind, name) as ObjectRef[],
    );
  }

  settingOverrides(): Promise<Record<string, unknown>> {
    return settled(() => {
      const rows = statement(this.db, 'SELECT name, value FROM settings').all() as {
        name: string;
        value: string;
      }[];
      return Object.fromEntries(rows.map((row) => [row.name, JSON.parse(row.value)]));
    });
  }

  inventoryVersion(): Promise<number> {
    return settled(() => this.readVersion());
  }

  protected readVersion(): number {
    return (statement(this.db, 'SELECT version FROM inventory_version').get() as { version: number }).version;
  }
}

class SqliteTransaction extends SqliteReader implements StoreTransaction {
  put(object: InventoryObject): Promise<void> {
    return settled(() => {
      const data = JSON.stringify({ fields: object.fields, interfaces: object.interfaces });
      statement(
        this.db,
        `INSERT INTO objects (kind, name, uid, ctime, mtime, data) VALUES (@kind, @name, @uid, @ctime, @mtime, @data)
         ON CONFLICT (kind, name) DO UPDATE SET uid = @uid, mtime = @mtime, data = @data`,
      ).run({ ...object, data });
      statement(this.db, 'DELETE FROM object_refs WHERE kind = ? AND name = ?').run(object.kind, object.name);
      statement(this.db, 'DELETE FROM unique_keys WHERE kind = ? AND name = ?').run(object.kind, object.name);
      const insertRef = statement(this.db, 'INSERT OR IGNORE INTO object_refs VALUES (?, ?, ?, ?)');
      for (const ref of referencesOf(object)) insertRef.run(object.kind, object.name, ref.kind, ref.name);
      const insertKey = statement(this.db, 'INSERT OR IGNORE INTO unique_keys VALUES (?, ?, ?, ?)');
      for (const key of uniqueKeysOf(object))
        insertKey.run(key.type, key.value.toLowerCase(), object.kind, object.name);
    });
  }

  delete(kind: ObjectKind, name: string): Promise<boolean> {
    return settled(() => {
      statement(this.db, 'DELETE FROM object_refs WHERE kind = ? AND name = ?').run(kind, name);
      statement(this.db, 'DELETE FROM unique_keys WHERE kind = ? AND name = ?').run(kind, name);
      return (
        statement(this.db, 'DELETE FROM objects WHERE kind = ? AND name = ?').run(kind, name).changes > 0
      );
    });
  }

  setSetting(name: string, value: unknown): Promise<void> {
    return settled(() => {
      statement(
        this.db,
        'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ).run(name, JSON.stringify(value));
    });
  }

  deleteSetting(name: string): Promise<boolean> {
    return settled(() => statement(this.db, 'DELETE FROM settings WHERE name = ?').run(name).changes > 0);
  }
}

type EventRow = {
  id: number;
  time: number;
  type: string;
  system: string | null;
  mac: string | null;
  ip: string | null;
  source: string | null;
  detail: string;
};

function rowToEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = { id: row.id, time: row.time, type: row.type, detail: JSON.parse(row.detail) };
  if (row.system !== null) event.system = row.system;
  if (row.mac !== null) event.mac = row.mac;
  if (row.ip !== null) event.ip = row.ip;
  if (row.source !== null) event.source = row.source;
  return event;
}

export class SqliteStore extends SqliteReader implements Store {
  private readonly writer: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  readonly events: EventLog;
  /**
   * The inventory version as read in this turn of the event loop. A download asks for it more than once (its
   * distro, the served-path rules), all in one turn: one read serves them. Forgotten at the next turn, and at once
   * when this process commits a change.
   */
  private versionThisTurn: number | undefined;

  private constructor(reader: Database.Database, writer: Database.Database) {
    super(reader);
    this.writer = writer;
    this.events = {
      append: (events) => this.appendEvents(events),
      query: (query) => settled(() => this.queryEvents(query)),
      prune: (before) =>
        this.serialized(() =>
          settled(() => statement(this.writer, 'DELETE FROM events WHERE time < ?').run(before).changes),
        ),
    };
  }

  /** Runs write work after every queued transaction, so that our own connections never wait on each other. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private appendEvents(events: EventInput[]): Promise<StoredEvent[]> {
    return this.serialized(() => settled(() => this.insertEvents(events)));
  }

  private insertEvents(events: EventInput[]): StoredEvent[] {
    const insert = statement(
      this.writer,
      'INSERT INTO events (time, type, system, mac, ip, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const stored: StoredEvent[] = [];
    // Events are a record, not a commitment, and this commit runs on the event loop: waiting there for an fsync every
    // batch (synchronous=FULL) stalled every DHCP answer behind a busy disk (bench/dhcp.ts: 4.7 s at most at 1000/s,
    // against 0.2 s for the DHCP server without a timeline). So they are committed without waiting for the disk: in
    // WAL mode a power cut can lose the last batches, never corrupt the file, and the next object write's fsync
    // takes them along. Leases and objects keep synchronous=FULL.
    this.writer.pragma('synchronous = NORMAL');
    try {
      this.writer.transaction(() => {
        for (const event of events) {
          const time = event.time ?? Date.now();
          const detail = event.detail ?? {};
          const id = Number(
            insert.run(
              time,
              event.type,
              event.system ?? null,
              event.mac ?? null,
              event.ip ?? null,
              event.source ?? null,
              JSON.stringify(detail),
            ).lastInsertRowid,
          );
          stored.push({ ...event, id, time, detail });
        }
      })();
    } finally {
      this.writer.pragma('synchronous = FULL');
    }
    return stored;
  }

  private queryEvents(query: EventQuery): StoredEvent[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.system !== undefined) {
      where.push('system = ?');
      params.push(query.system);
    }
    if (query.type !== undefined) {
      if (query.type.endsWith('.')) {
        where.push('substr(type, 1, ?) = ?');
        params.push(query.type.length, query.type);
      } else {
        where.push('type = ?');
        params.push(query.type);
      }
    }
    if (query.afterId !== undefined) {
      where.push('id > ?');
      params.push(query.afterId);
    }
    if (query.since !== undefined) {
      where.push('time >= ?');
      params.push(query.since);
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${query.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    params.push(query.limit ?? 1000);
    return (statement(this.db, sql).all(...params) as EventRow[]).map(rowToEvent);
  }

  override inventoryVersion(): Promise<number> {
    return settled(() => {
      if (this.versionThisTurn === undefined) {
        this.versionThisTurn = this.readVersion();
        setImmediate(() => {
          this.versionThisTurn = undefined;
        });
      }
      return this.versionThisTurn;
    });
  }

  static open(path: string): SqliteStore {
    const writer = open(path);
    try {
      migrate(writer);
    } catch (error) {
      writer.close();
      throw storeFailure(error);
    }
    const reader = path === ':memory:' ? writer : open(path);
    return new SqliteStore(reader, writer);
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.serialized(async (): Promise<T> => {
      await settled(() => this.writer.exec('BEGIN IMMEDIATE'));
      try {
        const result = await work(new SqliteTransaction(this.writer));
        this.writer.exec('COMMIT');
        this.versionThisTurn = undefined;
        return result;
      } catch (error) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw storeFailure(error);
      }
    });
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.db !== this.writer) this.db.close();
    this.writer.close();
  }
}
