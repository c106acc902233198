// The Redfish power driver: DMTF Redfish over HTTPS, in TypeScript (no Python). It reads what the BMC offers
// before acting: the system's Reset action target and the reset types it allows, then posts the one that does what
// was asked. A 202 answer is a task: its monitor is polled until the BMC says the task is done. The next boot is a
// PATCH of Boot.BootSourceOverrideTarget with BootSourceOverrideEnabled=Once.
// Options (power_options), named as fence_redfish names them so that a Cobbler site's systems keep working:
// systems_uri (else power_id as the system's id, else the only system), ipport, ssl_insecure=1 (accept a
// certificate nobody vouches for: only when the system says so), auth=session (log in once; default Basic).

import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BootwrightError } from '../errors.js';
import type { NextBoot, PowerAction, PowerDriver, PowerOutcome, PowerTarget } from './contract.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

/** Which reset types do what was asked, best first, among those a BMC may advertise. */
const resetChoices: Record<Exclude<PowerAction, 'status'>, string[]> = {
  on: ['On', 'ForceOn', 'PushPowerButton'],
  off: ['ForceOff', 'GracefulShutdown', 'PushPowerButton'],
  reboot: ['ForceRestart', 'PowerCycle', 'GracefulRestart'],
};
const taskPollMs = 500;

class RedfishClient {
  private readonly base: URL;
  private sessionToken: string | undefined;
  private sessionUri: string | undefined;

  constructor(
    private readonly target: PowerTarget,
    private readonly signal: AbortSignal,
  ) {
    const address = target.address.includes('://') ? target.address : `https://${target.address}`;
    let base: URL;
    try {
      base = new URL(address);
    } catch {
      throw new BootwrightError(
        'E_INVALID',
        `System ${target.system}: power_address ${JSON.stringify(target.address)} is not a host, host:port or URL; set --power-address.`,
      );
    }
    if (target.options.ipport) base.port = target.options.ipport;
    this.base = base;
  }

  private describe(): string {
    return `the Redfish BMC at ${this.base.host}`;
  }

  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', 'OData-Version': '4.0' };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (this.sessionToken) headers['X-Auth-Token'] = this.sessionToken;
    else if (this.target.user !== '' || this.target.password !== '') {
      headers.Authorization = `Basic ${Buffer.from(`${this.target.user}:${this.target.password}`).toString('base64')}`;
    }
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const answer = await new Promise<Answer>((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          headers,
          signal: this.signal,
          rejectUnauthorized: this.target.options.ssl_insecure !== '1',
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> | undefined;
            try {
              parsed = text.trim() === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              parsed = undefined;
            }
            resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: parsed });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    }).catch((error: NodeJS.ErrnoException) => {
      throw this.unreachable(error);
    });
    if (answer.status === 401) {
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        `System ${this.target.system}: ${this.describe()} refused user ${JSON.stringify(this.target.user)} and its password; check --power-user and --power-pass.`,
      );
    }
    if (answer.status >= 400) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `System ${this.target.system}: ${this.describe()} answered ${method} ${url.pathname} with HTTP ${answer.status}${redfishMessage(answer.body)}.`,
      );
    }
    return answer;
  }

  private unreachable(error: NodeJS.ErrnoException): BootwrightError {
    if (error.name === 'AbortError' || this.signal.aborted) {
      return new BootwrightError(
        'E_UNAVAILABLE',
        `System ${this.target.system}: ${this.describe()} did not answer in time.`,
      );
    }
    const certificate = /certificate|self[- ]signed|CERT_/i.test(`${error.code} ${error.message}`);
    return new BootwrightError(
      'E_UNAVAILABLE',
      certificate
        ? `System ${this.target.system}: ${this.describe()} shows a certificate nobody here vouches for (${error.code ?? error.message}); trust its CA, or add ssl_insecure=1 to --power-options if this BMC is known.`
        : `System ${this.target.system}: cannot reach ${this.describe()} (${error.code ?? error.message}); check --power-address and the network.`,
    );
  }

  async logIn(): Promise<void> {
    if (this.target.options.auth !== 'session') return;
    const root = await this.call('GET', '/redfish/v1/');
    const sessions =
      (root.body?.Links as { Sessions?: { '@odata.id'?: string } } | undefined)?.Sessions?.['@odata.id'] ??
      '/redfish/v1/SessionService/Sessions';
    const answer = await this.call('POST', sessions, {
      UserName: this.target.user,
      Password: this.target.password,
    });
    const token = answer.headers['x-auth-token'];
    this.sessionToken = Array.isArray(token) ? token[0] : token;
    const location = answer.headers.location;
    this.sessionUri = Array.isArray(location) ? location[0] : location;
  }

  async logOut(): Promise<void> {
    if (!this.sessionUri) return;
    await this.call('DELETE', this.sessionUri).catch(() => undefined);
  }

  async systemUri(): Promise<string> {
    if (this.target.options.systems_uri) return this.target.options.systems_uri;
    if (this.target.id !== '') return `/redfish/v1/Systems/${encodeURIComponent(this.target.id)}`;
    const collection = await this.call('GET', '/redfish/v1/Systems');
    const members = ((collection.body?.Members as { '@odata.id': string }[] | undefined) ?? []).map(
      (member) => member['@odata.id'],
    );
    if (members.length === 1) return members[0] as string;
    throw new BootwrightError(
      'E_INVALID',
      `System ${this.target.system}: ${this.describe()} has ${members.length} systems (${members.join(', ') || 'none'}); name one with --power-id.`,
    );
  }

  /** Waits for a task the BMC started (HTTP 202 with a task monitor) to end, and says how it ended. */
  async followTask(answer: Answer): Promise<string> {
    const location = answer.headers.location;
    const monitor = Array.isArray(location) ? location[0] : location;
    if (answer.status !== 202 || !monitor) return `HTTP ${answer.status}`;
    for (;;) {
      const polled = await this.call('GET', monitor);
      const state = String(polled.body?.TaskState ?? '');
      if (polled.status !== 202 && !['New', 'Starting', 'Running', 'Pending'].includes(state)) {
        if (['Exception', 'Killed', 'Cancelled'].includes(state)) {
          throw new BootwrightError(
            'E_UNAVAILABLE',
            `System ${this.target.system}: ${this.describe()} ended the task with ${state}${redfishMessage(polled.body)}.`,
          );
        }
        return `task ${state || 'done'}`;
      }
      await new Promise((resolve) => setTimeout(resolve, taskPollMs));
      if (this.signal.aborted)
        throw this.unreachable(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    }
  }
}

function redfishMessage(body: Record<string, unknown> | undefined): string {
  const message = (body?.error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `: ${message}` : '';
}

function powerStateOf(body: Record<string, unknown> | undefined): 'on' | 'off' | undefined {
  const state = body?.PowerState;
  if (state === 'On' || state === 'PoweringOn') return 'on';
  if (state === 'Off' || state === 'PoweringOff') return 'off';
  return undefined;
}

async function withClient<T>(
  target: PowerTarget,
  signal: AbortSignal,
  use: (client: RedfishClient, systemUri: string) => Promise<T>,
): Promise<T> {
  const client = new RedfishClient(target, signal);
  await client.logIn();
  try {
    return await use(client, await client.systemUri());
  } finally {
    await client.logOut();
  }
}

export const redfishDriver: PowerDriver = {
  name: 'redfish',

  run(action: PowerAction, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome> {
    return withClient(target, signal, async (client, systemUri) => {
      const system = await client.call('GET', systemUri);
      const state = powerStateOf(system.body);
      if (action === 'status') {
        if (!state) {
          throw new BootwrightError(
            'E_UNAVAILABLE',
            `System ${target.system}: the Redfish BMC gave no PowerState for ${systemUri}.`,
          );
        }
        return { state, said: `PowerState ${String(system.body?.PowerState)}` };
      }
      const reset = (system.body?.Actions as Record<string, Record<string, unknown>> | undefined)?.[
        '#ComputerSystem.Reset'
      ];
      const actionUri =
        typeof reset?.target === 'string' ? reset.target : `${systemUri}/Actions/ComputerSystem.Reset`;
      const allowed = reset?.['ResetType@Redfish.AllowableValues'];
      const offered = Array.isArray(allowed) ? (allowed as string[]) : undefined;
      // A BMC that lists nothing is taken to do the DMTF defaults.
      const resetType = resetChoices[action].find((choice) => !offered || offered.includes(choice));
      if (!resetType) {
        throw new BootwrightError(
          'E_UNAVAILABLE',
          `System ${target.system}: the Redfish BMC offers no reset type for ${action} (it offers ${(offered ?? []).join(', ')}).`,
        );
      }
      const answer = await client.call('POST', actionUri, { ResetType: resetType });
      const ended = await client.followTask(answer);
      return {
        said: `ResetType ${resetType}: ${ended}`,
        ...(action === 'reboot' ? { state: 'on' } : { state: action }),
      };
    });
  },

  setNextBoot(device: NextBoot, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome> {
    return withClient(target, signal, async (client, systemUri) => {
      const bootTarget = device === 'pxe' ? 'Pxe' : 'Hdd';
      const answer = await client.call('PATCH', systemUri, {
        Boot: { BootSourceOverrideTarget: bootTarget, BootSourceOverrideEnabled: 'Once' },
      });
      const ended = await client.followTask(answer);
      return { said: `Boot override ${bootTarget} once: ${ended}` };
    });
  },
};
