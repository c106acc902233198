// The inventory of a running server, reached over the REST API: what the CLI uses with --server. Writes log in
// with the token given, or with the shared secret from the server's data directory when the CLI runs beside it
// and reaches it by a loopback address.

import { describeCertificateFailure } from '../auth/certificate-trust.js';
import { mayReceiveSharedSecret, readSharedSecret } from '../auth/shared-secret.js';
import { BootwrightError, type ErrorCode, errorCodes, quote } from '../errors.js';
import type { InventoryBackend, RenderBackend } from '../inventory/backend.js';
import type { Changes, EditOptions, ListQuery } from '../inventory/inventory.js';
import type { MirrorStatus } from '../mirror/contract.js';
import type { BlendedView } from '../model/blend.js';
import { type InventoryObject, type ObjectKind, pluralOf } from '../model/kinds.js';
import type { Settings } from '../model/settings.js';
import type { PowerAction } from '../power/contract.js';
import type { PowerResult } from '../power/power-control.js';
import type { EventQuery, ObjectRef, StoredEvent } from '../store/store.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import type { ValidationResult } from '../templates/render.js';
import { maxLimit } from './paging.js';

export interface RemoteInventoryOptions {
  baseUrl: string;
  token?: string;
  /** Where the server keeps its shared secret, for a CLI on the same host. */
  sharedSecretPath?: string;
}

const metaKeys = new Set(['name', 'uid', 'ctime', 'mtime', 'interfaces']);

function jsonToObject(kind: ObjectKind, json: Record<string, unknown>): InventoryObject {
  const fields = Object.fromEntries(Object.entries(json).filter(([key]) => !metaKeys.has(key)));
  const object: InventoryObject = {
    kind,
    name: String(json.name),
    uid: String(json.uid),
    ctime: Number(json.ctime),
    mtime: Number(json.mtime),
    fields: fields as InventoryObject['fields'],
  };
  if (kind === 'system') object.interfaces = (json.interfaces ?? {}) as InventoryObject['interfaces'];
  return object;
}

function optionsQuery(options: EditOptions = {}): string {
  const params = new URLSearchParams();
  if (options.inPlace) params.set('in_place', 'true');
  if (options.interface) params.set('interface', options.interface);
  if (options.deleteInterface) params.set('delete_interface', 'true');
  if (options.renameInterface) params.set('rename_interface', options.renameInterface);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class RemoteInventory implements InventoryBackend, RenderBackend {
  private readonly url: URL;
  private readonly baseUrl: string;
  private token: string | undefined;

  constructor(private readonly options: RemoteInventoryOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl.includes('://') ? options.baseUrl : `http://${options.baseUrl}`);
    } catch {
      throw new BootwrightError(
        'E_USAGE',
        `Server ${quote(options.baseUrl)} is not a URL such as http://192.0.2.1:8080.`,
      );
    }
    this.url = url;
    this.baseUrl = url.origin;
    this.token = options.token;
  }

  private async request(method: string, path: string, body?: unknown, write = false): Promise<unknown> {
    const { response, text } = await this.send(method, path, body, write);
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `The server at ${this.baseUrl} did not answer with JSON (HTTP ${response.status}).`,
      );
    }
    return json;
  }

  private async requestText(path: string): Promise<string> {
    return (await this.send('GET', path)).text;
  }

  /** One request; an error answer becomes the BootwrightError the server described. */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    write = false,
    /** An error status whose body is an answer, not an error (a power action the BMC failed: 502). */
    answerStatus?: number,
  ): Promise<{ response: Response; text: string }> {
    if (write && !this.token) await this.login();
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          // A token the CLI has goes with reads too: it shows secrets and passes autoinstall_secrets checks.
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // The API never redirects; following one would resend a login, shared secret and all, to wherever the
        // Location header points (a 307 keeps the body).
        redirect: 'manual',
      });
    } catch (error) {
      const refusedCertificate = describeCertificateFailure(error);
      if (refusedCertificate) {
        throw new BootwrightError(
          'E_UNAVAILABLE',
          `Refused the server at ${this.baseUrl}: ${refusedCertificate}.`,
        );
      }
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Cannot reach the server at ${this.baseUrl} (${reason}); is "bootwright serve" running?`,
      );
    }
    const text = await response.text();
    if (response.status >= 300 && response.status < 400) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `The server at ${this.baseUrl} answered ${method} /api/v1${path} with a redirect (HTTP ${response.status}) to ${quote(response.headers.get('location') ?? '')}, which the CLI does not follow; give the URL of the bootwright server itself as --server.`,
      );
    }
    if (!response.ok && response.status !== answerStatus) {
      let error: { code?: string; message?: string } | undefined;
      try {
        error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        error = undefined;
      }
      const code = error?.code && error.code in errorCodes ? (error.code as ErrorCode) : 'E_INTERNAL';
      throw new BootwrightError(code, error?.message ?? `The server answered HTTP ${response.status}.`);
    }
    return { response, text };
  }

  private async login(): Promise<void> {
    if (!mayReceiveSharedSecret(this.url)) {
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        `Changes on ${this.baseUrl} need a login token, as the shared secret of this host goes only to a server on this host (127.0.0.1, ::1 or localhost); log in there with POST ${this.baseUrl}/api/v1/login and pass the token with --token or BOOTWRIGHT_TOKEN, or use --server=${this.url.protocol}//127.0.0.1:PORT on the server itself.`,
      );
    }
    const secret = this.options.sharedSecretPath
      ? readSharedSecret(this.options.sharedSecretPath)
      : undefined;
    if (secret === undefined) {
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        `Changes on ${this.baseUrl} need a login token; pass --token or set BOOTWRIGHT_TOKEN.`,
      );
    }
    const { token } = (await this.request('POST', '/login', { username: '', password: secret })) as {
      token: string;
    };
    this.token = token;
  }

  private path(kind: ObjectKind, name?: string): string {
    return name === undefined ? `/${pluralOf(kind)}` : `/${pluralOf(kind)}/${encodeURIComponent(name)}`;
  }

  /** Page by page, as the server sends at most maxLimit objects per answer. */
  async list(kind: ObjectKind, query: ListQuery = {}): Promise<InventoryObject[]> {
    const wanted = query.limit ?? Number.POSITIVE_INFINITY;
    const items: Record<string, unknown>[] = [];
    for (let offset = query.offset ?? 0; items.length < wanted; ) {
      const params = new URLSearchParams(query.criteria ?? {});
      params.set('offset', String(offset));
      params.set('limit', String(Math.min(maxLimit, wanted - items.length)));
      const page = (await this.request('GET', `${this.path(kind)}?${params}`)) as {
        items: Record<string, unknown>[];
      };
      items.push(...page.items);
      offset += page.items.length;
      if (page.items.length < maxLimit) break;
    }
    return items.map((item) => jsonToObject(kind, item));
  }

  async get(kind: ObjectKind, name: string): Promise<InventoryObject> {
    return jsonToObject(kind, (await this.request('GET', this.path(kind, name))) as Record<string, unknown>);
  }

  async add(kind: ObjectKind, changes: Changes, options?: EditOptions): Promise<InventoryObject> {
    const json = await this.request('POST', `${this.path(kind)}${optionsQuery(options)}`, changes, true);
    return jsonToObject(kind, json as Record<string, unknown>);
  }

  async edit(
    kind: ObjectKind,
    name: string,
    changes: Changes,
    options?: EditOptions,
  ): Promise<InventoryObject> {
    const json = await this.request(
      'PATCH',
      `${this.path(kind, name)}${optionsQuery(options)}`,
      changes,
      true,
    );
    return jsonToObject(kind, json as Record<string, unknown>);
  }

  async copy(
    kind: ObjectKind,
    name: string,
    newName: string,
    changes: Changes = {},
  ): Promise<InventoryObject> {
    const json = await this.request(
      'POST',
      `${this.path(kind, name)}/copy`,
      { ...changes, new_name: newName },
      true,
    );
    return jsonToObject(kind, json as Record<string, unknown>);
  }

  async rename(kind: ObjectKind, name: string, newName: string): Promise<InventoryObject> {
    const json = await this.request('POST', `${this.path(kind, name)}/rename`, { new_name: newName }, true);
    return jsonToObject(kind, json as Record<string, unknown>);
  }

  async remove(kind: ObjectKind, name: string, options: { recursive?: boolean } = {}): Promise<ObjectRef[]> {
    const query = options.recursive ? '?recursive=true' : '';
    const { removed } = (await this.request(
      'DELETE',
      `${this.path(kind, name)}${query}`,
      undefined,
      true,
    )) as {
      removed: ObjectRef[];
    };
    return removed;
  }

  async blended(kind: ObjectKind, name: string): Promise<BlendedView> {
    return (await this.request('GET', `${this.path(kind, name)}/blended`)) as BlendedView;
  }

  async rendered(kind: ObjectKind, name: string): Promise<Record<string, unknown>> {
    return (await this.request('GET', `${this.path(kind, name)}/rendered`)) as Record<string, unknown>;
  }

  async settings(): Promise<Settings> {
    return (await this.request('GET', '/settings')) as Settings;
  }

  async setSetting(name: string, value: unknown): Promise<Settings> {
    return (await this.request('PUT', `/settings/${encodeURIComponent(name)}`, { value }, true)) as Settings;
  }

  async resetSetting(name: string): Promise<Settings> {
    return (await this.request(
      'DELETE',
      `/settings/${encodeURIComponent(name)}`,
      undefined,
      true,
    )) as Settings;
  }

  async randomMac(virtType?: string): Promise<string> {
    const query = virtType ? `?virt_type=${encodeURIComponent(virtType)}` : '';
    return ((await this.request('GET', `/random-mac${query}`)) as { mac_address: string }).mac_address;
  }

  async variables(target: AutoinstallTarget): Promise<Record<string, unknown>> {
    return (await this.request('GET', `${this.path(target.kind, target.name)}/variables`)) as Record<
      string,
      unknown
    >;
  }

  async autoinstall(target: AutoinstallTarget): Promise<{ template: string; text: string }> {
    const text = await this.requestText(`${this.path(target.kind, target.name)}/autoinstall`);
    return { template: '', text };
  }

  async validateAll(): Promise<ValidationResult[]> {
    // Rendering everything needs a token, as a write does: logged in like one.
    return (await this.request('GET', '/validate-autoinstalls', undefined, true)) as ValidationResult[];
  }

  /** A repo's mirror on the server (GET /api/v1/repos/NAME/mirror). */
  /** A power action (or a reinstall) on the server: its result, also when the BMC failed it. */
  async power(system: string, action: PowerAction | 'reinstall'): Promise<PowerResult> {
    const path = `/systems/${encodeURIComponent(system)}/${action === 'reinstall' ? 'reinstall' : 'power'}`;
    const { text } = await this.send('POST', path, action === 'reinstall' ? {} : { action }, true, 502);
    return JSON.parse(text) as PowerResult;
  }

  async mirrorStatus(name: string): Promise<MirrorStatus> {
    return (await this.request('GET', `/repos/${encodeURIComponent(name)}/mirror`)) as MirrorStatus;
  }

  /** Starts a reposync on the server (POST /api/v1/reposync); its task id. */
  async startReposync(request: {
    name?: string;
    only_new?: boolean;
    tries?: number;
    no_fail?: boolean;
  }): Promise<string> {
    return ((await this.request('POST', '/reposync', request, true)) as { task: string }).task;
  }

  /** A task the server runs (a reposync): its state and log so far. */
  async task(id: string): Promise<{ state: 'running' | 'complete' | 'failed'; log: string }> {
    return (await this.request('GET', `/tasks/${encodeURIComponent(id)}`)) as {
      state: 'running' | 'complete' | 'failed';
      log: string;
    };
  }

  /** The server's puppet ENC answer for a host, which also records the host's check-in there. */
  async nodeClassifierYaml(fqdn: string): Promise<string> {
    return this.requestText(`/enc/${encodeURIComponent(fqdn)}`);
  }

  /** The server's event log, read through GET /api/v1/events. */
  readonly events = {
    query: async (query: EventQuery): Promise<StoredEvent[]> => {
      const params = new URLSearchParams();
      if (query.system) params.set('system', query.system);
      if (query.type) params.set('type', query.type);
      if (query.afterId !== undefined) params.set('after', String(query.afterId));
      if (query.since !== undefined) params.set('since', String(query.since));
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.newestFirst) params.set('newest_first', 'true');
      return ((await this.request('GET', `/events?${params}`)) as { items: StoredEvent[] }).items;
    },
  };
}
