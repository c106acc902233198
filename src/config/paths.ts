// Where bootwright keeps its state. Only the wiring (CLI and serve) calls this; everything below it is given
// explicit paths.

import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DataPaths {
  dataDir: string;
  /** The SQLite file of the embedded store. */
  store: string;
  /** The store as the composition root opens it (store/open-store.ts): the SQLite file above. */
  storeUrl: string;
  usersFile: string;
  sharedSecret: string;
  /** The key the per-object autoinstall secrets are derived from (autoinstall_secrets setting). */
  autoinstallKey: string;
  /** Executables run on changes and install reports: add/<kind>/{pre,post}/, install/post/, ... */
  triggers: string;
  /** The operator's own boot loaders, served over TFTP before the distribution's. */
  loaders: string;
  /** What a running serve listens on and tells installers (serve-record.ts), for `check`. */
  serveRecord: string;
}

/** `--data-dir`, else $BOOTWRIGHT_DATA_DIR, else the user's state directory (XDG), as the issue asks. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.BOOTWRIGHT_DATA_DIR) return env.BOOTWRIGHT_DATA_DIR;
  const stateHome = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(stateHome, 'bootwright');
}

export function dataPaths(dataDir: string): DataPaths {
  return {
    dataDir,
    store: join(dataDir, 'store.sqlite'),
    storeUrl: `sqlite:${join(dataDir, 'store.sqlite')}`,
    usersFile: join(dataDir, 'users'),
    sharedSecret: join(dataDir, 'shared-secret'),
    autoinstallKey: join(dataDir, 'autoinstall.key'),
    triggers: join(dataDir, 'triggers'),
    loaders: join(dataDir, 'loaders'),
    serveRecord: join(dataDir, 'serve.json'),
  };
}
