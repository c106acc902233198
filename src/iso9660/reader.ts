// The public API: an ISO 9660 image read in place, through one file handle at offsets, never mounted and never read
// whole. Names come from Rock Ridge when the image has it, else from Joliet, else from plain ISO 9660 identifiers.
// Every length and block number read from the image is checked against the block and the file before it is used,
// and every loop is bounded (see isoLimits), so a corrupt image is an E_INVALID error and not a hang.

import { BootwrightError, invalid, notFound, quote } from '../errors.js';
import { type ByteSource, openFileSource } from './byte-source.js';
import {
  DESCRIPTOR_SIZE,
  FIRST_DESCRIPTOR_SECTOR,
  hasStandardIdentifier,
  parseVolumeDescriptor,
  type VolumeDirectoryDescriptor,
} from './descriptors.js';
import {
  type DirectoryRecord,
  directoryRecords,
  type Extent,
  fileFlags,
  isoFileName,
  isSelf,
  isSelfOrParent,
  parseDirectoryRecord,
  recordExtents,
} from './directory-record.js';
import { type BootCatalog, CD_SECTOR_SIZE, parseBootCatalog } from './el-torito.js';
import { IsoFormatError } from './format-error.js';
import { decodeJolietName } from './joliet.js';
import { LruCache } from './lru-cache.js';
import {
  announcesRockRidge,
  findSharingProtocol,
  interpretRockRidge,
  parseSystemUseArea,
  type RockRidgeAttributes,
  S_IFLNK,
  S_IFMT,
  type SuspEntry,
} from './rock-ridge.js';

export type { BootCatalog, BootEntry } from './el-torito.js';

export interface IsoEntry {
  /** Absolute inside the image: `/images/pxeboot/vmlinuz`; the root is `/`. */
  path: string;
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** Bytes of data; for a symlink, of its target, as lstat reports it. */
  size: number;
  mtimeMs: number;
  /** The POSIX st_mode from Rock Ridge (file type bits included); absent for Joliet and plain ISO 9660 names. */
  mode?: number;
  /** A symlink's target, as recorded (relative, or absolute meaning from the image's root). */
  target?: string;
  /** Where the data lies, in order, in logical blocks of the image; a file over 4 GiB has several. */
  extents: Extent[];
  /** Set when Rock Ridge marks the data as zisofs-compressed; such a file cannot be read. */
  compression?: 'zisofs';
}

export type IsoNames = 'rock-ridge' | 'joliet' | 'iso9660';

export interface IsoOpenOptions {
  /** Read names from this tree instead of the best one the image has; an image without it is an E_INVALID error. */
  names?: IsoNames;
}

export const isoLimits = {
  /** Volume descriptors read from sector 16 before giving up on a terminator. */
  maxDescriptors: 64,
  /** The largest directory read; a directory of 10,000 long names with Rock Ridge takes about 3 MiB. */
  maxDirectoryBytes: 32 * 1024 * 1024,
  /** Chained SUSP continuation areas for one record. */
  maxContinuationAreas: 32,
  /** Symlinks followed while resolving one path, as Linux's MAXSYMLINKS. */
  maxSymlinkHops: 40,
  /** Extents of one file: xorriso writes 100 at most (its 400 GiB default limit). */
  maxExtentsPerFile: 65_536,
  /** readFile is for small files such as .treeinfo; bigger ones are streamed with read(). */
  readFileMaxBytes: 16 * 1024 * 1024,
  /** The listing cache's bound: an entry weighs 1, plus 1 for every 128 characters of its path. */
  cachedWeight: 200_000,
  /** Linux's PATH_MAX: no tool could open a deeper path from a mounted image either. */
  maxPathLength: 4096,
  /**
   * The size of the buffers read() yields: a kernel sent over HTTP goes out in a few large reads and socket writes,
   * where each read's fixed cost (a promise and a trip through libuv's thread pool) would otherwise show.
   */
  readChunkBytes: 1024 * 1024,
  /** El Torito boot catalog bytes read: four sectors, 256 entries. */
  bootCatalogBytes: 4 * CD_SECTOR_SIZE,
} as const;

interface Listing {
  entries: readonly IsoEntry[];
  byName: Map<string, IsoEntry>;
}

interface RockRidge {
  /** SUSP 5.3 LEN_SKP: bytes to skip at the start of every system use field. */
  skip: number;
}

/** Blocks read for continuation areas while one directory is parsed, so records sharing a block read it once. */
const continuationBlockCacheSize = 16;

export class IsoImage {
  readonly volumeId: string;
  readonly #source: ByteSource;
  readonly #label: string;
  readonly #blockSize: number;
  readonly #catalogSector: number | undefined;
  // Both are settled while the image opens, before any directory other than the root's first block is read.
  #namesFrom: IsoNames = 'iso9660';
  #rockRidge: RockRidge | undefined;
  readonly #listings = new LruCache<string, Listing>(isoLimits.cachedWeight, listingWeight);
  readonly #loading = new Map<string, Promise<Listing>>();
  #root: IsoEntry | undefined;
  #closed = false;

  private constructor(source: ByteSource, label: string, descriptors: Descriptors) {
    this.#source = source;
    this.#label = label;
    this.#blockSize = descriptors.primary.logicalBlockSize;
    this.volumeId = descriptors.primary.volumeId;
    this.#catalogSector = descriptors.catalogSector;
  }

  /** Where the names come from: Rock Ridge when the image has it, else Joliet, else plain ISO 9660. */
  get namesFrom(): IsoNames {
    return this.#namesFrom;
  }

  /** Opens an image file, reading its volume descriptors and its root directory only. */
  static async open(path: string, options: IsoOpenOptions = {}): Promise<IsoImage> {
    const source = await openFileSource(path);
    try {
      return await IsoImage.fromSource(source, path, options);
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  /**
   * Opens an image from any byte source; `label` names it in messages. The image closes the source when it is
   * closed; if opening fails, the source is left open for the caller.
   */
  static async fromSource(
    source: ByteSource,
    label: string,
    options: IsoOpenOptions = {},
  ): Promise<IsoImage> {
    try {
      const descriptors = await readDescriptors(source, label);
      const { primary, joliet } = descriptors;
      const blockSize = primary.logicalBlockSize;
      const declared = primary.volumeSpaceSize * blockSize;
      if (declared > source.size) {
        throw invalid(
          `ISO image ${quote(label)} is truncated: its primary volume descriptor declares ` +
            `${primary.volumeSpaceSize} blocks of ${blockSize} bytes (${declared} bytes), but the file has ` +
            `${source.size} bytes`,
        );
      }
      const image = new IsoImage(source, label, descriptors);
      const rockRidge =
        options.names === 'joliet' || options.names === 'iso9660'
          ? undefined
          : await image.#detectRockRidge(primary.root);
      const namesFrom = options.names ?? (rockRidge ? 'rock-ridge' : joliet ? 'joliet' : 'iso9660');
      if (namesFrom === 'rock-ridge' && !rockRidge) {
        throw invalid(`ISO image ${quote(label)} has no Rock Ridge names`);
      }
      if (namesFrom === 'joliet' && !joliet) throw invalid(`ISO image ${quote(label)} has no Joliet names`);
      image.#namesFrom = namesFrom;
      image.#rockRidge = rockRidge;
      await image.#loadRoot(namesFrom === 'joliet' && joliet ? joliet.root : primary.root);
      return image;
    } catch (error) {
      throw withImageName(label, error);
    }
  }

  /** The entry at exactly this path, following no symlinks (a symlink on the way gives undefined). */
  async stat(path: string): Promise<IsoEntry | undefined> {
    return this.#guard(async () => {
      let entry = this.#rootEntry();
      for (const segment of lexicalSegments(path)) {
        if (entry.type !== 'directory') return undefined;
        const next: IsoEntry | undefined = (await this.#listing(entry)).byName.get(this.#nameKey(segment));
        if (next === undefined) return undefined;
        entry = next;
      }
      return entry;
    });
  }

  /**
   * The entry a path leads to, following symlinks inside the image: an absolute target starts again from the
   * image's root and `..` stops at it, so no path leads outside. A symlink loop is an E_INVALID error.
   */
  async resolve(path: string): Promise<IsoEntry | undefined> {
    return this.#guard(async () => {
      const root = this.#rootEntry();
      let stack: IsoEntry[] = [root];
      const pending = path.split('/').filter((segment) => segment !== '');
      let hops = 0;
      for (let segment = pending.shift(); segment !== undefined; segment = pending.shift()) {
        const current = stack.at(-1) ?? root;
        if (current.type !== 'directory') return undefined;
        if (segment === '.') continue;
        if (segment === '..') {
          if (stack.length > 1) stack.pop();
          continue;
        }
        const child = (await this.#listing(current)).byName.get(this.#nameKey(segment));
        if (child === undefined) return undefined;
        if (child.type !== 'symlink') {
          stack.push(child);
          continue;
        }
        hops += 1;
        if (hops > isoLimits.maxSymlinkHops) {
          throw invalid(
            `Path ${quote(path)} in ISO image ${quote(this.#label)} passes through more than ` +
              `${isoLimits.maxSymlinkHops} symlinks (the last ${quote(child.path)}); the image has a symlink loop`,
          );
        }
        const target = child.target ?? '';
        if (target === '') return undefined;
        if (target.startsWith('/')) stack = [root];
        pending.unshift(...target.split('/').filter((part) => part !== ''));
      }
      return stack.at(-1) ?? root;
    });
  }

  /** The entries of a directory (following symlinks to it), in the image's order. */
  async list(directoryPath: string): Promise<IsoEntry[]> {
    const directory = await this.resolve(directoryPath);
    if (directory === undefined) {
      throw notFound(`Directory ${quote(directoryPath)} not found in ISO image ${quote(this.#label)}`);
    }
    if (directory.type !== 'directory') {
      throw invalid(
        `${quote(directoryPath)} in ISO image ${quote(this.#label)} is a ${directory.type}, not a directory`,
      );
    }
    return this.#guard(async () => [...(await this.#listing(directory)).entries]);
  }

  /** Every entry under the root, depth first, parents before children; symlinks are listed, not followed. */
  async *walk(): AsyncIterable<IsoEntry> {
    try {
      const root = this.#rootEntry();
      const seen = new Map<number, string>();
      // Directories of a sound image are distinct extents, so together they fit in the file; more means the
      // records point into each other, and walking on could read the same bytes over and over.
      let directoryBytes = 0;
      const remember = (directory: IsoEntry) => {
        const extent = directory.extents[0];
        if (extent === undefined) return;
        const lba = extent.lba;
        directoryBytes += extent.length;
        if (directoryBytes > this.#source.size) {
          throw new IsoFormatError(
            `directory ${quote(directory.path)} (block ${lba}) brings the directories walked so far to ` +
              `${directoryBytes} bytes, more than the whole file, so directories overlap`,
          );
        }
        const earlier = seen.get(lba);
        if (earlier !== undefined) {
          throw new IsoFormatError(
            `directory ${quote(directory.path)} (block ${lba}) is the same directory as ${quote(earlier)}, so the ` +
              'tree has a loop',
          );
        }
        seen.set(lba, directory.path);
      };
      remember(root);
      const stack = [{ entries: (await this.#listing(root)).entries, index: 0 }];
      for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
        const entry = top.entries[top.index];
        top.index += 1;
        if (entry === undefined) {
          stack.pop();
          continue;
        }
        yield entry;
        if (entry.type === 'directory') {
          remember(entry);
          stack.push({ entries: (await this.#listing(entry)).entries, index: 0 });
        }
      }
    } catch (error) {
      throw withImageName(this.#label, error);
    }
  }

  /**
   * Bytes `start` to `end` (inclusive, as in an HTTP range) of a file, read in chunks from the extents they lie in
   * and nowhere else. `end` may be `start - 1` for an empty range, so an empty file reads as `read(entry, 0, -1)`.
   */
  read(entry: IsoEntry, start: number, end: number): AsyncIterable<Buffer> {
    this.#assertOpen();
    if (entry.type !== 'file') {
      throw invalid(`${quote(entry.path)} in ISO image ${quote(this.#label)} is a ${entry.type}, not a file`);
    }
    if (entry.compression !== undefined) {
      throw invalid(
        `File ${quote(entry.path)} in ISO image ${quote(this.#label)} is ${entry.compression}-compressed, ` +
          'which bootwright cannot read',
      );
    }
    const validRange =
      Number.isSafeInteger(start) &&
      Number.isSafeInteger(end) &&
      start >= 0 &&
      end >= start - 1 &&
      end < entry.size;
    if (!validRange) {
      throw invalid(
        `Byte range ${start}-${end} is outside file ${quote(entry.path)} (${entry.size} bytes) in ISO image ` +
          quote(this.#label),
      );
    }
    let recorded = 0;
    for (const extent of entry.extents) {
      this.#checkInFile(extent.lba * this.#blockSize, extent.length, this.#extentName(entry, extent));
      recorded += extent.length;
    }
    if (recorded < entry.size) {
      throw invalid(
        `File ${quote(entry.path)} in ISO image ${quote(this.#label)} has extents of ${recorded} bytes for its ` +
          `${entry.size} bytes`,
      );
    }
    return this.#chunks(entry, start, end);
  }

  /**
   * Reads a file's bytes from `position` into `buffer`: as many as fit and lie in the extent `position` is in, for a
   * caller that reuses its buffers (a kernel sent over HTTP). Resolves with how many, 0 at the end of the file.
   */
  async readInto(entry: IsoEntry, buffer: Buffer, position: number): Promise<number> {
    if (position >= entry.size) return 0;
    // read() checks the entry, the position and every extent against the image; its generator is never started.
    this.read(entry, position, position);
    let fileOffset = 0;
    for (const extent of entry.extents) {
      if (position < fileOffset + extent.length) {
        const length = Math.min(buffer.length, fileOffset + extent.length - position, entry.size - position);
        const at = extent.lba * this.#blockSize + (position - fileOffset);
        const what = this.#extentName(entry, extent);
        const bytesRead = this.#source.readInto
          ? await this.#source.readInto(buffer, at, length)
          : (await this.#readBytes(at, length, what)).copy(buffer);
        if (bytesRead !== length) throw this.#truncated(what);
        return length;
      }
      fileOffset += extent.length;
    }
    return 0;
  }

  /** A whole small file (following symlinks), such as `.treeinfo`; files over isoLimits.readFileMaxBytes are refused. */
  async readFile(path: string): Promise<Buffer> {
    const entry = await this.resolve(path);
    if (entry === undefined)
      throw notFound(`File ${quote(path)} not found in ISO image ${quote(this.#label)}`);
    if (entry.type !== 'file') {
      throw invalid(`${quote(path)} in ISO image ${quote(this.#label)} is a ${entry.type}, not a file`);
    }
    if (entry.size > isoLimits.readFileMaxBytes) {
      throw invalid(
        `File ${quote(path)} in ISO image ${quote(this.#label)} is ${entry.size} bytes, more than the ` +
          `${isoLimits.readFileMaxBytes} bytes readFile returns whole; stream it with read() instead`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.read(entry, 0, entry.size - 1)) chunks.push(chunk);
    return Buffer.concat(chunks, entry.size);
  }

  /** The El Torito boot catalog, or undefined when the image has no El Torito boot record. */
  async bootCatalog(): Promise<BootCatalog | undefined> {
    return this.#guard(async () => {
      if (this.#catalogSector === undefined) return undefined;
      const position = this.#catalogSector * CD_SECTOR_SIZE;
      const length = Math.max(0, Math.min(isoLimits.bootCatalogBytes, this.#source.size - position));
      if (length < CD_SECTOR_SIZE) {
        throw this.#truncated(`the El Torito boot catalog at sector ${this.#catalogSector}`);
      }
      return parseBootCatalog(await this.#readBytes(position, length, 'the El Torito boot catalog'));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listings.clear();
    await this.#source.close();
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw withImageName(this.#label, error);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new BootwrightError('E_UNAVAILABLE', `ISO image ${quote(this.#label)} is closed`);
  }

  #rootEntry(): IsoEntry {
    this.#assertOpen();
    if (this.#root === undefined) throw new BootwrightError('E_INTERNAL', 'ISO image root read before open');
    return this.#root;
  }

  #nameKey(name: string): string {
    // Plain ISO 9660 names are upper case on disc and shown in lower case, so they match either way.
    return this.#namesFrom === 'iso9660' ? name.toLowerCase() : name;
  }

  async *#chunks(entry: IsoEntry, start: number, end: number): AsyncGenerator<Buffer> {
    let fileOffset = 0;
    for (const extent of entry.extents) {
      const from = Math.max(start, fileOffset);
      const to = Math.min(end + 1, fileOffset + extent.length);
      for (let position = from; position < to; position += isoLimits.readChunkBytes) {
        this.#assertOpen();
        const length = Math.min(isoLimits.readChunkBytes, to - position);
        const at = extent.lba * this.#blockSize + (position - fileOffset);
        yield await this.#readBytes(at, length, this.#extentName(entry, extent));
      }
      fileOffset += extent.length;
      if (fileOffset > end) return;
    }
  }

  #extentName(entry: IsoEntry, extent: Extent): string {
    return `file ${quote(entry.path)} (extent at block ${extent.lba}, ${extent.length} bytes)`;
  }

  #checkInFile(position: number, length: number, what: string): void {
    if (position + length > this.#source.size) throw this.#truncated(what);
  }

  #truncated(what: string): BootwrightError {
    return invalid(
      `ISO image ${quote(this.#label)} is truncated: ${what} lies past the end of the file (size ${this.#source.size})`,
    );
  }

  async #readBytes(position: number, length: number, what: string): Promise<Buffer> {
    this.#checkInFile(position, length, what);
    const bytes = await this.#source.read(position, length);
    if (bytes.length !== length) throw this.#truncated(what);
    return bytes;
  }

  /** Rock Ridge is in use when the root's "." record starts with an SP entry and its entries announce RRIP. */
  async #detectRockRidge(rootRecord: DirectoryRecord): Promise<RockRidge | undefined> {
    const length = Math.min(rootRecord.dataLength, this.#blockSize);
    if (length < 34) return undefined;
    const lba = rootRecord.extentLba + rootRecord.extendedAttributeLength;
    const where = `the root directory (block ${lba})`;
    const block = await this.#readBytes(lba * this.#blockSize, length, where);
    const self = parseDirectoryRecord(block, 0, where);
    const sharing = findSharingProtocol(self.systemUse);
    if (sharing === undefined) return undefined;
    const entries = await this.#systemUseEntries(
      self.systemUse.subarray(sharing.at),
      `the "." record of ${where}`,
    );
    return announcesRockRidge(entries) ? { skip: sharing.skip } : undefined;
  }

  async #loadRoot(rootRecord: DirectoryRecord): Promise<void> {
    const lba = rootRecord.extentLba + rootRecord.extendedAttributeLength;
    const root: IsoEntry = {
      path: '/',
      name: '',
      type: 'directory',
      size: rootRecord.dataLength,
      mtimeMs: rootRecord.recordedMs,
      extents: [{ lba, length: rootRecord.dataLength }],
    };
    const data = await this.#directoryData(root);
    const where = directoryName(root);
    const self = directoryRecords(data, this.#blockSize, where).next().value;
    if (self === undefined || !isSelf(self)) {
      throw new IsoFormatError(`${where} does not start with its "." record`);
    }
    if (this.#rockRidge) {
      // The root's "." record holds the SP entry itself, so its field is read from the start, without the skip.
      const sharing = findSharingProtocol(self.systemUse);
      const attributes = await this.#rockRidgeAttributes(
        self.systemUse.subarray(sharing?.at ?? 0),
        `the "." record of ${where}`,
      );
      if (attributes.mode !== undefined) root.mode = attributes.mode;
      if (attributes.modifiedMs !== undefined) root.mtimeMs = attributes.modifiedMs;
    }
    this.#root = Object.freeze(root);
    this.#listings.set('/', await this.#buildListing(root, data));
  }

  async #listing(directory: IsoEntry): Promise<Listing> {
    const cached = this.#listings.get(directory.path);
    if (cached !== undefined) return cached;
    const loading = this.#loading.get(directory.path);
    if (loading !== undefined) return loading;
    const pending = this.#directoryData(directory).then((data) => this.#buildListing(directory, data));
    this.#loading.set(directory.path, pending);
    try {
      const listing = await pending;
      this.#listings.set(directory.path, listing);
      return listing;
    } finally {
      this.#loading.delete(directory.path);
    }
  }

  async #directoryData(directory: IsoEntry): Promise<Buffer> {
    const extent = directory.extents[0];
    if (extent === undefined) return Buffer.alloc(0);
    if (extent.length > isoLimits.maxDirectoryBytes) {
      throw new IsoFormatError(
        `${directoryName(directory)} claims ${extent.length} bytes, more than the ` +
          `${isoLimits.maxDirectoryBytes} bytes read for one directory`,
      );
    }
    return this.#readBytes(extent.lba * this.#blockSize, extent.length, directoryName(directory));
  }

  async #buildListing(directory: IsoEntry, data: Buffer): Promise<Listing> {
    const where = directoryName(directory);
    const entries: IsoEntry[] = [];
    const byName = new Map<string, IsoEntry>();
    const continuationBlocks = new Map<number, Buffer>();
    let sections: DirectoryRecord[] = [];
    for (const record of directoryRecords(data, this.#blockSize, where)) {
      if (sections.length === 0 && isSelfOrParent(record)) continue;
      const first = sections[0];
      if (first !== undefined && !record.identifier.equals(first.identifier)) {
        throw new IsoFormatError(
          `${where} has a multi-extent file ${quote(this.#recordedName(first))} whose next record ` +
            `(at byte ${record.offset}) is ${quote(this.#recordedName(record))} instead of its next extent`,
        );
      }
      sections.push(record);
      if (sections.length > isoLimits.maxExtentsPerFile) {
        throw new IsoFormatError(
          `${where} has a file with more than ${isoLimits.maxExtentsPerFile} extents at byte ${record.offset}`,
        );
      }
      if (record.flags & fileFlags.multiExtent) continue;
      const entry = await this.#entry(directory, sections, continuationBlocks);
      sections = [];
      if (entry === undefined) continue;
      const key = this.#nameKey(entry.name);
      if (!byName.has(key)) byName.set(key, entry);
      entries.push(entry);
    }
    if (sections[0] !== undefined) {
      throw new IsoFormatError(
        `${where} ends in the middle of multi-extent file ${quote(this.#recordedName(sections[0]))}`,
      );
    }
    return { entries, byName };
  }

  /** A record's identifier as this tree spells it, for messages and for names without Rock Ridge. */
  #recordedName(record: DirectoryRecord): string {
    return this.#namesFrom === 'joliet'
      ? decodeJolietName(record.identifier)
      : isoFileName(record.identifier);
  }

  /** One entry from the records of one file: one record, or several for a multi-extent file (ECMA-119 6.5.1). */
  async #entry(
    directory: IsoEntry,
    sections: DirectoryRecord[],
    continuationBlocks: Map<number, Buffer>,
  ): Promise<IsoEntry | undefined> {
    const first = sections[0];
    if (first === undefined || first.flags & fileFlags.associated) return undefined;
    const where = `the record at byte ${first.offset} of ${directoryName(directory)}`;
    const rockRidge = this.#rockRidge
      ? await this.#rockRidgeAttributes(
          first.systemUse.subarray(this.#rockRidge.skip),
          where,
          continuationBlocks,
        )
      : undefined;
    if (rockRidge?.relocated) return undefined;
    const name = rockRidge?.name ?? this.#recordedName(first);
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new IsoFormatError(`${where} has the name ${quote(name)}, which cannot be part of a path`);
    }
    const path = directory.path === '/' ? `/${name}` : `${directory.path}/${name}`;
    if (path.length > isoLimits.maxPathLength) {
      throw new IsoFormatError(
        `${where} makes a path of ${path.length} characters, longer than the ${isoLimits.maxPathLength} allowed`,
      );
    }
    const entry: IsoEntry = {
      path,
      name,
      type: 'file',
      size: 0,
      mtimeMs: rockRidge?.modifiedMs ?? first.recordedMs,
      extents: [],
    };
    if (rockRidge?.mode !== undefined) entry.mode = rockRidge.mode;
    if (rockRidge?.childLinkLba !== undefined) {
      // RRIP 4.1.5.1: a directory too deep for ISO 9660 was moved; this record points at where it now lies.
      const lba = rockRidge.childLinkLba;
      const block = await this.#readBytes(
        lba * this.#blockSize,
        this.#blockSize,
        `relocated directory ${quote(path)} at block ${lba}`,
      );
      const self = parseDirectoryRecord(block, 0, `the relocated directory at block ${lba} for ${where}`);
      entry.type = 'directory';
      entry.size = self.dataLength;
      entry.extents = [{ lba, length: self.dataLength }];
    } else if (first.flags & fileFlags.directory) {
      entry.type = 'directory';
      entry.size = first.dataLength;
      entry.extents = [{ lba: first.extentLba + first.extendedAttributeLength, length: first.dataLength }];
    } else if (
      rockRidge?.symlinkTarget !== undefined ||
      (rockRidge?.mode !== undefined && (rockRidge.mode & S_IFMT) === S_IFLNK)
    ) {
      entry.type = 'symlink';
      entry.target = rockRidge.symlinkTarget ?? '';
      entry.size = Buffer.byteLength(entry.target);
    } else {
      for (const section of sections) {
        entry.size += section.dataLength;
        for (const extent of recordExtents(section, this.#blockSize, isoLimits.maxExtentsPerFile)) {
          entry.extents.push(extent);
        }
      }
      if (entry.extents.length > isoLimits.maxExtentsPerFile) {
        throw new IsoFormatError(`${where} describes more than ${isoLimits.maxExtentsPerFile} extents`);
      }
      if (rockRidge?.zisofsSize !== undefined) {
        entry.compression = 'zisofs';
        entry.size = rockRidge.zisofsSize;
      }
    }
    for (const extent of entry.extents) Object.freeze(extent);
    Object.freeze(entry.extents);
    return Object.freeze(entry);
  }

  async #rockRidgeAttributes(
    systemUse: Buffer,
    where: string,
    continuationBlocks = new Map<number, Buffer>(),
  ): Promise<RockRidgeAttributes> {
    return interpretRockRidge(await this.#systemUseEntries(systemUse, where, continuationBlocks), where);
  }

  /** The SUSP entries of a system use field and of the chain of continuation areas (SUSP 5.1) it leads to. */
  async #systemUseEntries(
    systemUse: Buffer,
    where: string,
    continuationBlocks = new Map<number, Buffer>(),
  ): Promise<SuspEntry[]> {
    let area = parseSystemUseArea(systemUse, where);
    const entries = [...area.entries];
    for (let hops = 1; area.continuation !== undefined; hops++) {
      if (hops > isoLimits.maxContinuationAreas) {
        throw new IsoFormatError(
          `${where} chains more than ${isoLimits.maxContinuationAreas} continuation areas`,
        );
      }
      const { lba, offset, length } = area.continuation;
      if (offset + length > this.#blockSize) {
        throw new IsoFormatError(
          `${where} has a ${length}-byte continuation area at byte ${offset} of block ${lba}, which runs past ` +
            `the ${this.#blockSize}-byte block`,
        );
      }
      let block = continuationBlocks.get(lba);
      if (block === undefined) {
        block = await this.#readBytes(
          lba * this.#blockSize,
          this.#blockSize,
          `the continuation area at block ${lba} for ${where}`,
        );
        if (continuationBlocks.size >= continuationBlockCacheSize) continuationBlocks.clear();
        continuationBlocks.set(lba, block);
      }
      area = parseSystemUseArea(
        block.subarray(offset, offset + length),
        `the continuation area at block ${lba} for ${where}`,
      );
      entries.push(...area.entries);
    }
    return entries;
  }
}

interface Descriptors {
  primary: VolumeDirectoryDescriptor;
  joliet: VolumeDirectoryDescriptor | undefined;
  catalogSector: number | undefined;
}

/** ECMA-119 6.7.1: the volume descriptor set, from sector 16 to the terminator (or to the first non-descriptor). */
async function readDescriptors(source: ByteSource, label: string): Promise<Descriptors> {
  const firstByte = FIRST_DESCRIPTOR_SECTOR * DESCRIPTOR_SIZE;
  if (source.size < firstByte + DESCRIPTOR_SIZE) {
    throw invalid(
      `File ${quote(label)} is not an ISO 9660 image: it is ${source.size} bytes, too small to hold the volume ` +
        `descriptor at byte ${firstByte}`,
    );
  }
  let primary: VolumeDirectoryDescriptor | undefined;
  let joliet: VolumeDirectoryDescriptor | undefined;
  let catalogSector: number | undefined;
  for (let index = 0; index < isoLimits.maxDescriptors; index++) {
    const sectorNumber = FIRST_DESCRIPTOR_SECTOR + index;
    const position = sectorNumber * DESCRIPTOR_SIZE;
    if (position + DESCRIPTOR_SIZE > source.size) {
      throw invalid(
        `ISO image ${quote(label)} is truncated: the volume descriptor in sector ${sectorNumber} lies past the ` +
          `end of the file (size ${source.size})`,
      );
    }
    const sector = await source.read(position, DESCRIPTOR_SIZE);
    if (!hasStandardIdentifier(sector)) {
      if (index === 0) {
        throw invalid(
          `File ${quote(label)} is not an ISO 9660 image: sector 16 holds no volume descriptor (bytes ` +
            `${position + 1}-${position + 5} are ${quote(sector.toString('latin1', 1, 6))}, not "CD001")`,
        );
      }
      break;
    }
    const descriptor = parseVolumeDescriptor(sector, sectorNumber);
    if (descriptor.type === 'terminator') break;
    if (descriptor.type === 'primary' && primary === undefined) primary = descriptor;
    if (descriptor.type === 'supplementary' && descriptor.jolietLevel !== undefined && joliet === undefined) {
      joliet = descriptor;
    }
    if (descriptor.type === 'boot' && descriptor.catalogSector !== undefined)
      catalogSector = descriptor.catalogSector;
  }
  if (primary === undefined) {
    throw new IsoFormatError('its volume descriptor set has no primary volume descriptor');
  }
  if (joliet !== undefined && joliet.logicalBlockSize !== primary.logicalBlockSize) {
    throw new IsoFormatError(
      `its Joliet volume descriptor gives a logical block size of ${joliet.logicalBlockSize} bytes, but the ` +
        `primary one ${primary.logicalBlockSize}`,
    );
  }
  return { primary, joliet, catalogSector };
}

function listingWeight(listing: Listing): number {
  let weight = 1;
  for (const entry of listing.entries) weight += 1 + Math.floor(entry.path.length / 128);
  return weight;
}

function directoryName(directory: IsoEntry): string {
  return `directory ${quote(directory.path)} (block ${directory.extents[0]?.lba ?? 0})`;
}

/** Path segments with `.` dropped and `..` applied lexically (never above the root). */
function lexicalSegments(path: string): string[] {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return segments;
}

/** Codec errors know where in the image they are; this says which image. */
function withImageName(label: string, error: unknown): unknown {
  if (error instanceof IsoFormatError)
    return invalid(`ISO image ${quote(label)} is corrupt: ${error.detail}`);
  return error;
}
