// Settings that reach installer lines, boot files and listeners (issue 18, item 2): the ports in every install URL,
// the proxy and puppet server in kickstart shell lines, the root password hash in kickstart, preseed and AutoYaST.
// A bad value is refused when written, with the same one sentence through the CLI, REST and XML-RPC's
// modify_setting, naming the value and what to give instead; the setting keeps its value. Good values pass.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../../src/xmlrpc/codec.js';
import { apiFixture } from '../support/api-fixture.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp-dir.js';

interface Attempt {
  name: string;
  value: string;
  /** What the sentence must say the fix is. */
  fix: RegExp;
}

const refusedValues: Attempt[] = [
  { name: 'http_port', value: '99999', fix: /expected a whole number from 1 to 65535/ },
  { name: 'http_port', value: '0', fix: /expected a whole number from 1 to 65535/ },
  { name: 'tls_port', value: '65536', fix: /expected a whole number from 1 to 65535/ },
  { name: 'tftp_port', value: '70000', fix: /expected a whole number from 0 to 65535/ },
  { name: 'server', value: 'a;reboot', fix: /not an IPv4 address or host name/ },
  { name: 'puppet_server', value: 'puppet;reboot', fix: /use letters, digits and - in dot-separated labels/ },
  { name: 'proxy_url_int', value: 'http://proxy:3128/;reboot', fix: /not an http\(s\) URL such as/ },
  { name: 'proxy_url_int', value: 'proxy.example.org:3128', fix: /not an http\(s\) URL such as/ },
  { name: 'default_password_crypted', value: '$6$x$y\nreboot', fix: /make one with "openssl passwd -6"/ },
  { name: 'default_password_crypted', value: "x' && reboot", fix: /make one with "openssl passwd -6"/ },
];

const acceptedValues: [string, string, unknown][] = [
  ['http_port', '8080', 8080],
  ['tftp_port', '0', 0],
  ['puppet_server', 'puppet.example.org', 'puppet.example.org'],
  ['proxy_url_int', 'http://user:pw@proxy.example.org:3128/', 'http://user:pw@proxy.example.org:3128/'],
  ['proxy_url_int', '', ''],
  ['default_password_crypted', '$6$rounds=5000$abc$x/Yz.1', '$6$rounds=5000$abc$x/Yz.1'],
];

function checkRefusal(attempt: Attempt, how: string, message: string): void {
  assert.ok(message.includes(JSON.stringify(attempt.value)), `${how} names the value: ${message}`);
  assert.ok(message.includes(`"${attempt.name}"`), `${how} names the setting: ${message}`);
  assert.match(message, attempt.fix, `${how}: ${message}`);
  assert.doesNotMatch(message, /\n|at .*\.ts:\d+/, `${how} is one sentence, no stack`);
}

describe('settings bound for installer lines and boot files', () => {
  it('refuses a bad value with the same sentence through the CLI, REST and XML-RPC', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const cli: string[] = [];
    for (const attempt of refusedValues) {
      const result = await runCli(
        dataDir,
        'setting',
        'edit',
        `--name=${attempt.name}`,
        `--value=${attempt.value}`,
      );
      assert.equal(result.code, 2, `CLI ${attempt.name}=${attempt.value}: ${result.stdout}${result.stderr}`);
      const message = result.stderr.replace(/^bootwright: /, '').trimEnd();
      checkRefusal(attempt, `CLI ${attempt.name}`, message);
      cli.push(message);
    }
    const report = await runCli(dataDir, 'setting', 'report', '--format=json');
    const kept = JSON.parse(report.stdout) as Record<string, unknown>;
    assert.equal(kept.http_port, 80, 'each setting kept its value');
    assert.equal(kept.server, '127.0.0.1');
    assert.equal(kept.proxy_url_int, '');

    const fixture = await apiFixture(t);
    const rest: string[] = [];
    for (const attempt of refusedValues) {
      const response = await fixture.app.request(`/api/v1/settings/${attempt.name}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ value: attempt.value }),
      });
      const body = (await response.json()) as { error?: { code: string; message: string } };
      assert.equal(response.status, 400, `REST ${attempt.name}: ${JSON.stringify(body)}`);
      assert.equal(body.error?.code, 'E_INVALID');
      checkRefusal(attempt, `REST ${attempt.name}`, body.error?.message ?? '');
      rest.push(body.error?.message ?? '');
    }

    const call = async (method: string, params: XmlRpcValue[]) => {
      const response = await fixture.app.request('/cobbler_api', {
        method: 'POST',
        body: serializeMethodCall(method, params),
      });
      return parseMethodResponse(await response.text());
    };
    const login = await call('login', ['admin', 'secret-admin']);
    assert.ok(login.ok);
    const xmlRpc: string[] = [];
    for (const attempt of refusedValues) {
      // Cobbler's scripts send a port as an int; the same rule holds.
      const value = /^\d+$/.test(attempt.value) ? Number(attempt.value) : attempt.value;
      const answer = await call('modify_setting', [attempt.name, value, login.value as string]);
      assert.ok(!answer.ok, `XML-RPC ${attempt.name}=${attempt.value} is refused`);
      checkRefusal(attempt, `XML-RPC ${attempt.name}`, answer.faultString);
      xmlRpc.push(answer.faultString);
    }
    assert.deepEqual(rest, cli, 'REST says what the CLI says');
    assert.deepEqual(xmlRpc, cli, 'XML-RPC says what the CLI says');
    const settings = await fixture.services.inventory.settings();
    assert.equal(settings.http_port, 80);
    assert.equal(settings.default_password_crypted, '$1$mF86/UHC$WvcIcX2t6crBz2onWxyac.');
  });

  it('takes ordinary ports, host names, proxy URLs and crypt hashes', async (t: TestContext) => {
    const dataDir = tempDir(t);
    for (const [name, value] of acceptedValues) {
      const result = await runCli(dataDir, 'setting', 'edit', `--name=${name}`, `--value=${value}`);
      assert.equal(result.code, 0, `${name}=${value}: ${result.stderr}`);
      const report = await runCli(dataDir, 'setting', 'report', '--format=json');
      assert.deepEqual(
        JSON.parse(report.stdout)[name],
        acceptedValues.find(([n, v]) => n === name && v === value)?.[2],
      );
    }
  });
});
