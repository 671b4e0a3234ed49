// Just enough of a ZIP reader for provider bill archives (Alipay's csv.zip): the central directory,
// stored (method 0) and deflated (method 8) entries, CRC-32 checked. Deflate goes through the web-standard
// DecompressionStream('deflate-raw'), which Workers and Node ≥ 20 provide, so nothing here is Node-only.
// Not supported (and refused with a clear error): ZIP64, encryption, multi-disk archives, other methods.

export interface ZipEntry {
  /** The name as stored: UTF-8 when the archive says so (flag bit 11), otherwise raw bytes as Latin-1. */
  name: string
  /** The name's raw bytes; Chinese tools usually write GBK names without the UTF-8 flag. */
  nameBytes: Uint8Array
  utf8Name: boolean
  /** 0 = stored, 8 = deflated. */
  method: number
  compressedSize: number
  size: number
  crc32: number
  /** Offset of the entry's local file header. */
  localHeaderOffset: number
}

const SIG_LOCAL = 0x04034b50
const SIG_CENTRAL = 0x02014b50
const SIG_EOCD = 0x06054b50
/** End of central directory record without its comment. */
const EOCD_SIZE = 22
/** The EOCD comment is at most 65535 bytes, so the record starts within this distance of the end. */
const EOCD_SEARCH = EOCD_SIZE + 0xffff

export class ZipError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ZipError'
  }
}

const latin1 = (b: Uint8Array): string => {
  let s = ''
  for (const c of b) s += String.fromCharCode(c)
  return s
}

/** The entries of the central directory, in archive order (directories included, size 0). */
export function listZip(zip: Uint8Array): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  const u16 = (at: number) => view.getUint16(at, true)
  const u32 = (at: number) => view.getUint32(at, true)
  let eocd = -1
  for (let at = zip.length - EOCD_SIZE; at >= Math.max(0, zip.length - EOCD_SEARCH); at--) {
    if (u32(at) === SIG_EOCD) {
      eocd = at
      break
    }
  }
  if (eocd < 0) throw new ZipError('not a ZIP archive (no end of central directory record)')
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0)
    throw new ZipError('multi-disk ZIP archives are not supported')
  const count = u16(eocd + 10)
  const cdSize = u32(eocd + 12)
  const cdOffset = u32(eocd + 16)
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw new ZipError('ZIP64 archives are not supported')
  if (cdOffset + cdSize > eocd) throw new ZipError('central directory runs past its end record')

  const entries: ZipEntry[] = []
  let at = cdOffset
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || u32(at) !== SIG_CENTRAL)
      throw new ZipError(`bad central directory entry ${i}`)
    const flags = u16(at + 8)
    const method = u16(at + 10)
    const crc32 = u32(at + 16)
    const compressedSize = u32(at + 20)
    const size = u32(at + 24)
    const nameLen = u16(at + 28)
    const extraLen = u16(at + 30)
    const commentLen = u16(at + 32)
    const localHeaderOffset = u32(at + 42)
    if (compressedSize === 0xffffffff || size === 0xffffffff || localHeaderOffset === 0xffffffff)
      throw new ZipError('ZIP64 entries are not supported')
    const nameBytes = zip.slice(at + 46, at + 46 + nameLen)
    const utf8Name = (flags & 0x0800) !== 0
    const name = utf8Name ? new TextDecoder().decode(nameBytes) : latin1(nameBytes)
    if (flags & 0x0001) throw new ZipError(`entry ${name} is encrypted`)
    entries.push({ name, nameBytes, utf8Name, method, compressedSize, size, crc32, localHeaderOffset })
    at += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

/** An entry's uncompressed bytes; throws ZipError on an unknown method, a short archive or a CRC mismatch. */
export async function readZipEntry(zip: Uint8Array, entry: ZipEntry): Promise<Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  const at = entry.localHeaderOffset
  if (at + 30 > zip.length || view.getUint32(at, true) !== SIG_LOCAL)
    throw new ZipError(`bad local header for ${entry.name}`)
  // Sizes come from the central directory: with a data descriptor (flag bit 3) the local ones are zero.
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true)
  const end = start + entry.compressedSize
  if (end > zip.length) throw new ZipError(`entry ${entry.name} runs past the end of the archive`)
  const raw = zip.subarray(start, end)
  let data: Uint8Array
  if (entry.method === 0) data = raw.slice()
  else if (entry.method === 8) data = await inflateRaw(raw)
  else throw new ZipError(`entry ${entry.name}: compression method ${entry.method} is not supported`)
  if (data.length !== entry.size)
    throw new ZipError(`entry ${entry.name}: ${data.length} bytes, the directory says ${entry.size}`)
  if (crc32(data) !== entry.crc32) throw new ZipError(`entry ${entry.name}: CRC-32 mismatch`)
  return data
}

/** Every file (not directory) with its bytes. */
export async function unzip(zip: Uint8Array): Promise<{ entry: ZipEntry; data: Uint8Array }[]> {
  const out: { entry: ZipEntry; data: Uint8Array }[] = []
  for (const entry of listZip(zip)) {
    if (entry.name.endsWith('/')) continue
    out.push({ entry, data: await readZipEntry(zip, entry) })
  }
  return out
}

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  // A copy on its own ArrayBuffer: what BlobPart's type asks for (the input may view a SharedArrayBuffer).
  const stream = new Blob([new Uint8Array(bytes)])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'))
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer())
  } catch (err) {
    throw new ZipError(`corrupt deflate data: ${(err as Error).message}`)
  }
}

let CRC_TABLE: Uint32Array | undefined

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as ZIP stores it. */
export function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      CRC_TABLE[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (const b of data) crc = (CRC_TABLE[(crc ^ b) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
