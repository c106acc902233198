// Hostile input for the HTTP APIs, property-based (issue 10), through the real application stack (store, auth,
// renderer) in-process. XML-RPC: any body gets an HTTP 200 with a well-formed methodResponse, a fault for what
// cannot be read, never an internal error; entity tricks and deep nesting are refused as faults. REST: any JSON or
// non-JSON body, and any path segment, gets a 2xx or a 4xx with the error body, never a 500.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { apiFixture } from '../../test/support/api-fixture.js';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { parseMethodResponse, serializeMethodCall } from '../xmlrpc/codec.js';

const runs = scaled(400, 20_000);

const validCalls = [
  serializeMethodCall('get_systems', []),
  serializeMethodCall('login', ['cobbler', 'secret']),
  serializeMethodCall('get_system_as_rendered', ['vm9']),
  serializeMethodCall('find_system', [{ hostname: 'vm*', mac_address: '52:54:00:*' }]),
  serializeMethodCall('modify_system', ['handle', 'name', ['a', 1, true, { b: 2.5 }], 'token']),
];

/** A real call with characters overwritten, cut or inserted, or arbitrary text. */
const xmlBody = fc.oneof(
  // Some calls intact, so that the answered path is always exercised beside the refused one.
  fc.constantFrom(...validCalls),
  fc.string({ maxLength: 400 }),
  fc
    .tuple(
      fc.constantFrom(...validCalls),
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 9 }), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
    )
    .map(([call, edits]) => {
      let text = call;
      for (const [edit, where, insert] of edits) {
        const at = where % (text.length + 1);
        if (edit < 6) text = text.slice(0, at) + insert + text.slice(at + insert.length);
        else if (edit < 8) text = text.slice(0, at) + text.slice(at + 1 + (where % 7));
        else text = text.slice(0, at) + insert + text.slice(at);
      }
      return text;
    }),
);

describe('hostile input to the XML-RPC endpoint', () => {
  it(`answers ${runs.toLocaleString('en-US')} mutated and random bodies with a methodResponse, never an internal error`, async (t) => {
    const fixture = await apiFixture(t);
    const outcome = { fault: 0, value: 0 };
    await fc.assert(
      fc.asyncProperty(xmlBody, async (body) => {
        const response = await fixture.app.request('/cobbler_api', { method: 'POST', body });
        assert.equal(response.status, 200);
        const answer = parseMethodResponse(await response.text());
        if (!answer.ok) {
          assert.doesNotMatch(answer.faultString, /internal error|E_INTERNAL/i, answer.faultString);
          outcome.fault += 1;
        } else outcome.value += 1;
      }),
      { numRuns: runs },
    );
    assert.ok(outcome.fault > 0 && outcome.value > 0, JSON.stringify(outcome));
    reportCount('api/hostile-input', 'XML-RPC bodies', runs);
  });

  it('refuses entity expansion, external entities and deep nesting as faults', async (t) => {
    const fixture = await apiFixture(t);
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><methodCall><methodName>&lol2;</methodName></methodCall>`;
    const external = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]><methodCall><methodName>get_systems</methodName><params><param><value>&secret;</value></param></params></methodCall>`;
    // Deep, yet under the 4 MiB body limit, so that it reaches the parser.
    const depth = 10_000;
    const deep = `<methodCall><methodName>get_systems</methodName><params><param>${'<value><array><data>'.repeat(depth)}${'</data></array></value>'.repeat(depth)}</param></params></methodCall>`;
    for (const [name, body] of [
      ['entity expansion', laughs],
      ['external entity', external],
      ['deep nesting', deep],
    ] as const) {
      const response = await fixture.app.request('/cobbler_api', { method: 'POST', body });
      assert.equal(response.status, 200, name);
      const text = await response.text();
      const answer = parseMethodResponse(text);
      assert.ok(!answer.ok, `${name}: ${text.slice(0, 200)}`);
      assert.doesNotMatch(text, /root:/, `${name} must not read a file`);
    }
    const huge = await fixture.app.request('/cobbler_api', { method: 'POST', body: 'x'.repeat(5 * 2 ** 20) });
    assert.equal(huge.status, 413);
    assert.match(await huge.text(), /over the 4194304-byte limit/);
  });
});

describe('hostile input to the REST API', () => {
  it(`answers ${runs.toLocaleString('en-US')} random bodies to every write route with a 2xx or a 4xx and its error body`, async (t) => {
    const fixture = await apiFixture(t);
    const routes: [string, string][] = [
      ['POST', '/api/v1/systems'],
      ['POST', '/api/v1/profiles'],
      ['POST', '/api/v1/distros'],
      ['PATCH', '/api/v1/systems/vm9'],
      ['PUT', '/api/v1/settings/server'],
      ['POST', '/api/v1/login'],
      ['POST', '/api/v1/systems/vm9/koan'],
      ['POST', '/api/v1/systems/vm9/rename'],
    ];
    // A system to aim the PATCH and rename at, so that those reach validation instead of a 404.
    const seeded = await fixture.app.request('/api/v1/systems', {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vm9', profile: '<<inherit>>', image: 'none' }),
    });
    assert.ok(seeded.status < 500);
    const body = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 200 }),
      fc
        .record(
          {
            name: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null)),
            profile: fc.string({ maxLength: 20 }),
            hostname: fc.string({ maxLength: 80 }),
            kernel_options: fc.oneof(fc.string({ maxLength: 80 }), fc.dictionary(fc.string(), fc.string())),
            interfaces: fc.dictionary(
              fc.string({ maxLength: 12 }),
              fc.record({
                mac_address: fc.string({ maxLength: 20 }),
                ip_address: fc.string({ maxLength: 20 }),
              }),
            ),
            value: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async ([method, path], text) => {
        const response = await fixture.app.request(path, {
          method,
          headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
          body: text,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        assert.ok(response.status < 500, `${method} ${path} ${text.slice(0, 200)}: ${response.status}`);
        if (response.status >= 400) {
          const answer = (await response.json()) as { error?: { code?: string; message?: string } };
          assert.ok(answer.error?.code && answer.error.message, JSON.stringify(answer));
        }
      }),
      { numRuns: runs },
    );
    assert.ok((statuses.get(400) ?? 0) > 0, JSON.stringify([...statuses]));
    reportCount('api/hostile-input', 'REST write bodies', runs);
  });

  it('answers any path segment with a 2xx or a 4xx, never a 500', async (t) => {
    const fixture = await apiFixture(t);
    // As `serve` has it: install logs live under the data directory.
    fixture.services.dataDir = fixture.dataDir;
    const segment = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        '..',
        '%2e%2e',
        '%00',
        '%ff',
        '%',
        '%%',
        '..%2f..%2fetc',
        '\u0000',
        '😀',
        'a'.repeat(5000),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('systems', 'profiles', 'distros', 'bogus', 'events', 'settings'),
        segment,
        fc.constantFrom('', '/blended', '/autoinstall', '/variables', '/rendered', '/logs'),
        async (kinds, name, suffix) => {
          const path = `/api/v1/${kinds}/${encodeURIComponent(name)}${suffix}`;
          const response = await fixture.app.request(path, {
            headers: { authorization: `Bearer ${fixture.adminToken}` },
          });
          assert.ok(response.status < 500, `${path}: ${response.status}`);
        },
      ),
      { numRuns: runs },
    );
    reportCount('api/hostile-input', 'REST paths', runs);
  });
});
