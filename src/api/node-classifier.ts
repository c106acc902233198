// Puppet's external node classifier over HTTP, shared by Cobbler's /cblr/svc/op/puppet/hostname/FQDN and
// /api/v1/enc/FQDN: classify the host, report the check-in on the event bus, answer the ENC YAML.

import { checkInEvent, classifyHost, indexedSystemFinder } from '../enc/classify-host.js';
import { renderEncYaml } from '../enc/enc-yaml.js';
import type { ApiServices } from './services.js';

export async function answerNodeClassifier(
  services: ApiServices,
  fqdn: string,
  source: string | undefined,
): Promise<string> {
  const { inventory } = services;
  const classification = await classifyHost(inventory, fqdn, indexedSystemFinder(inventory));
  services.events?.publish(checkInEvent(classification, source?.replace(/^::ffff:/, '')));
  return renderEncYaml(classification);
}
