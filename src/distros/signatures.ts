// The signature table that tells distributions apart by what their trees contain. It is data, not code: the
// shipped data/signatures.json, which a user extends or overrides with <data dir>/signatures.json.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { invalid, quote } from '../errors.js';
import { breeds } from '../model/fields.js';

export const builtinSignaturesFile = fileURLToPath(new URL('../../data/signatures.json', import.meta.url));

/** Where the operator's own signatures live; the error for an unknown tree names this file. */
export function userSignaturesFile(dataDir: string): string {
  return join(dataDir, 'signatures.json');
}

const bootCandidate = z.strictObject({
  /** Tree path, may hold {var} segments. */
  kernel: z.string().min(1),
  initrd: z.string().min(1),
  /** The architecture this kernel is for (template); absent when the tree says it elsewhere. */
  arch: z.string().optional(),
});

const signature = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  breed: z.enum(breeds as [string, ...string[]]),
  /** Which installer the tree boots (anaconda, debian-installer, subiquity, yast): templates pick by it. */
  installer: z.string().optional(),
  /** Paths that must all exist; a `{name}` segment matches any entry and binds it. */
  requires: z.array(z.string().min(1)).default([]),
  /** Files read for variables; a missing file is skipped, a pattern that does not match sets nothing. */
  read: z
    .array(z.strictObject({ file: z.string().min(1), patterns: z.array(z.string().min(1)).min(1) }))
    .default([]),
  /** Variable -> regex the value must match (case-insensitive); a missing variable fails the test. */
  when: z.record(z.string(), z.string()).default({}),
  /** New variables from a lookup: the first `map` key (a regex; "" matches all) that matches `from` wins. */
  derive: z
    .record(z.string(), z.strictObject({ from: z.string(), map: z.record(z.string(), z.string()) }))
    .default({}),
  osVersion: z.string().min(1),
  nameTemplate: z.string().min(1),
  boot: z.array(bootCandidate).min(1),
  xen: z.array(bootCandidate).default([]),
});

const signatureFile = z.strictObject({
  $comment: z.string().optional(),
  archAliases: z.record(z.string(), z.string()).default({}),
  signatures: z.array(signature).default([]),
});

export type Signature = z.infer<typeof signature> & {
  /** The file this entry came from, for "why" in a detection and for error messages. */
  origin: string;
};
export type BootCandidate = z.infer<typeof bootCandidate>;

export interface SignatureTable {
  signatures: Signature[];
  /** Spellings trees use (amd64, arm64, i686) -> bootwright arch names. */
  archAliases: Record<string, string>;
  /** The user file that was (or would have been) merged, named in the error for an unknown tree. */
  userFile?: string;
}

async function readSignatureFile(path: string): Promise<z.infer<typeof signatureFile>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw invalid(`Cannot read signatures from ${quote(path)}: ${(error as Error).message}`);
  }
  const result = signatureFile.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw invalid(`Signatures file ${quote(path)} is not valid at ${where}: ${issue?.message}.`);
  }
  for (const entry of result.data.signatures) {
    const patterns = [
      ...entry.read.flatMap((r) => r.patterns),
      ...Object.values(entry.when),
      ...Object.values(entry.derive).flatMap((d) => Object.keys(d.map)),
    ];
    for (const pattern of patterns) {
      try {
        new RegExp(pattern, 'm');
      } catch (error) {
        throw invalid(
          `Signature ${quote(entry.name)} in ${quote(path)} has a bad pattern ${quote(pattern)}: ${(error as Error).message}`,
        );
      }
    }
  }
  return result.data;
}

/**
 * The shipped table, with the user's file (when given and present) merged in front: its entries are tried first, and
 * one with the name of a shipped entry replaces it. A missing user file is not an error; a broken one is.
 */
export async function loadSignatures(extraPath?: string): Promise<SignatureTable> {
  const builtin = await readSignatureFile(builtinSignaturesFile);
  let user: z.infer<typeof signatureFile> | undefined;
  if (extraPath) {
    try {
      await readFile(extraPath);
      user = await readSignatureFile(extraPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const userSignatures = (user?.signatures ?? []).map((s) => ({ ...s, origin: extraPath as string }));
  const overridden = new Set(userSignatures.map((s) => s.name));
  const table: SignatureTable = {
    signatures: [
      ...userSignatures,
      ...builtin.signatures
        .filter((s) => !overridden.has(s.name))
        .map((s) => ({ ...s, origin: builtinSignaturesFile })),
    ],
    archAliases: { ...builtin.archAliases, ...user?.archAliases },
  };
  if (extraPath) table.userFile = extraPath;
  return table;
}
