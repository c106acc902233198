// Response headers (issue 16), on serve's two listeners with real clients on loopback: every answer says
// `X-Content-Type-Options: nosniff`, whichever path made it (the Hono routes, the download fast path, node:http's
// own answer to a malformed request); HTML and the install logs that installers upload carry a Content-Security-
// Policy that allows nothing; only the HTTPS listener sends Strict-Transport-Security. With api_require_tls on, a
// token sent over plain HTTP opens no autoinstall file.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { dataPaths } from '../../src/config/paths.js';
import { deriveAutoinstallSecret } from '../../src/templates/autoinstall-secrets.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { logIn } from '../support/served.js';
import { tempDir } from '../support/temp-dir.js';
import { httpsFetch, servedOverTls } from '../support/tls.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

/** The status and headers of one answer; the body is not waited for (an event stream has no end). */
function headersOf(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; ca?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        agent: false,
        ...(init.ca ? { ca: readFileSync(init.ca) } : {}),
      },
      (response) => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers });
        response.destroy();
      },
    );
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

/** node:http's own answer to bytes that are no HTTP request, over a plain or a TLS socket. */
function answerToGarbage(port: number, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = ca
      ? tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(ca) })
      : netConnect({ host: '127.0.0.1', port });
    let text = '';
    socket.on(ca ? 'secureConnect' : 'connect', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

const lockedDown = /^default-src 'none';.*\bsandbox\b/;

describe('response headers', () => {
  it('nosniff on every answer, CSP on HTML and uploaded logs, HSTS from the HTTPS listener only', async (t) => {
    const { ca, http, https, running } = await servedOverTls(t, { anamon_enabled: 'true' });
    const token = await logIn(http, 'admin-pass', 'admin');
    const tree = tempDir(t);
    writeFileSync(join(tree, '.treeinfo'), '[general]\n');
    for (const [path, body] of [
      ['/distros', { name: 't', tree_source: tree, kernel: bootFiles.kernel, initrd: bootFiles.initrd }],
      ['/systems', { name: 'vm9', profile: 'p' }],
    ] as const) {
      const created = await fetch(`${http}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(created.status, 201, await created.text());
    }
    const log = await fetch(`${http}/api/v1/systems/vm9/logs/anaconda.log`, {
      method: 'PUT',
      body: '<html><script>alert(document.cookie)</script></html>\n',
    });
    assert.equal(log.status, 200, await log.text());

    const xmlPing = '<?xml version="1.0"?><methodCall><methodName>ping</methodName></methodCall>';
    const requests: [string, { method?: string; body?: string; headers?: Record<string, string> }, number][] =
      [
        ['/api/v1/version', {}, 200],
        ['/api/v1/no/such/thing', {}, 404],
        ['/api/v1/login', { method: 'POST', body: '{not json' }, 400],
        ['/cblr/svc/op/autoinstall/profile/p', {}, 200],
        ['/cblr/svc/op/nosuch', {}, 404],
        ['/cobbler_api', { method: 'POST', body: xmlPing }, 200],
        ['/api/v1/events/stream', {}, 200],
        // The download fast path: whole, HEAD, a range; a miss goes to Hono.
        ['/cobbler/images/d/vmlinuz', {}, 200],
        ['/cobbler/images/d/vmlinuz', { method: 'HEAD' }, 200],
        ['/cobbler/images/d/vmlinuz', { headers: { range: 'bytes=0-9' } }, 206],
        ['/distros/t/.treeinfo', {}, 200],
        ['/images/d/missing', {}, 404],
        ['/distros/t/', {}, 200],
        ['/api/v1/systems/vm9/logs/anaconda.log', {}, 200],
      ];
    for (const base of [http, https]) {
      const secure = base === https;
      for (const [path, init, status] of requests) {
        const what = `${init.method ?? 'GET'} ${base}${path}`;
        const answer = await headersOf(`${base}${path}`, { ...init, ...(secure ? { ca } : {}) });
        assert.equal(answer.status, status, what);
        assert.equal(answer.headers['x-content-type-options'], 'nosniff', what);
        if (secure) assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000', what);
        else assert.equal(answer.headers['strict-transport-security'], undefined, what);
        const html = answer.headers['content-type']?.startsWith('text/html');
        if (html || path.includes('/logs/')) {
          assert.match(String(answer.headers['content-security-policy']), lockedDown, what);
        }
      }
      const raw = await answerToGarbage(
        secure ? (running.tlsPort as number) : running.port,
        secure ? ca : undefined,
      );
      assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(raw, /\r\nX-Content-Type-Options: nosniff\r\n/i);
      assert.equal(/\r\nStrict-Transport-Security: max-age=31536000\r\n/i.test(raw), secure, raw);
    }
  });

  it('with api_require_tls, refuses a token sent over plain HTTP for autoinstall reads, as everywhere', async (t) => {
    const { ca, http, https, dataDir, running } = await servedOverTls(t, {
      api_require_tls: 'true',
      autoinstall_secrets: 'true',
    });
    const login = await httpsFetch(`${https}/api/v1/login`, ca, {
      method: 'POST',
      body: JSON.stringify({ username: 'admin', password: 'admin-pass' }),
    });
    const token = (JSON.parse(login.body.toString()) as { token: string }).token;
    // Over HTTPS the token opens it (and the server makes its secrets' key on this first use).
    for (const path of ['/cblr/svc/op/autoinstall/profile/p', '/api/v1/profiles/p/autoinstall']) {
      const secure = await httpsFetch(`${https}${path}`, ca, { token });
      assert.equal(secure.status, 200, `${path} over HTTPS: ${secure.body}`);
    }
    const refusal = `only over https://127.0.0.1:${running.tlsPort} (the api_require_tls setting)`;
    const bearer = { authorization: `Bearer ${token}` };
    for (const path of [
      '/cblr/svc/op/autoinstall/profile/p',
      '/cblr/svc/op/ks/profile/p',
      '/cblr/svc/op/script/profile/p?script=preseed_late_default',
      '/api/v1/profiles/p/autoinstall',
      '/api/v1/profiles/p/variables',
    ]) {
      const plain = await fetch(`${http}${path}`, { headers: bearer });
      const body = await plain.text();
      assert.equal(plain.status, 403, `${path} over plain HTTP with a token: ${body}`);
      assert.ok(body.includes(refusal), `${path}: ${body}`);
    }
    // Installers, over plain HTTP with the secret from their boot config, are not affected.
    const key = readFileSync(dataPaths(dataDir).autoinstallKey, 'utf8').trim();
    const secret = deriveAutoinstallSecret(key, { kind: 'profile', name: 'p' });
    const installer = await fetch(`${http}/cblr/svc/op/autoinstall/profile/p/secret/${secret}`);
    assert.equal(installer.status, 200, await installer.text());
  });
});
