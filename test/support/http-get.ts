// A plain GET over node:http with an Agent of the caller's choosing (keep-alive or not) and a deadline, for load
// tests that must control their connections, which fetch() does not let them do.

import { type Agent, request } from 'node:http';

export function httpGet(
  agent: Agent,
  port: number,
  path: string,
  timeoutMs = 30_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
