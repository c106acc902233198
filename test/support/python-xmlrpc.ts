// Python's own xmlrpc.client, the client Cobbler users' scripts and koan use, run against a URL.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Runs a Python snippet with `s` bound to a ServerProxy for the URL; the snippet sets `out`, which comes back as
 * JSON. Asynchronous on purpose: a server answering from the test's own process would deadlock a blocking spawn.
 */
export async function pythonXmlRpc(url: string, code: string): Promise<any> {
  const script = `
import json, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=False)
def fault(call):
    try:
        call()
        return None
    except xmlrpc.client.Fault as f:
        return f.faultString
out = None
${code}
print(json.dumps(out, default=str))
`;
  const { stdout } = await promisify(execFile)('python3', ['-c', script, url], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}
