// `bootwright bmc`: a virtual BMC for the libvirt domains of a host, speaking Redfish over HTTPS, so that VMs (the
// lab's, koan's) are powered and network-booted the way metal is, by any Redfish client. Its state lives in its
// data directory: the users file (made with `bootwright user add --data-dir=DIR`), the TLS certificate and key
// (made self-signed on first start unless given), and the pending boot overrides.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../auth/_private-file.js';
import { loadTlsCredentials } from '../auth/tls-credentials.js';
import { BootwrightError, quote } from '../errors.js';
import { readIncoming } from '../http/request-body.js';
import { Libvirt } from '../koan/libvirt.js';
import { runCommand } from '../koan/run-command.js';
import { compileGlob } from '../model/glob.js';
import { UsersFile } from '../store/users-file.js';
import { LibvirtMachines } from './machines.js';
import { type BmcLog, RedfishService } from './redfish-service.js';

export interface BmcOptions {
  dataDir: string;
  host?: string;
  port: number;
  /** libvirt URI. */
  connect: string;
  /** Which domains to serve, by name glob. */
  domains: string;
  tlsCert?: string;
  tlsKey?: string;
  log: BmcLog;
}

export interface RunningBmc {
  port: number;
  /** The certificate clients should trust (PEM file), for their `--ssl` / `verify=` options. */
  certificate: string;
  stop(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;

/** A self-signed certificate for the BMC, made once with openssl (as an operator would) and kept. */
function ensureCertificate(dataDir: string): { cert: string; key: string } {
  const cert = join(dataDir, 'bmc-tls.pem');
  const key = join(dataDir, 'bmc-tls.key');
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-keyout', key, '-out', cert, '-days', '3650', '-subj', `/CN=${hostname()}`],
        // The names a client on this host or the network reaches it by; others need their own certificate.
        ...['-addext', `subjectAltName=DNS:${hostname()},DNS:localhost,IP:127.0.0.1,IP:::1`],
      ],
      { stdio: 'pipe' },
    );
  } catch (error) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Cannot make the BMC's self-signed certificate with openssl (${(error as Error).message.split('\n')[0]}); install openssl or give --tls-cert and --tls-key.`,
    );
  }
  return { cert, key };
}

/** The request's JSON body (undefined when empty), read with the same bounded reader as the API's. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = (await readIncoming(request, maxBodyBytes)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BootwrightError('E_INVALID', 'The request body is not JSON; send a JSON object.');
  }
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body?: unknown,
): void {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'OData-Version': '4.0',
    'Cache-Control': 'no-store',
    ...(payload
      ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(payload.length) }
      : {}),
    ...headers,
  });
  response.end(payload);
}

export async function startBmc(options: BmcOptions): Promise<RunningBmc> {
  ensurePrivateDir(options.dataDir);
  const paths =
    options.tlsCert !== undefined || options.tlsKey !== undefined
      ? { cert: options.tlsCert ?? '', key: options.tlsKey ?? '' }
      : ensureCertificate(options.dataDir);
  const credentials = loadTlsCredentials({
    ...paths,
    certOrigin: '--tls-cert',
    keyOrigin: '--tls-key',
  });
  const libvirt = new Libvirt(options.connect, runCommand);
  await libvirt.checkConnection();
  const machines = new LibvirtMachines(
    libvirt,
    compileGlob(options.domains, '--domains'),
    join(options.dataDir, 'bmc-boot-overrides.json'),
  );
  const usersFile = join(options.dataDir, 'users');
  if (!existsSync(usersFile)) {
    throw new BootwrightError(
      'E_INVALID',
      `The BMC has no users yet; add one with "bootwright user add --data-dir=${options.dataDir} --name=admin" (the password is read from standard input).`,
    );
  }
  const service = new RedfishService(machines, new UsersFile(usersFile), options.log);

  const server: Server = createServer(
    { cert: credentials.cert, key: credentials.key },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://bmc');
      const header = (name: string) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      readJson(request)
        .then((body) =>
          service.handle({
            method: request.method ?? 'GET',
            path: url.pathname,
            authorization: header('authorization'),
            authToken: header('x-auth-token'),
            body,
          }),
        )
        .then(
          (answer) => send(response, answer.status, answer.headers ?? {}, answer.body),
          (error: BootwrightError) =>
            send(
              response,
              error.httpStatus ?? 400,
              {},
              { error: { code: 'Base.1.8.GeneralError', message: error.message } },
            ),
        )
        .catch(() => response.destroy());
    },
  );
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new BootwrightError(
          'E_UNAVAILABLE',
          error.code === 'EADDRINUSE'
            ? `Port ${options.port} is in use; stop what holds it or give --port=N.`
            : `Cannot listen on ${quote(options.host ?? 'all addresses')} port ${options.port}: ${error.message}.`,
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    certificate: paths.cert,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
