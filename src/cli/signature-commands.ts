// `bootwright sync` and `bootwright signature report|update`, the Cobbler commands whose work bootwright does
// differently: nothing is written ahead of time, and signatures are files read each time `import` runs.

import { builtinSignaturesFile, loadSignatures, userSignaturesFile } from '../distros/signatures.js';
import { usageError } from './args.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { type Invocation, optionValue } from './invocation.js';

export function runSync(invocation: Invocation): void {
  const message =
    'Nothing to sync: bootwright renders boot configs, DHCP answers and autoinstall files from the store when they are asked for.';
  invocation.io.stdout.write(
    invocation.format === 'json' ? formatJson({ synced: true, message }) : `${message}\n`,
  );
}

export async function runSignatureCommand(
  action: string,
  invocation: Invocation,
  globals: GlobalOptions,
): Promise<void> {
  if (globals.server) {
    throw usageError(
      `"bootwright signature ${action}" reads the signature files of the server's host; run it there.`,
    );
  }
  const userFile = userSignaturesFile(globals.dataDir);
  // A broken user file is reported here, with the place in it, before any import trips on it.
  const table = await loadSignatures(userFile);
  const write = (text: string) => invocation.io.stdout.write(text);
  if (action === 'update') {
    const message = `${table.signatures.length} signatures loaded from ${builtinSignaturesFile} (built in) and ${userFile} (yours, when present); import reads them each time it runs, so nothing is downloaded or cached. Add your own entries to ${userFile}.`;
    write(
      invocation.format === 'json' ? formatJson({ signatures: table.signatures.length }) : `${message}\n`,
    );
    return;
  }
  const breed = optionValue(invocation, 'name');
  const shown = table.signatures.filter((signature) => breed === undefined || signature.breed === breed);
  if (breed !== undefined && shown.length === 0) {
    const breeds = [...new Set(table.signatures.map((signature) => signature.breed))].sort();
    throw usageError(
      `No signatures for the breed ${JSON.stringify(breed)}; the breeds with some are ${breeds.join(', ')}.`,
    );
  }
  if (invocation.format === 'json') {
    write(
      formatJson(
        shown.map(({ name, breed, osVersion, installer, origin }) => ({
          name,
          breed,
          osVersion,
          installer,
          origin,
        })),
      ),
    );
    return;
  }
  const byBreed = new Map<string, typeof shown>();
  for (const signature of shown)
    byBreed.set(signature.breed, [...(byBreed.get(signature.breed) ?? []), signature]);
  // Cobbler's layout: the breed, then one tab-indented line per signature, then the counts.
  write('Currently loaded signatures:\n');
  for (const [name, signatures] of [...byBreed].sort(([a], [b]) => a.localeCompare(b))) {
    write(`${name}:\n`);
    for (const signature of signatures) {
      const mine = signature.origin === builtinSignaturesFile ? '' : '  (yours)';
      write(`\t${signature.name.padEnd(24)} os_version ${signature.osVersion}${mine}\n`);
    }
  }
  write(`\n${byBreed.size} breeds with ${shown.length} total signatures loaded\n`);
}
