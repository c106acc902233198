import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { assertUserName, type Role, type UserStore } from '../store/user-store.js';

// Parameters of new hashes. Each stored hash names its own, so raising these later keeps old hashes verifiable.
const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

const storedHashPattern = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

function deriveKey(password: string, salt: Buffer, keyBytes: number, cost: ScryptCost) {
  return new Promise<Buffer>((resolve, reject) => {
    // scrypt throws synchronously on bad parameters; inside the executor that becomes a rejection.
    scrypt(password, salt, keyBytes, cost, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password as `scrypt$N$r$p$<salt base64>$<key base64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function decodeBase64(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from skips junk silently; only a canonical encoding is a hash this module wrote.
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** True when `password` matches a hash from hashPassword; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = storedHashPattern.exec(stored);
  const salt = decodeBase64(match?.[4]);
  const expected = decodeBase64(match?.[5]);
  const [n, r, p] = [match?.[1], match?.[2], match?.[3]].map(Number);
  if (!salt || !expected || n === undefined || r === undefined || p === undefined) return false;
  // A shorter key would still match as a prefix of the real one, so only the full length counts.
  // The cap on p bounds CPU time; Node's default maxmem (32 MiB) already bounds N and r.
  if (expected.length !== KEY_BYTES || p > 16) return false;
  try {
    const actual = await deriveKey(password, salt, KEY_BYTES, { N: n, r, p });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/**
 * Adds a user or changes a user's password, and returns the user's role now. Without a role a new user is an admin
 * and an existing user keeps their role (UserStore.set).
 */
export async function setUserPassword(
  users: UserStore,
  name: string,
  password: string,
  role?: Role,
): Promise<Role> {
  // Checked before the slow hash, which a refused name need not cost.
  assertUserName(name);
  const hash = await hashPassword(password);
  // Stored only after the slow hash, so that a concurrent edit by another process is less likely to be lost.
  return users.set(name, hash, role);
}
