// Load clients in a process of their own, so that the load test's clients, its API probe and the server under test
// do not share one event loop: a client starved by a thousand others would look to the server like a client that
// stopped answering. One process runs one kind of client, as many at once as the plan says, until its time is up:
//   http: keep-alive clients, each fetching the rendered autoinstall file of a random system and checking that the
//         answer names that system (and no other: a kickstart served to the wrong machine carries its secrets);
//   tftp: transfers of one file, each checked byte for byte against its SHA-256.
// Every 10 s and at the end it prints a JSON line of counts and the first errors; the test reads the last one.
// Usage: node --import tsx test/support/load-clients.fixture.ts PLAN.json (a LoadPlan)

import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { httpGet } from './http-get.js';
import { tftpFetch } from './tftp-client.js';

export type LoadPlan =
  | { kind: 'http'; port: number; clients: number; seconds: number; systemCount: number }
  | { kind: 'tftp'; port: number; clients: number; seconds: number; filename: string; sha256: string };

export interface LoadReport {
  kind: LoadPlan['kind'];
  done: number;
  errorCount: number;
  /** The first few errors, word for word. */
  errors: string[];
  final: boolean;
}

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadPlan;
  const stopAt = Date.now() + plan.seconds * 1000;
  const report: LoadReport = { kind: plan.kind, done: 0, errorCount: 0, errors: [], final: false };
  const fail = (message: string) => {
    report.errorCount += 1;
    if (report.errors.length < 20) report.errors.push(message);
  };
  const print = () => process.stdout.write(`${JSON.stringify(report)}\n`);
  const progress = setInterval(print, 10_000);

  let client: () => Promise<void>;
  if (plan.kind === 'http') {
    const agent = new Agent({ keepAlive: true, maxSockets: plan.clients });
    client = async () => {
      const i = randomInt(plan.systemCount);
      const name = `node${i}`;
      try {
        const { status, body } = await httpGet(agent, plan.port, `/cblr/svc/op/autoinstall/system/${name}`);
        if (status !== 200) return fail(`autoinstall ${name}: HTTP ${status} ${body.slice(0, 200)}`);
        // node1 is a prefix of node12: look for the name as a whole word.
        const named = new Set(body.match(/\bnode\d+\b/g));
        if (!named.has(name) || named.size !== 1)
          return fail(`autoinstall ${name}: the answer names ${[...named].join(', ') || 'no system'}`);
        report.done += 1;
      } catch (error) {
        fail(`autoinstall ${name}: ${String(error)}`);
      }
    };
  } else {
    client = async () => {
      try {
        const { data } = await tftpFetch(plan.port, plan.filename, { windowsize: 8, idleMs: 1000 });
        if (createHash('sha256').update(data).digest('hex') !== plan.sha256) fail('TFTP: the bytes differ');
        else report.done += 1;
      } catch (error) {
        fail(`TFTP: ${String(error)}`);
      }
    };
  }
  const loop = async () => {
    while (Date.now() < stopAt) await client();
  };
  await Promise.all(Array.from({ length: plan.clients }, loop));
  clearInterval(progress);
  report.final = true;
  print();
  process.exit(0);
}

await main();
