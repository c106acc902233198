// The XML-RPC client `bootwright koan` talks through, to a bootwright server or to a real Cobbler: the same calls
// Koan makes (koan-wire.md): find the server as Koan does (https, then http; `/cobbler_api`), `ping()`, then the
// read calls. No login: Koan never logs in, and neither server asks it to.

import { describeCertificateFailure } from '../auth/certificate-trust.js';
import { BootwrightError, quote } from '../errors.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../xmlrpc/codec.js';

const CALL_TIMEOUT_MS = 30_000;

/** Where Koan looks for the API: `--port` with https then http, or https on 443 then http on 80. */
export function candidateApiUrls(server: string, port?: string): string[] {
  if (/^https?:\/\//.test(server)) {
    const url = new URL(server);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/cobbler_api';
    return [url.toString()];
  }
  const host = server.includes(':') && !server.startsWith('[') ? `[${server}]` : server;
  if (port !== undefined)
    return [`https://${host}:${port}/cobbler_api`, `http://${host}:${port}/cobbler_api`];
  return [`https://${host}:443/cobbler_api`, `http://${host}:80/cobbler_api`];
}

function reason(error: unknown): string {
  const refusedCertificate = describeCertificateFailure(error);
  if (refusedCertificate) return `refused: ${refusedCertificate}`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export class CobblerClient {
  private constructor(readonly apiUrl: string) {}

  /** The first candidate URL that answers `ping()`, as Koan finds its server. */
  static async connect(server: string, port?: string): Promise<CobblerClient> {
    if (server === '') {
      throw new BootwrightError(
        'E_USAGE',
        'No server given; say --server=HOST (or set COBBLER_SERVER) to name the bootwright or Cobbler server.',
      );
    }
    if (port !== undefined && !/^\d{1,5}$/.test(port)) {
      throw new BootwrightError(
        'E_USAGE',
        `Port ${quote(port)} is not a number; say --port=80, for example.`,
      );
    }
    const tried: string[] = [];
    for (const url of candidateApiUrls(server, port)) {
      const client = new CobblerClient(url);
      try {
        await client.call('ping');
        return client;
      } catch (error) {
        if (error instanceof BootwrightError && error.code === 'E_NOT_FOUND') throw error;
        tried.push(`${url}: ${error instanceof BootwrightError ? error.message : reason(error)}`);
      }
    }
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Could not find a Cobbler or bootwright server at ${quote(server)} (tried ${tried.join('; ')}); check --server and --port.`,
    );
  }

  async call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    const response = await fetch(this.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: serializeMethodCall(method, params),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (response.status === 404) {
      throw new BootwrightError(
        'E_NOT_FOUND',
        `${this.apiUrl} answered 404: no Cobbler API there; check --server and --port.`,
      );
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const answer = parseMethodResponse(await response.text());
    if (!answer.ok) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `The server refused ${method}: ${answer.faultString.replaceAll(/\s+/g, ' ').trim()}`,
      );
    }
    return answer.value;
  }

  /** A plain GET (a kickstart, a kernel's size): the body as text, or a one-line error naming the URL. */
  async fetchText(url: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    } catch (error) {
      throw new BootwrightError('E_UNAVAILABLE', `Cannot fetch ${url}: ${reason(error)}.`);
    }
    if (!response.ok)
      throw new BootwrightError('E_UNAVAILABLE', `Fetching ${url} answered HTTP ${response.status}.`);
    return response.text();
  }
}
