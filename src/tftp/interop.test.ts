// Real TFTP clients from Debian against the server on 127.0.0.1: curl, tftp-hpa's tftp and atftp. Needs the
// Debian packages curl, tftp-hpa and atftp.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileRootRoute } from './routes.js';
import { startTftpServer, type TftpEvent, type TftpServer } from './server.js';

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const missing = ['curl', 'tftp', 'atftp'].filter(
  (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0,
);
assert.deepEqual(
  missing,
  [],
  `TFTP clients missing: ${missing.join(', ')}; install the Debian packages curl tftp-hpa atftp`,
);

const scratch = mkdtempSync(join(tmpdir(), 'bootwright-tftp-interop-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const [root, work, outside] = ['root', 'work', 'outside'].map((name) => join(scratch, name)) as [
  string,
  string,
  string,
];
const big = randomBytes(40 * 1024 * 1024);
const small = randomBytes(1234);
const text = Buffer.from('default menu.c32\nprompt 0\r\ntimeout 30\n');
const events: TftpEvent[] = [];
let server: TftpServer;
let bigBlockServer: TftpServer;

before(async () => {
  for (const dir of [root, work, outside]) mkdirSync(dir);
  writeFileSync(join(root, 'big.img'), big);
  writeFileSync(join(root, 'small.bin'), small);
  writeFileSync(join(root, 'exact.bin'), small.subarray(0, 1024));
  writeFileSync(join(root, 'menu.cfg'), text);
  writeFileSync(join(outside, 'secret'), 'secret');
  mkdirSync(join(root, 'images'));
  writeFileSync(join(root, 'images/initrd.img'), small);
  symlinkSync('images/initrd.img', join(root, 'inside-link'));
  symlinkSync(join(outside, 'secret'), join(root, 'outside-link'));
  const routes = [fileRootRoute(root)];
  server = await startTftpServer({ host: '127.0.0.1', port: 0, routes, onEvent: (e) => events.push(e) });
  // Loopback carries 64 KiB datagrams, so this one lets clients have RFC 2348's largest blocks.
  bigBlockServer = await startTftpServer({ host: '127.0.0.1', port: 0, routes, maxBlockSize: 65464 });
});

after(async () => {
  await server?.close();
  await bigBlockServer?.close();
});

type Client = (
  port: number,
  remote: string,
  local: string,
  options: { blksize?: number; windowsize?: number },
) => Promise<Run>;

const clients: Record<string, Client> = {
  curl: (port, remote, local, { blksize }) =>
    run(
      'curl',
      [
        '-sS',
        '--path-as-is',
        '--max-time',
        '120',
        ...(blksize ? ['--tftp-blksize', String(blksize)] : []),
        '-o',
        local,
        `tftp://127.0.0.1:${port}/${remote}`,
      ],
      work,
    ),
  // tftp-hpa's client negotiates no options: RFC 1350 as written, 512-byte blocks, one at a time.
  'tftp-hpa': (port, remote, local) =>
    run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', remote, local], work),
  atftp: (port, remote, local, { blksize, windowsize }) =>
    run(
      'atftp',
      [
        '--get',
        '-r',
        remote,
        '-l',
        local,
        '--option',
        'tsize enable',
        ...(blksize ? ['--option', `blksize ${blksize}`] : []),
        ...(windowsize ? ['--option', `windowsize ${windowsize}`] : []),
        '127.0.0.1',
        String(port),
      ],
      work,
    ),
};

async function fetchAndCompare(
  client: string,
  remote: string,
  expected: Buffer,
  options = {},
  port = server.port,
) {
  const local = join(work, `${client}-${remote}-${Date.now()}`);
  const result = await (clients[client] as Client)(port, remote, local, options);
  assert.equal(result.code, 0, `${client} failed: ${result.output}`);
  assert.equal(
    sha256(readFileSync(local)),
    sha256(expected),
    `${client} ${JSON.stringify(options)}: ${result.output}`,
  );
}

describe('a 40 MB file, byte-exact', () => {
  const cases: [string, { blksize?: number; windowsize?: number }, string?][] = [
    ['curl', { blksize: 512 }, 'block numbers roll over'],
    ['curl', { blksize: 1468 }],
    ['tftp-hpa', {}, 'no options, block numbers roll over'],
    ['atftp', { blksize: 1468, windowsize: 16 }],
    ['atftp', { blksize: 512, windowsize: 64 }, 'windows across the roll-over'],
    ['atftp', { blksize: 1024, windowsize: 1 }],
  ];
  for (const [client, options, note] of cases) {
    test(`${client} ${JSON.stringify(options)}${note ? ` (${note})` : ''}`, () =>
      fetchAndCompare(client, 'big.img', big, options));
  }
  // Two such blocks per window: four (256 KiB) overflow a Linux socket's default 208 KiB receive buffer, and every
  // window then waits out a timeout.
  test('atftp with 65464-byte blocks from a server that allows them', () =>
    fetchAndCompare('atftp', 'big.img', big, { blksize: 65464, windowsize: 2 }, bigBlockServer.port));
  test('three clients at once', async () => {
    await Promise.all([
      fetchAndCompare('curl', 'big.img', big, { blksize: 1468 }),
      fetchAndCompare('atftp', 'big.img', big, { blksize: 1468, windowsize: 8 }),
      fetchAndCompare('tftp-hpa', 'big.img', big),
    ]);
  });
});

describe('small files, byte-exact', () => {
  for (const client of Object.keys(clients)) {
    test(`${client}: a short file, a file of whole blocks, the smallest block size, a symlink inside the root`, async () => {
      await fetchAndCompare(client, 'small.bin', small);
      await fetchAndCompare(client, 'exact.bin', small.subarray(0, 1024));
      if (client !== 'tftp-hpa') await fetchAndCompare(client, 'small.bin', small, { blksize: 8 });
      await fetchAndCompare(client, 'inside-link', small);
    });
  }

  test('netascii: curl gets the CR LF wire form, tftp-hpa turns it back into the file', async () => {
    const viaCurl = join(work, 'menu-curl');
    const curl = await run(
      'curl',
      ['-sS', '-o', viaCurl, `tftp://127.0.0.1:${server.port}/menu.cfg;mode=netascii`],
      work,
    );
    assert.equal(curl.code, 0, curl.output);
    assert.equal(readFileSync(viaCurl, 'latin1'), 'default menu.c32\r\nprompt 0\r\0\r\ntimeout 30\r\n');
    const viaHpa = join(work, 'menu-hpa');
    const hpa = await run(
      'tftp',
      ['-m', 'netascii', '127.0.0.1', String(server.port), '-c', 'get', 'menu.cfg', viaHpa],
      work,
    );
    assert.equal(hpa.code, 0, hpa.output);
    assert.deepEqual(readFileSync(viaHpa), text);
  });
});

describe('paths that escape the root are refused', () => {
  // curl's exit codes: 68 "file not found", 69 "access violation"; tftp-hpa exits 0 and prints the error.
  const expected: Record<string, Record<string, RegExp>> = {
    curl: { 2: /^exit 69/, 1: /^exit 68/ },
    'tftp-hpa': { 2: /Error code 2: Access violation/, 1: /Error code 1: File not found/ },
    atftp: {
      2: /error received from server <Access violation>/,
      1: /error received from server <File not found>/,
    },
  };
  const paths: [string, 1 | 2][] = [
    ['../etc/passwd', 2],
    ['images/../../etc/passwd', 2],
    ['outside-link', 2],
    // A leading "/" means the TFTP root (pxelinux, GRUB), so this is looked up inside the root and not found there.
    ['/etc/passwd', 1],
  ];
  for (const client of Object.keys(clients)) {
    test(client, async () => {
      for (const [path, code] of paths) {
        const local = join(work, `${client}-refused`);
        writeFileSync(local, '');
        const result = await (clients[client] as Client)(server.port, path, local, {});
        assert.match(
          `exit ${result.code} ${result.output}`,
          expected[client]?.[code] as RegExp,
          `${client} ${path}`,
        );
        assert.equal(readFileSync(local).length, 0, `${client} ${path}: nothing written`);
      }
    });
  }

  test('each refusal is reported as a failure, and nothing outside the root was sent', () => {
    const sent = events.filter((e) => e.type === 'tftp.sent').map((e) => e.path);
    assert.ok(!sent.some((path) => /passwd|outside-link/.test(path)), sent.join(', '));
    const failures = events.filter((e) => e.type === 'tftp.failed' && /passwd|outside-link/.test(e.path));
    assert.equal(failures.length, paths.length * Object.keys(clients).length);
  });
});
