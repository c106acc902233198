// Rewrites the README's list of Cobbler XML-RPC methods bootwright leaves out, from Cobbler 3.3's method list
// (test/support/cobbler-3.3-remote-methods.json), the methods the server answers and the reasons in
// test/support/cobbler-api-coverage.ts. Run it when test/interop/cobbler-api.test.ts says the README is stale:
//   node --import tsx scripts/update-readme-cobbler-api.ts
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CobblerXmlRpc } from '../src/api/cobbler-xmlrpc.js';
import { openServices } from '../src/services.js';
import { omittedMethodsSection, readmeEnd, readmeStart } from '../test/support/cobbler-api-coverage.js';

const dataDir = mkdtempSync(join(tmpdir(), 'bootwright-readme-'));
try {
  const services = await openServices({ dataDir, triggers: false, dhcp: false });
  const answered = new Set(new CobblerXmlRpc(services).methodNames);
  await services.close();
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(readmeStart);
  const end = readme.indexOf(readmeEnd);
  if (start === -1 || end === -1)
    throw new Error(`README.md has no ${readmeStart} ... ${readmeEnd} markers.`);
  writeFileSync(
    'README.md',
    readme.slice(0, start) + omittedMethodsSection(answered) + readme.slice(end + readmeEnd.length),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
