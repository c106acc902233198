// The ceiling row of bench/http.ts: the least a Node program can do to serve one small file from disk correctly, on
// the same Node as `bootwright serve`. node:http, no framework; the file's bytes are read once and kept, and each
// request stat(2)s the path so that a changed file is read again (what "from disk" must mean: without the stat, an
// edited file would be served stale for ever); the same headers bootwright sends (type, length, ETag,
// Last-Modified, Accept-Ranges, nosniff). No routing, ranges, conditionals, path rules or events: what is left
// between this and `serve` is what those cost.
// Usage: node --import tsx bench/http-ceiling.fixture.ts FILE PORT [HOST]

import { readFileSync, type Stats, statSync } from 'node:fs';
import { createServer } from 'node:http';

const [file, port, host = '127.0.0.1'] = process.argv.slice(2);
if (!file || !port) {
  process.stderr.write('Usage: node --import tsx bench/http-ceiling.fixture.ts FILE PORT [HOST]\n');
  process.exit(2);
}

let kept: { stats: Stats; bytes: Buffer; headers: Record<string, string> } | undefined;

function current(): NonNullable<typeof kept> {
  const stats = statSync(file as string);
  if (
    kept &&
    kept.stats.ino === stats.ino &&
    kept.stats.size === stats.size &&
    kept.stats.mtimeMs === stats.mtimeMs
  )
    return kept;
  const bytes = readFileSync(file as string);
  kept = {
    stats,
    bytes,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      etag: `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
      'last-modified': stats.mtime.toUTCString(),
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
    },
  };
  return kept;
}

createServer({ keepAliveTimeout: 5000 }, (_request, response) => {
  const { bytes, headers } = current();
  response.writeHead(200, headers).end(bytes);
}).listen(Number(port), host);
