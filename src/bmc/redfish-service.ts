// The Redfish service of `bootwright bmc`: the DMTF schema subset that power clients use (fence_redfish, sushy,
// bootwright's own driver): the service root, the Systems collection, each ComputerSystem with its PowerState and
// Boot override, the ComputerSystem.Reset action, and the SessionService for clients that log in once (sushy does)
// rather than sending Basic credentials with every request (fence_redfish does). Errors are Redfish error bodies.
// Transport-free: a request comes in as method, path, headers and parsed body; serveBmc (bmc-server.ts) does TLS.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { verifyPassword } from '../auth/password.js';
import { asBootwrightError, BootwrightError } from '../errors.js';
import type { UserStore } from '../store/user-store.js';
import {
  type BootEnabled,
  type BootTarget,
  bootTargets,
  type Machines,
  type ResetType,
  resetTypes,
} from './machines.js';

export interface RedfishRequest {
  method: string;
  /** The path without its query string. */
  path: string;
  authorization?: string;
  authToken?: string;
  body?: unknown;
}

export interface RedfishResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What happened, for the BMC's log: one line per change, never with a password in it. */
export type BmcLog = (line: string) => void;

interface Session {
  id: string;
  user: string;
  readOnly: boolean;
  lastUsed: number;
}

const root = '/redfish/v1';
const systemsPath = `${root}/Systems`;
const sessionsPath = `${root}/SessionService/Sessions`;
/** Redfish's default; a session unused this long is gone. */
const sessionTimeoutSeconds = 1800;
/** A verified Basic credential is trusted this long without another scrypt (fence_redfish sends it each time). */
const credentialCacheMs = 60_000;

function odata(id: string, type: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { '@odata.id': id, '@odata.type': type, ...fields };
}

/** A Redfish error body (DSP0266 §9.6) with the Base registry's message id. */
function failure(status: number, messageId: string, message: string, headers?: Record<string, string>) {
  return {
    status,
    ...(headers ? { headers } : {}),
    body: {
      error: {
        code: `Base.1.8.${messageId}`,
        message,
        '@Message.ExtendedInfo': [
          { MessageId: `Base.1.8.${messageId}`, Message: message, Severity: 'Warning' },
        ],
      },
    },
  } satisfies RedfishResponse;
}

const unauthorized = () =>
  failure(
    401,
    'NoValidSession',
    'Log in: give a user and password (Basic) or an X-Auth-Token from a session.',
    {
      'WWW-Authenticate': 'Basic realm="bootwright bmc"',
    },
  );

export class RedfishService {
  private readonly sessions = new Map<string, Session>();
  private readonly verified = new Map<string, { user: string; readOnly: boolean; until: number }>();
  private readonly serviceUuid = randomUUID();

  constructor(
    private readonly machines: Machines,
    private readonly users: UserStore,
    private readonly log: BmcLog,
  ) {}

  async handle(request: RedfishRequest): Promise<RedfishResponse> {
    try {
      return await this.route(request);
    } catch (error) {
      const known = asBootwrightError(error);
      if (known.code === 'E_INTERNAL') this.log(`error: ${known.message}`);
      const messageId =
        known.httpStatus === 404
          ? 'ResourceNotFound'
          : known.httpStatus === 409
            ? 'ResourceInUse'
            : known.httpStatus < 500
              ? 'PropertyValueNotInList'
              : 'GeneralError';
      return failure(known.httpStatus, messageId, known.message);
    }
  }

  private async route(request: RedfishRequest): Promise<RedfishResponse> {
    const path = request.path.replace(/\/+$/, '') || '/';
    const { method } = request;
    // The service root is open (DSP0266 §13.3.1: clients read it before they log in), and so is logging in.
    if (method === 'GET' && path === '/redfish') return { status: 200, body: { v1: `${root}/` } };
    if (method === 'GET' && path === root) return { status: 200, body: this.serviceRoot() };
    if (method === 'POST' && path === sessionsPath) return this.logIn(request.body);

    const caller = await this.authenticate(request);
    if (!caller) return unauthorized();
    if (
      method !== 'GET' &&
      caller.readOnly &&
      !(method === 'DELETE' && path.startsWith(`${sessionsPath}/`))
    ) {
      return failure(
        403,
        'InsufficientPrivilege',
        `User ${caller.user} may only read; ask for an admin user.`,
      );
    }

    if (path === `${root}/SessionService` && method === 'GET')
      return { status: 200, body: this.sessionService() };
    if (path === sessionsPath && method === 'GET')
      return { status: 200, body: this.sessionCollection(caller) };
    if (path.startsWith(`${sessionsPath}/`))
      return this.session(method, path.slice(sessionsPath.length + 1), caller);
    if (path === systemsPath && method === 'GET') return { status: 200, body: await this.systemCollection() };
    const system = new RegExp(`^${systemsPath}/([^/]+)(/Actions/ComputerSystem\\.Reset)?$`).exec(path);
    if (system) {
      const id = decodeURIComponent(system[1] as string);
      if (system[2]) {
        if (method !== 'POST') return notAllowed(method, 'POST');
        return this.reset(id, request.body, caller.user);
      }
      if (method === 'GET') return this.system(id);
      if (method === 'PATCH') return this.patchSystem(id, request.body, caller.user);
      return notAllowed(method, 'GET, PATCH');
    }
    return failure(404, 'ResourceNotFound', `This BMC has no resource at ${request.path}.`);
  }

  private serviceRoot(): Record<string, unknown> {
    return odata(root, '#ServiceRoot.v1_5_0.ServiceRoot', {
      Id: 'RootService',
      Name: 'bootwright virtual BMC',
      RedfishVersion: '1.8.0',
      UUID: this.serviceUuid,
      Product: 'bootwright bmc',
      Systems: { '@odata.id': systemsPath },
      SessionService: { '@odata.id': `${root}/SessionService` },
      Links: { Sessions: { '@odata.id': sessionsPath } },
    });
  }

  private sessionService(): Record<string, unknown> {
    return odata(`${root}/SessionService`, '#SessionService.v1_1_6.SessionService', {
      Id: 'SessionService',
      Name: 'Session Service',
      ServiceEnabled: true,
      SessionTimeout: sessionTimeoutSeconds,
      Sessions: { '@odata.id': sessionsPath },
    });
  }

  private async systemCollection(): Promise<Record<string, unknown>> {
    const ids = await this.machines.ids();
    return odata(systemsPath, '#ComputerSystemCollection.ComputerSystemCollection', {
      Name: 'Computer System Collection',
      'Members@odata.count': ids.length,
      Members: ids.map((id) => ({ '@odata.id': `${systemsPath}/${encodeURIComponent(id)}` })),
    });
  }

  private async system(id: string): Promise<RedfishResponse> {
    const info = await this.machines.info(id);
    if (!info) return noSuchSystem(id);
    const path = `${systemsPath}/${encodeURIComponent(id)}`;
    const override = this.machines.bootOverride(id);
    return {
      status: 200,
      body: odata(path, '#ComputerSystem.v1_10_0.ComputerSystem', {
        Id: id,
        Name: id,
        UUID: info.uuid,
        SystemType: 'Virtual',
        Manufacturer: 'bootwright',
        Model: 'libvirt domain',
        PowerState: info.power,
        Status: { State: 'Enabled', Health: 'OK' },
        ProcessorSummary: { Count: info.cpus },
        MemorySummary: { TotalSystemMemoryGiB: info.memoryMib / 1024 },
        Boot: {
          BootSourceOverrideEnabled: override.enabled,
          BootSourceOverrideTarget: override.target,
          'BootSourceOverrideTarget@Redfish.AllowableValues': Object.keys(bootTargets),
          BootSourceOverrideMode: 'Legacy',
        },
        Actions: {
          '#ComputerSystem.Reset': {
            target: `${path}/Actions/ComputerSystem.Reset`,
            'ResetType@Redfish.AllowableValues': resetTypes,
          },
        },
      }),
    };
  }

  private async reset(id: string, body: unknown, user: string): Promise<RedfishResponse> {
    const resetType = (body as { ResetType?: unknown } | undefined)?.ResetType;
    if (typeof resetType !== 'string' || !(resetTypes as readonly string[]).includes(resetType)) {
      return failure(
        400,
        'ActionParameterValueNotInList',
        `ResetType ${JSON.stringify(resetType ?? null)} is not one this BMC takes; give one of ${resetTypes.join(', ')}.`,
      );
    }
    if (!(await this.machines.info(id))) return noSuchSystem(id);
    const started = performance.now();
    await this.machines.reset(id, resetType as ResetType);
    this.log(`${user}: ${resetType} ${id} (${Math.round(performance.now() - started)} ms)`);
    return { status: 204 };
  }

  private async patchSystem(id: string, body: unknown, user: string): Promise<RedfishResponse> {
    if (!(await this.machines.info(id))) return noSuchSystem(id);
    const boot = (body as { Boot?: Record<string, unknown> } | undefined)?.Boot;
    if (!boot || typeof boot !== 'object') {
      return failure(
        400,
        'PropertyMissing',
        'Give {"Boot": {"BootSourceOverrideTarget": ..., ...}}: only Boot can be changed here.',
      );
    }
    const current = this.machines.bootOverride(id);
    const target = boot.BootSourceOverrideTarget ?? (current.target === 'None' ? undefined : current.target);
    const enabled = boot.BootSourceOverrideEnabled ?? (target === undefined ? current.enabled : 'Once');
    if (target !== undefined && (typeof target !== 'string' || !(target in bootTargets))) {
      return failure(
        400,
        'PropertyValueNotInList',
        `BootSourceOverrideTarget ${JSON.stringify(target)} is not one this BMC takes; give one of ${Object.keys(bootTargets).join(', ')}.`,
      );
    }
    if (!['Disabled', 'Once', 'Continuous'].includes(enabled as string)) {
      return failure(
        400,
        'PropertyValueNotInList',
        `BootSourceOverrideEnabled ${JSON.stringify(enabled)} is not one of Disabled, Once, Continuous.`,
      );
    }
    this.machines.setBootOverride(id, {
      target: (target ?? 'None') as BootTarget,
      enabled: enabled as BootEnabled,
    });
    this.log(`${user}: boot override of ${id}: ${target ?? 'None'}, ${enabled}`);
    return { status: 204 };
  }

  private async logIn(body: unknown): Promise<RedfishResponse> {
    const { UserName, Password } = (body ?? {}) as { UserName?: unknown; Password?: unknown };
    if (typeof UserName !== 'string' || typeof Password !== 'string') {
      return failure(400, 'PropertyMissing', 'Give {"UserName": ..., "Password": ...} to log in.');
    }
    const user = await this.check(UserName, Password);
    if (!user) return failure(401, 'NoValidSession', 'Wrong user name or password.');
    const id = randomBytes(12).toString('hex');
    const token = randomBytes(24).toString('base64url');
    this.sessions.set(token, { id, user: UserName, readOnly: user.readOnly, lastUsed: Date.now() });
    const location = `${sessionsPath}/${id}`;
    return {
      status: 201,
      headers: { 'X-Auth-Token': token, Location: location },
      body: sessionBody(id, UserName),
    };
  }

  private sessionCollection(caller: { user: string; readOnly: boolean }): Record<string, unknown> {
    const own = [...this.sessions.values()].filter(
      (session) => !caller.readOnly || session.user === caller.user,
    );
    return odata(sessionsPath, '#SessionCollection.SessionCollection', {
      Name: 'Session Collection',
      'Members@odata.count': own.length,
      Members: own.map((session) => ({ '@odata.id': `${sessionsPath}/${session.id}` })),
    });
  }

  private session(method: string, id: string, caller: { user: string; readOnly: boolean }): RedfishResponse {
    const entry = [...this.sessions.entries()].find(([, session]) => session.id === id);
    if (!entry || (caller.readOnly && entry[1].user !== caller.user)) {
      return failure(404, 'ResourceNotFound', `There is no session ${id}.`);
    }
    if (method === 'GET') return { status: 200, body: sessionBody(id, entry[1].user) };
    if (method === 'DELETE') {
      this.sessions.delete(entry[0]);
      return { status: 204 };
    }
    return notAllowed(method, 'GET, DELETE');
  }

  private async authenticate(
    request: RedfishRequest,
  ): Promise<{ user: string; readOnly: boolean } | undefined> {
    if (request.authToken) {
      const session = this.sessions.get(request.authToken);
      if (!session) return undefined;
      if (Date.now() - session.lastUsed > sessionTimeoutSeconds * 1000) {
        this.sessions.delete(request.authToken);
        return undefined;
      }
      session.lastUsed = Date.now();
      return session;
    }
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.authorization ?? '');
    if (!basic) return undefined;
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return this.check(decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  /** The user when the password is right. A right pair is remembered a minute, by a hash, never in clear. */
  private async check(
    user: string,
    password: string,
  ): Promise<{ user: string; readOnly: boolean } | undefined> {
    const key = createHash('sha256').update(`${user}\0${password}`).digest('base64');
    const known = this.verified.get(key);
    if (known && known.until > Date.now()) return known;
    let entry: Awaited<ReturnType<UserStore['get']>>;
    try {
      entry = await this.users.get(user);
    } catch (error) {
      throw new BootwrightError('E_INTERNAL', (error as Error).message);
    }
    if (!entry || !(await verifyPassword(password, entry.hash))) return undefined;
    const verified = { user, readOnly: entry.role === 'readonly', until: Date.now() + credentialCacheMs };
    this.verified.set(key, verified);
    return verified;
  }
}

function sessionBody(id: string, user: string): Record<string, unknown> {
  return odata(`${sessionsPath}/${id}`, '#Session.v1_3_0.Session', {
    Id: id,
    Name: 'User Session',
    UserName: user,
  });
}

function noSuchSystem(id: string): RedfishResponse {
  return failure(
    404,
    'ResourceNotFound',
    `This BMC serves no system ${JSON.stringify(id)}; GET ${systemsPath} lists them.`,
  );
}

function notAllowed(method: string, allowed: string): RedfishResponse {
  return failure(405, 'OperationNotAllowed', `${method} is not allowed here; use ${allowed}.`, {
    Allow: allowed,
  });
}
