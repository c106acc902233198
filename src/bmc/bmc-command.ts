// `bootwright bmc`: flags to options, then the BMC runs until SIGTERM or SIGINT.

import type { Invocation } from '../cli/invocation.js';
import { optionValue } from '../cli/invocation.js';
import { parseInteger } from '../model/values.js';
import { startBmc } from './bmc-server.js';

export async function runBmcCommand(invocation: Invocation, dataDir: string): Promise<number> {
  const { io } = invocation;
  const port = optionValue(invocation, 'port');
  const host = optionValue(invocation, 'listen');
  const tlsCert = optionValue(invocation, 'tls_cert');
  const tlsKey = optionValue(invocation, 'tls_key');
  const bmc = await startBmc({
    dataDir,
    port: port === undefined ? 8443 : parseInteger(port, '--port', 0, 65535),
    connect: optionValue(invocation, 'connect') ?? 'qemu:///system',
    domains: optionValue(invocation, 'domains') ?? '*',
    ...(host === undefined ? {} : { host }),
    ...(tlsCert === undefined ? {} : { tlsCert }),
    ...(tlsKey === undefined ? {} : { tlsKey }),
    log: (line) => io.stderr.write(`bmc: ${line}\n`),
  });
  io.stdout.write(`bmc: serving Redfish on https port ${bmc.port} (certificate ${bmc.certificate})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await bmc.stop();
  return 0;
}
