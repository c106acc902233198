// `bootwright serve`: the wiring. It is the only place that reads serve's flags and environment, opens the store,
// and starts the services (HTTP now; TFTP and DHCP join here later), and it stops them cleanly on SIGTERM.

import { Authenticator } from './auth/authenticator.js';
import { ensureSharedSecret } from './auth/shared-secret.js';
import { TokenIssuer } from './auth/tokens.js';
import { BootFiles } from './boot/boot-files.js';
import { dataPaths, resolveDataDir } from './config/paths.js';
import { asBootwrightError, BootwrightError, quote } from './errors.js';
import { createApp } from './http/app.js';
import { listenHttp } from './http/server.js';
import { Inventory } from './inventory/inventory.js';
import { parseInteger } from './model/values.js';
import { SqliteStore } from './store/sqlite-store.js';
import { TemplateLibrary } from './templates/library.js';
import { AutoinstallRenderer } from './templates/render.js';
import { version } from './version.js';

export interface ServeIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

export interface ServeOptions {
  dataDir?: string;
  host?: string;
  port?: number;
}

export const serveHelp = `Usage: bootwright serve [--port=N] [--host=ADDRESS] [--data-dir=DIR]

Runs the boot server: the REST API (/api/v1), Cobbler's XML-RPC API (/cobbler_api) and, in later releases,
TFTP, DHCP and boot files, from the store in the data directory.

  --port=N          HTTP port (default: the http_port setting, 80)
  --host=ADDRESS    address to listen on (default: all)
  --data-dir=DIR    state directory (default: $BOOTWRIGHT_DATA_DIR or ~/.local/state/bootwright)
`;

export function parseServeArgs(argv: string[]): ServeOptions | 'help' {
  const options: ServeOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--(port|host|data-dir)(?:=(.*))?$/.exec(arg);
    if (!match) {
      throw new BootwrightError(
        'E_USAGE',
        `Unknown option ${quote(arg)} for serve; see "bootwright serve --help".`,
      );
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new BootwrightError('E_USAGE', `Option --${match[1]} needs a value.`);
    if (match[1] === 'port') options.port = parseInteger(value, '--port', 0);
    else if (match[1] === 'host') options.host = value;
    else options.dataDir = value;
  }
  return options;
}

export interface RunningServer {
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts every service from one data directory; used by `serve` and by tests that need a real server. */
export async function startServer(
  options: ServeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  const dataDir = resolveDataDir(options.dataDir, env);
  const paths = dataPaths(dataDir);
  const store = SqliteStore.open(paths.store);
  try {
    const inventory = new Inventory(store);
    const settings = await inventory.settings();
    const auth = new Authenticator({
      usersFile: paths.usersFile,
      sharedSecret: ensureSharedSecret(paths.sharedSecret),
      tokens: new TokenIssuer({ ttlSeconds: Number(settings.auth_token_expiration) }),
    });
    const renderer = new AutoinstallRenderer(inventory, new TemplateLibrary(dataDir));
    const app = createApp({ inventory, renderer, boot: new BootFiles(inventory), auth, version });
    const http = await listenHttp(app, {
      host: options.host,
      port: options.port ?? Number(settings.http_port),
    });
    return {
      port: http.port,
      dataDir,
      stop: async () => {
        await http.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export async function serve(argv: string[], io: ServeIo): Promise<number> {
  let server: RunningServer;
  try {
    const options = parseServeArgs(argv);
    if (options === 'help') {
      io.stdout.write(serveHelp);
      return 0;
    }
    server = await startServer(options, io.env);
  } catch (thrown) {
    const error = asBootwrightError(thrown);
    io.stderr.write(`bootwright: ${error.message}\n`);
    return error.exitCode;
  }
  io.stdout.write(`bootwright ${version} serving http on port ${server.port}, data in ${server.dataDir}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      io.stdout.write(`bootwright: ${signal} received, shutting down\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await server.stop();
  io.stdout.write('bootwright: stopped\n');
  return 0;
}
