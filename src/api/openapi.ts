// The OpenAPI 3.1 description of the REST API, generated from the same field tables the server validates with,
// so that the document cannot drift from what the server accepts.

import { type FieldDef, fieldsByKind, interfaceFields } from '../model/fields.js';
import { type ObjectKind, objectKinds, pluralOf } from '../model/kinds.js';
import { settingFields } from '../model/settings.js';
import { defaultLimit, maxLimit } from './paging.js';

function schemaOf(field: FieldDef): Record<string, unknown> {
  const description = field.help;
  switch (field.type) {
    case 'bool':
      return { description, oneOf: [{ type: 'boolean' }, { const: '<<inherit>>' }] };
    case 'int':
      return {
        description,
        oneOf: [
          {
            type: 'integer',
            minimum: field.range?.[0] ?? 0,
            ...(field.range ? { maximum: field.range[1] } : {}),
          },
          { const: '<<inherit>>' },
        ],
      };
    case 'list':
      return { description, oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] };
    case 'dict':
      return {
        description: `${description}. An object, or "key=value ..." text; "!key" removes an inherited key.`,
        oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }],
      };
    case 'params':
      return { description, type: 'object', additionalProperties: true };
    case 'enum':
      return {
        description,
        type: 'string',
        enum: [...(field.choices ?? []), ...(field.default === '<<inherit>>' ? ['<<inherit>>'] : [])],
      };
    default:
      return { description, type: 'string' };
  }
}

function objectSchema(
  fields: readonly FieldDef[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      ...Object.fromEntries(fields.map((field) => [field.name, schemaOf(field)])),
      uid: { type: 'string', readOnly: true },
      ctime: { type: 'number', readOnly: true },
      mtime: { type: 'number', readOnly: true },
      ...extra,
    },
    required: fields.filter((field) => field.required).map((field) => field.name),
  };
}

const errorResponse = {
  description: 'Error: one sentence naming the bad value and the fix',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

function collectionPaths(kind: ObjectKind): Record<string, unknown> {
  const plural = pluralOf(kind);
  const ref = { $ref: `#/components/schemas/${kind}` };
  const tag = [plural];
  const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const write = { security: [{ bearer: [] }] };
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  return {
    [`/api/v1/${plural}`]: {
      get: {
        tags: tag,
        summary: `List ${plural}; any other query parameter is a field=glob filter (e.g. name=web*)`,
        parameters: [
          { name: 'offset', in: 'query', schema: { type: 'integer' } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
          },
        ],
        responses: {
          200: {
            description: 'A page of objects',
            ...json({
              type: 'object',
              properties: { items: { type: 'array', items: ref }, total: { type: 'integer' } },
            }),
          },
        },
      },
      post: {
        tags: tag,
        summary: `Create a ${kind}, or several from an array, all or none in one transaction`,
        description:
          'An array is checked item by item exactly as single creates are (each also against the items before it); if any item is refused, nothing is created and the error message starts with "Item N:" (N counted from 0).',
        ...write,
        requestBody: json({ oneOf: [ref, { type: 'array', items: ref, minItems: 1 }] }),
        responses: {
          201: {
            description: 'Created: the object, or {"items": [...]} in the order sent for an array',
            ...json({
              oneOf: [ref, { type: 'object', properties: { items: { type: 'array', items: ref } } }],
            }),
          },
          400: errorResponse,
          401: errorResponse,
          409: errorResponse,
        },
      },
    },
    [`/api/v1/${plural}/{name}`]: {
      parameters: [nameParam],
      get: {
        tags: tag,
        summary: `Get a ${kind}`,
        responses: { 200: { description: 'The object', ...json(ref) }, 404: errorResponse },
      },
      patch: {
        tags: tag,
        summary: `Change some fields of a ${kind}`,
        ...write,
        requestBody: json(ref),
        responses: {
          200: { description: 'The changed object', ...json(ref) },
          400: errorResponse,
          404: errorResponse,
        },
      },
      delete: {
        tags: tag,
        summary: `Remove a ${kind} (recursive=true also removes what depends on it)`,
        ...write,
        parameters: [{ name: 'recursive', in: 'query', schema: { type: 'boolean' } }],
        responses: { 200: { description: 'What was removed' }, 409: errorResponse },
      },
    },
    [`/api/v1/${plural}/{name}/blended`]: {
      parameters: [nameParam],
      get: {
        tags: tag,
        summary: 'The inherited (blended) view that templates see',
        responses: { 200: { description: 'Variables' } },
      },
    },
    [`/api/v1/${plural}/{name}/rendered`]: {
      parameters: [nameParam],
      get: {
        tags: tag,
        summary: "The flattened view koan reads (Cobbler's get_*_as_rendered)",
        responses: { 200: { description: 'Variables' } },
      },
    },
    [`/api/v1/${plural}/{name}/copy`]: {
      parameters: [nameParam],
      post: {
        tags: tag,
        summary: 'Copy under {"new_name"}',
        ...write,
        responses: { 201: { description: 'The copy' } },
      },
    },
    [`/api/v1/${plural}/{name}/rename`]: {
      parameters: [nameParam],
      post: {
        tags: tag,
        summary: 'Rename to {"new_name"}, updating references',
        ...write,
        responses: { 200: { description: 'Renamed' } },
      },
    },
  };
}

export function openApiDocument(version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    interface: objectSchema(interfaceFields),
    settings: objectSchema(settingFields),
  };
  for (const kind of objectKinds) {
    const extra =
      kind === 'system'
        ? { interfaces: { type: 'object', additionalProperties: { $ref: '#/components/schemas/interface' } } }
        : {};
    schemas[kind] = objectSchema(fieldsByKind[kind], extra);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'bootwright REST API', version },
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A token from POST /api/v1/login; with the api_require_tls setting on, logins and calls with a token are refused (403) except over HTTPS',
        },
      },
    },
    paths: {
      '/api/v1/login': {
        post: {
          summary: 'Log in with {"username", "password"}; returns {"token"} for Authorization: Bearer',
          responses: { 200: { description: 'A token' }, 401: errorResponse, 403: errorResponse },
        },
      },
      '/api/v1/settings': {
        get: { summary: 'All settings', responses: { 200: { description: 'Settings' } } },
      },
      '/api/v1/settings/{name}': {
        put: {
          summary: 'Set {"value"}',
          security: [{ bearer: [] }],
          responses: { 200: { description: 'Settings' } },
        },
        delete: {
          summary: 'Back to the default',
          security: [{ bearer: [] }],
          responses: { 200: { description: 'Settings' } },
        },
      },
      '/api/v1/enc/{fqdn}': {
        get: {
          summary:
            "Puppet external node classifier: YAML classes, parameters and environment from the host's system and the role rules",
          parameters: [{ name: 'fqdn', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: { description: 'ENC YAML', content: { 'text/yaml': { schema: { type: 'string' } } } },
            400: errorResponse,
          },
        },
      },
      '/api/v1/reposync': {
        post: {
          summary:
            'Mirror repos as `bootwright reposync` does, from {"name" (a glob), "only_new", "tries", "no_fail"}; answers 202 with {"task"} at once',
          security: [{ bearer: [] }],
          responses: { 202: { description: 'The task started' }, 400: errorResponse, 401: errorResponse },
        },
      },
      '/api/v1/repos/{name}/mirror': {
        get: {
          summary:
            'The mirror of a repo: {"current": {snapshot, syncedAt, files, packages, bytes}, "partial"}, or {} when never synced',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The mirror' }, 404: errorResponse },
        },
      },
      '/api/v1/tasks/{id}': {
        get: {
          summary: 'A task (a reposync): {"id", "name", "state": running|complete|failed, "log"}',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The task' }, 404: errorResponse },
        },
      },
      '/api/v1/systems/{name}/power': {
        post: {
          summary:
            'A power action through the system\'s power driver, from {"action": "on|off|reboot|status"}: {"system", "action", "driver", "ok", "state", "message", "ms"}; 502 with the same when the BMC failed',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          security: [{ bearer: [] }],
          responses: {
            200: { description: 'Done' },
            400: errorResponse,
            401: errorResponse,
            404: errorResponse,
            502: { description: 'The BMC failed the action; the body says how' },
          },
        },
      },
      '/api/v1/systems/{name}/reinstall': {
        post: {
          summary:
            'Netboot on, the next boot from the network where the driver can, and a restart (a power-on when off); the result as for power',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          security: [{ bearer: [] }],
          responses: {
            200: { description: 'Done' },
            401: errorResponse,
            404: errorResponse,
            502: { description: 'The BMC failed; the body says how' },
          },
        },
      },
      '/api/v1/random-mac': {
        get: { summary: 'An unused MAC for ?virt_type=', responses: { 200: { description: 'MAC' } } },
      },
      ...Object.assign({}, ...objectKinds.map(collectionPaths)),
    },
  };
}
