// Schema migrations, applied in order at open; each runs once, in its own transaction. Append, never edit.

export const migrations: string[] = [
  `CREATE TABLE objects (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     uid TEXT NOT NULL UNIQUE,
     ctime REAL NOT NULL,
     mtime REAL NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (kind, name)
   );
   CREATE TABLE object_refs (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     ref_kind TEXT NOT NULL,
     ref_name TEXT NOT NULL,
     PRIMARY KEY (kind, name, ref_kind, ref_name)
   );
   CREATE INDEX object_refs_target ON object_refs (ref_kind, ref_name);
   CREATE TABLE unique_keys (
     key_type TEXT NOT NULL,
     value TEXT NOT NULL,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     PRIMARY KEY (key_type, value, kind, name)
   );
   CREATE INDEX unique_keys_owner ON unique_keys (kind, name);
   CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: the install timeline. Events are appended in batches and pruned by age.
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time REAL NOT NULL,
     type TEXT NOT NULL,
     system TEXT,
     mac TEXT,
     ip TEXT,
     source TEXT,
     detail TEXT NOT NULL
   );
   CREATE INDEX events_system ON events (system, id);
   CREATE INDEX events_time ON events (time);`,
  // 3: a number that every committed change to objects or settings moves on, whichever process made it (the CLI
  // beside a running server), so that a reader can keep what it derived from them until it moves. Events do not
  // move it: they are written on every download.
  `CREATE TABLE inventory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
   INSERT INTO inventory_version VALUES (1, 0);
   CREATE TRIGGER objects_inserted AFTER INSERT ON objects BEGIN UPDATE inventory_version SET version = version + 1; END;
   CREATE TRIGGER objects_updated AFTER UPDATE ON objects BEGIN UPDATE inventory_version SET version = version + 1; END;
   CREATE TRIGGER objects_deleted AFTER DELETE ON objects BEGIN UPDATE inventory_version SET version = version + 1; END;
   CREATE TRIGGER settings_inserted AFTER INSERT ON settings BEGIN UPDATE inventory_version SET version = version + 1; END;
   CREATE TRIGGER settings_updated AFTER UPDATE ON settings BEGIN UPDATE inventory_version SET version = version + 1; END;
   CREATE TRIGGER settings_deleted AFTER DELETE ON settings BEGIN UPDATE inventory_version SET version = version + 1; END;`,
];
