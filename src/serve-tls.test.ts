// serve's HTTPS listener with a certificate made by openssl for the test, driven by real clients on loopback:
// Node's https, Python's xmlrpc.client trusting the test CA, the bootwright CLI and koan with NODE_EXTRA_CA_CERTS.
// Installers keep plain HTTP; api_require_tls moves logins and changes to HTTPS.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { sharedBootFiles } from '../test/support/boot-files.js';
import { runCli } from '../test/support/cli.js';
import { serveTestRootsCommand } from '../test/support/served-roots.js';
import { tempDir } from '../test/support/temp-dir.js';
import { httpsFetch, makeCertificates, makeLeaf, servedOverTls } from '../test/support/tls.js';
import { startServer } from './serve.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

/** The serial number of the certificate a TLS server presents. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(ca) }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** Runs a Python snippet with `s` bound to a ServerProxy trusting the CA; the snippet sets `out`, returned as JSON. */
// Asynchronous on purpose: the server answers from this same process, so a blocking spawn would deadlock.
async function python(url: string, ca: string, code: string): Promise<unknown> {
  const script = `
import json, ssl, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1], context=ssl.create_default_context(cafile=sys.argv[2]))
out = None
${code}
print(json.dumps(out, default=str))
`;
  const { stdout } = await promisify(execFile)('python3', ['-c', script, url, ca], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

/** The bootwright CLI in a process of its own, as an operator runs it (NODE_EXTRA_CA_CERTS is read at start). */
async function bootwright(argv: string[], env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', ...argv],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    return { code: failed.code ?? -1, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function httpsLogin(https: string, ca: string): Promise<string> {
  const body = JSON.stringify({ username: 'admin', password: 'admin-pass' });
  const answer = await httpsFetch(`${https}/api/v1/login`, ca, { method: 'POST', body });
  assert.equal(answer.status, 200, answer.body.toString());
  return (JSON.parse(answer.body.toString()) as { token: string }).token;
}

describe('serve over HTTPS', () => {
  it('serves the REST API and XML-RPC over HTTPS, and installers over plain HTTP', async (t) => {
    const { ca, https, http, kernel } = await servedOverTls(t);
    const version = await httpsFetch(`${https}/api/v1/version`, ca);
    assert.equal(version.status, 200);
    assert.equal(JSON.parse(version.body.toString()).name, 'bootwright');

    const out = await python(
      `${https}/cobbler_api`,
      ca,
      `
token = s.login('admin', 'admin-pass')
s.xapi_object_edit('profile', 'p2', 'add', {'distro': 'd'}, token)
out = {'ping': s.ping(), 'profiles': sorted(s.find_profile({'name': 'p*'}))}
`,
    );
    assert.deepEqual(out, { ping: true, profiles: ['p', 'p2'] });

    // The fast download path answers on both listeners.
    const plainKernel = await fetch(`${http}/cobbler/images/d/vmlinuz`);
    assert.equal(plainKernel.status, 200);
    assert.deepEqual(Buffer.from(await plainKernel.arrayBuffer()), kernel);
    const secureKernel = await httpsFetch(`${https}/cobbler/images/d/vmlinuz`, ca);
    assert.equal(secureKernel.status, 200);
    assert.deepEqual(secureKernel.body, kernel);
    const kickstart = await fetch(`${http}/cblr/svc/op/autoinstall/profile/p2`);
    assert.equal(kickstart.status, 200);
    assert.match(await kickstart.text(), /^url /m);
  });

  it('with api_require_tls, refuses logins and changes over plain HTTP and takes them over HTTPS', async (t) => {
    const { ca, https, http } = await servedOverTls(t, { api_require_tls: 'true' });
    const where = https.replace('https://', '');

    const plainLogin = await fetch(`${http}/api/v1/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'admin', password: 'admin-pass' }),
    });
    assert.equal(plainLogin.status, 403);
    const refusal = ((await plainLogin.json()) as { error: { code: string; message: string } }).error;
    assert.equal(refusal.code, 'E_FORBIDDEN');
    assert.match(refusal.message, new RegExp(`only over https://${where} \\(the api_require_tls setting\\)`));

    const token = await httpsLogin(https, ca);
    const distro = JSON.stringify({ name: 'd2', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
    const plainWrite = await fetch(`${http}/api/v1/distros`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: distro,
    });
    assert.equal(plainWrite.status, 403);
    const secureWrite = await httpsFetch(`${https}/api/v1/distros`, ca, {
      method: 'POST',
      body: distro,
      token,
    });
    assert.equal(secureWrite.status, 201, secureWrite.body.toString());

    // Reads and the installer's routes stay on plain HTTP.
    assert.equal((await fetch(`${http}/api/v1/distros/d2`)).status, 200);
    assert.equal((await fetch(`${http}/cblr/svc/op/autoinstall/profile/p`)).status, 200);

    const plainRpc = (await python(
      `${http}/cobbler_api`,
      ca,
      `
out = {'ping': s.ping(), 'systems': s.get_systems()}
try:
    s.login('admin', 'admin-pass')
except xmlrpc.client.Fault as fault:
    out['login'] = fault.faultString
try:
    s.new_distro('${token}')
except xmlrpc.client.Fault as fault:
    out['write'] = fault.faultString
`,
    )) as { ping: boolean; systems: unknown[]; login: string; write: string };
    assert.equal(plainRpc.ping, true);
    assert.deepEqual(plainRpc.systems, []);
    assert.match(plainRpc.login, new RegExp(`only over https://${where} `));
    assert.match(plainRpc.write, new RegExp(`only over https://${where} `));
    const secureRpc = await python(
      `${https}/cobbler_api`,
      ca,
      `
token = s.login('admin', 'admin-pass')
out = s.xapi_object_edit('distro', 'd3', 'add', {'kernel': '${bootFiles.kernel}', 'initrd': '${bootFiles.initrd}'}, token)
`,
    );
    assert.equal(secureRpc, true);
  });

  it('lets the CLI and koan use --server=https://... when NODE_EXTRA_CA_CERTS names the CA', async (t) => {
    const { ca, https } = await servedOverTls(t, { api_require_tls: 'true' });
    const token = await httpsLogin(https, ca);
    const trusted = { NODE_EXTRA_CA_CERTS: ca, BOOTWRIGHT_TOKEN: token };

    const added = await bootwright(
      [
        `--server=${https}`,
        'distro',
        'add',
        '--name=by-cli',
        `--kernel=${bootFiles.kernel}`,
        `--initrd=${bootFiles.initrd}`,
      ],
      trusted,
    );
    assert.equal(added.code, 0, added.stderr);
    const listed = await bootwright([`--server=${https}`, 'distro', 'list'], trusted);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /by-cli/);
    const koan = await bootwright(['koan', `--server=${https}`, '--list=profiles'], trusted);
    assert.equal(koan.code, 0, koan.stderr);
    assert.match(koan.stdout, /\bp\b/);

    // Without the CA, the certificate is refused, and the error says how to trust it.
    const untrusted = await bootwright([`--server=${https}`, 'distro', 'list'], { NODE_EXTRA_CA_CERTS: '' });
    assert.equal(untrusted.code, 8);
    assert.match(untrusted.stderr, /not signed by a CA this machine trusts .*NODE_EXTRA_CA_CERTS=/);
  });

  it('reloads a renewed certificate and key, and keeps the old pair when the new one is bad', async (t) => {
    const { ca, cert, key, dir, running } = await servedOverTls(t);
    const port = running.tlsPort as number;
    const first = await servedSerial(port, ca);
    const renewed = makeLeaf(dir, 'renewed');
    copyFileSync(renewed.cert, cert);
    copyFileSync(renewed.key, key);
    assert.match(running.reloadTls?.() ?? '', /GMT$/);
    const second = await servedSerial(port, ca);
    assert.notEqual(second, first);

    writeFileSync(key, 'half-written\n');
    assert.throws(() => running.reloadTls?.(), { message: /^The TLS key ".*" is not a PEM private key/ });
    assert.equal(await servedSerial(port, ca), second);
  });

  it('explains a bad certificate, key or port in one sentence', async (t) => {
    const dir = tempDir(t);
    const { cert, key, otherKey } = makeCertificates(dir);
    const start = (options: { tlsCert?: string; tlsKey?: string; tlsPort?: number }, dataDir = tempDir(t)) =>
      startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0, tlsPort: 0, ...options });
    const cases: [{ tlsCert?: string; tlsKey?: string; tlsPort?: number }, RegExp][] = [
      [
        { tlsCert: join(dir, 'missing.pem'), tlsKey: key },
        /^Cannot read the TLS certificate ".*missing.pem" \(no such file\); check the path in --tls-cert\.$/,
      ],
      [
        { tlsCert: cert, tlsKey: dir },
        /^Cannot read the TLS key ".*" \(it is a directory\); check the path in --tls-key\.$/,
      ],
      [{ tlsCert: key, tlsKey: key }, /^The TLS certificate ".*server.key" is not a PEM certificate/],
      [{ tlsCert: cert, tlsKey: cert }, /^The TLS key ".*server.pem" is not a PEM private key/],
      [{ tlsCert: cert, tlsKey: otherKey }, /^The TLS key ".*ca.key" does not belong to the certificate/],
      [
        { tlsCert: cert },
        /^HTTPS needs both a certificate and its key, but only --tls-cert is set; pass --tls-key/,
      ],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(start(options), (error: Error) => {
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }

    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    t.after(() => busy.close());
    const busyPort = (busy.address() as { port: number }).port;
    await assert.rejects(start({ tlsCert: cert, tlsKey: key, tlsPort: busyPort }), {
      code: 'E_UNAVAILABLE',
      message: `Cannot listen on 127.0.0.1:${busyPort}: another program uses it; stop it or pass --tls-port.`,
    });

    const requiring = tempDir(t);
    assert.equal(
      (await runCli(requiring, 'setting', 'edit', '--name=api_require_tls', '--value=true')).code,
      0,
    );
    await assert.rejects(start({}, requiring), {
      code: 'E_USAGE',
      message: /^The api_require_tls setting is on but serve has no certificate/,
    });
  });
});
