// `bootwright serve`: the wiring. It is the only place that reads serve's flags and environment; it builds the
// services from the data directory (services.ts), starts the listeners (HTTP, HTTPS, TFTP, DHCP) on them, and stops
// them cleanly on SIGTERM.

import type { Server as HttpsServer } from 'node:https';
import { createApp } from './api/app.js';
import { CobblerTasks } from './api/cobbler-tasks.js';
import type { RequireTls } from './auth/require-tls.js';
import { loadTlsCredentials, type TlsPaths } from './auth/tls-credentials.js';
import { InventoryDhcpDirectory } from './boot/dhcp-wiring.js';
import { bootTftpRoutes } from './boot/tftp-routes.js';
import { resolveDataDir } from './config/paths.js';
import { startDhcpServer } from './dhcp/server.js';
import { asBootwrightError, BootwrightError, quote } from './errors.js';
import type { EventBus } from './events/event-bus.js';
import { listenHttp } from './http/server.js';
import type { Settings } from './model/settings.js';
import { parseInteger } from './model/values.js';
import { portMismatchNotice, removeServeRecord, writeServeRecord } from './serve-record.js';
import { openServices } from './services.js';
import { startTftpServer } from './tftp/server.js';
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
  /** 0 turns TFTP off. */
  tftpPort?: number;
  dhcpPort?: number;
  /** PEM certificate and key for the HTTPS listener (default: the tls_cert and tls_key settings). */
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
}

export const serveHelp = `Usage: bootwright serve [--port=N] [--host=ADDRESS] [--data-dir=DIR]
                       [--tls-cert=FILE --tls-key=FILE [--tls-port=N]]

Runs the boot server from the store in the data directory: the REST API (/api/v1), Cobbler's XML-RPC API
(/cobbler_api), autoinstall files and boot files over HTTP, TFTP, and DHCP when the dhcp_mode setting says so.
With a certificate, the same is also served over HTTPS; the api_require_tls setting then refuses logins and
changes over plain HTTP, so that passwords and tokens never cross the network in clear. SIGHUP reloads the
certificate and key after a renewal, without dropping a download in flight.

  --port=N          HTTP port (default: the http_port setting, 80); also the port in install URLs, unless the
                    http_port setting names another (a forward), which serve and check then point out
  --tftp-port=N     TFTP port (default: the tftp_port setting, 69; 0 turns TFTP off)
  --dhcp-port=N     DHCP port when the dhcp_mode setting is not off (default 67)
  --host=ADDRESS    address to listen on (default: all)
  --tls-cert=FILE   PEM certificate (with any intermediates) for a second listener speaking HTTPS, for the API's
                    logins and changes (default: the tls_cert setting); installers keep using plain HTTP
  --tls-key=FILE    PEM private key of that certificate, unencrypted (default: the tls_key setting)
  --tls-port=N      HTTPS port (default: the tls_port setting, 443)
  --data-dir=DIR    state directory (default: $BOOTWRIGHT_DATA_DIR or ~/.local/state/bootwright)
`;

export function parseServeArgs(argv: string[]): ServeOptions | 'help' {
  const options: ServeOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--(port|tftp-port|dhcp-port|host|data-dir|tls-cert|tls-key|tls-port)(?:=(.*))?$/.exec(
      arg,
    );
    if (!match) {
      throw new BootwrightError(
        'E_USAGE',
        `Unknown option ${quote(arg)} for serve; see "bootwright serve --help".`,
      );
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new BootwrightError('E_USAGE', `Option --${match[1]} needs a value.`);
    if (match[1] === 'port') options.port = parseInteger(value, '--port', 0);
    else if (match[1] === 'tftp-port') options.tftpPort = parseInteger(value, '--tftp-port', 0);
    else if (match[1] === 'dhcp-port') options.dhcpPort = parseInteger(value, '--dhcp-port', 1);
    else if (match[1] === 'host') options.host = value;
    else if (match[1] === 'tls-cert') options.tlsCert = value;
    else if (match[1] === 'tls-key') options.tlsKey = value;
    else if (match[1] === 'tls-port') options.tlsPort = parseInteger(value, '--tls-port', 0);
    else options.dataDir = value;
  }
  return options;
}

export interface RunningServer {
  port: number;
  /** The HTTPS port, when serve has a certificate. */
  tlsPort?: number;
  tftpPort?: number;
  dataDir: string;
  /** What starting changed that the operator should hear of: file modes tightened in the data directory. */
  notices: string[];
  events: EventBus;
  stop(): Promise<void>;
  /**
   * With HTTPS: reads the certificate and key again, after a renewal, without dropping a download in flight; new
   * connections get them. Returns when the new certificate expires; a bad one throws and the old one stays.
   */
  reloadTls?(): string;
}

const hourMs = 3_600_000;

/** The certificate and key from the flags, else from the settings; none when neither names either. */
function tlsPathsFrom(options: ServeOptions, settings: Settings): TlsPaths | undefined {
  const cert = options.tlsCert ?? String(settings.tls_cert ?? '');
  const key = options.tlsKey ?? String(settings.tls_key ?? '');
  const certOrigin = options.tlsCert !== undefined ? '--tls-cert' : 'the tls_cert setting';
  const keyOrigin = options.tlsKey !== undefined ? '--tls-key' : 'the tls_key setting';
  if (cert === '' && key === '') return undefined;
  if (cert === '' || key === '') {
    const [given, missing] =
      cert === ''
        ? [keyOrigin, '--tls-cert (or the tls_cert setting)']
        : [certOrigin, '--tls-key (or the tls_key setting)'];
    throw new BootwrightError(
      'E_USAGE',
      `HTTPS needs both a certificate and its key, but only ${given} is set; pass ${missing}.`,
    );
  }
  return { cert, key, certOrigin, keyOrigin };
}

/** Starts every service from one data directory; used by `serve` and by tests that need a real server. */
export async function startServer(
  options: ServeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  const dataDir = resolveDataDir(options.dataDir, env);
  const notices: string[] = [];
  // serve --port=N is the port of the install URLs too, unless the http_port setting names another.
  const portFlag = options.port !== undefined && options.port > 0 ? options.port : undefined;
  const services = await openServices({
    dataDir,
    env,
    notice: (line) => notices.push(line),
    ...(portFlag !== undefined ? { settingDefaults: { http_port: portFlag } } : {}),
  });
  const { inventory, boot, events, settings, dhcpConfig, leases, paths } = services;
  // Everything started is stopped in reverse order, also when a later service fails to start.
  const stops: (() => Promise<void>)[] = [() => services.close()];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const stop of stops.reverse()) await stop();
    })();
    return stopping;
  };
  try {
    // Read before anything listens, so that a wrong certificate stops serve at once.
    const tlsPaths = tlsPathsFrom(options, settings);
    const tls = tlsPaths && loadTlsCredentials(tlsPaths);
    if (tlsPaths) services.servedPaths.neverServe(tlsPaths.key);
    const tlsPort = options.tlsPort ?? Number(settings.tls_port);
    if (settings.api_require_tls === true && !tls) {
      throw new BootwrightError(
        'E_USAGE',
        'The api_require_tls setting is on but serve has no certificate, so nobody could log in; pass --tls-cert and --tls-key (or set tls_cert and tls_key), or turn api_require_tls off.',
      );
    }
    const requireTls: RequireTls | undefined =
      settings.api_require_tls === true
        ? { httpsPort: tlsPort, serverName: String(settings.server) }
        : undefined;
    const retentionMs = Number(settings.event_retention_days) * 24 * hourMs;
    const pruner = setInterval(() => void services.store.events.prune(Date.now() - retentionMs), hourMs);
    pruner.unref();
    stops.push(async () => clearInterval(pruner));

    // Background tasks (a reposync) stop, and are waited for, after HTTP and before the services they use.
    const tasks = new CobblerTasks();
    stops.push(() => tasks.close());
    const app = createApp({ ...services, tasks, ...(requireTls ? { requireTls } : {}) });
    const http = await listenHttp(app, {
      host: options.host,
      port: options.port ?? Number(settings.http_port),
    });
    // Stops run in reverse: HTTP finishes its downloads before the trees they read from close (services.close).
    stops.push(() => http.close());
    const urlPort = Number(settings.http_port);
    if (portFlag !== undefined && portFlag !== urlPort) notices.push(portMismatchNotice(http.port, urlPort));
    writeServeRecord(paths.serveRecord, { pid: process.pid, port: http.port, httpPort: urlPort });
    stops.push(async () => removeServeRecord(paths.serveRecord, process.pid));
    let https: { port: number; reloadTls(): string } | undefined;
    if (tlsPaths && tls) {
      const listener = await listenHttp(app, {
        host: options.host,
        port: tlsPort,
        tls: { cert: tls.cert, key: tls.key },
        portFlag: '--tls-port',
      });
      stops.push(() => listener.close());
      https = {
        port: listener.port,
        reloadTls: () => {
          const renewed = loadTlsCredentials(tlsPaths);
          (listener.server as HttpsServer).setSecureContext({ cert: renewed.cert, key: renewed.key });
          return renewed.certificate.validTo;
        },
      };
      // Port 0 lets the system choose: the refusal must name the port really chosen.
      if (requireTls) requireTls.httpsPort = listener.port;
    }

    const tftpPort = options.tftpPort ?? Number(settings.tftp_port);
    let tftp: { port: number } | undefined;
    if (tftpPort > 0) {
      const routes = bootTftpRoutes(boot, {
        loadersDir: paths.loaders,
        ...(settings.tftp_root ? { fileRoot: String(settings.tftp_root) } : {}),
      });
      const server = await startTftpServer({
        host: options.host ?? '0.0.0.0',
        port: tftpPort,
        routes,
        maxSessions: Number(settings.tftp_max_sessions),
        maxSessionsPerClient: Number(settings.tftp_max_sessions_per_client),
        onEvent: (event) =>
          events.publish({
            type: event.type,
            ip: event.client.address,
            source: event.client.address,
            detail: {
              path: event.path,
              route: event.route,
              bytes: event.bytes,
              ...(event.error ? { error: event.error } : {}),
            },
          }),
      });
      stops.push(() => server.close());
      tftp = server;
    }

    if (dhcpConfig && leases) {
      const dhcp = await startDhcpServer({
        config: dhcpConfig,
        directory: new InventoryDhcpDirectory(inventory),
        leases,
        ...(options.dhcpPort ? { port: options.dhcpPort } : {}),
        onEvent: (event) => {
          const { type, mac, ...detail } = event;
          events.publish({
            type: `dhcp.${type}`,
            mac,
            ...(event.address ? { ip: event.address } : {}),
            detail,
          });
        },
      });
      stops.push(() => dhcp.close());
    }

    return {
      port: http.port,
      ...(https ? { tlsPort: https.port, reloadTls: https.reloadTls } : {}),
      ...(tftp ? { tftpPort: tftp.port } : {}),
      dataDir,
      notices,
      events,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
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
  for (const notice of server.notices) io.stderr.write(`bootwright: ${notice}\n`);
  const https = server.tlsPort ? `, https on port ${server.tlsPort}` : '';
  const tftp = server.tftpPort ? `, tftp on port ${server.tftpPort}` : '';
  io.stdout.write(
    `bootwright ${version} serving http on port ${server.port}${https}${tftp}, data in ${server.dataDir}\n`,
  );
  // SIGHUP after renewing the certificate, as for other daemons; without HTTPS it keeps its default (exit).
  const onHangUp = () => {
    try {
      const validTo = server.reloadTls?.();
      io.stdout.write(`bootwright: SIGHUP received, reloaded the TLS certificate (valid until ${validTo})\n`);
    } catch (thrown) {
      const error = asBootwrightError(thrown);
      io.stderr.write(`bootwright: SIGHUP received, kept the TLS certificate in use: ${error.message}\n`);
    }
  };
  if (server.reloadTls) process.on('SIGHUP', onHangUp);
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
  process.off('SIGHUP', onHangUp);
  await server.stop();
  io.stdout.write('bootwright: stopped\n');
  return 0;
}
