// Saves a screenshot only when it changed visibly: Chromium's software rasterizer can
// flip a pixel or two between runs, and rewriting the committed PNGs for that would leave
// every test run with modified files. Decodes the 8-bit RGB/RGBA PNGs Chromium writes;
// anything else counts as changed.
import { readFile, writeFile } from "node:fs/promises";
import { inflateSync } from "node:zlib";

/** { width, height, channels, pixels } of an 8-bit, non-interlaced RGB or RGBA PNG, or null. */
function decode(png) {
  if (png.length < 8 || png.readUInt32BE(0) !== 0x89504e47) return null;
  let offset = 8;
  let header = null;
  const data = [];
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], color: body[9], interlace: body[12] };
    }
    if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  if (!header || header.depth !== 8 || header.interlace !== 0 || (header.color !== 2 && header.color !== 6)) return null;
  const { width, height } = header;
  const channels = header.color === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(data));
  if (raw.length < height * (stride + 1)) return null;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const corner = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let value = line[x];
      if (filter === 1) value += left;
      else if (filter === 2) value += up;
      else if (filter === 3) value += (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - corner;
        const [pl, pu, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - corner)];
        value += pl <= pu && pl <= pc ? left : pu <= pc ? up : corner;
      }
      pixels[y * stride + x] = value & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** How many pixels differ between two PNGs (Infinity when they cannot be compared). */
export function differingPixels(a, b) {
  const [x, y] = [decode(a), decode(b)];
  if (!x || !y || x.width !== y.width || x.height !== y.height) return Infinity;
  let count = 0;
  for (let i = 0; i < x.width * x.height; i++) {
    for (let c = 0; c < 3; c++) {
      if (x.pixels[i * x.channels + c] !== y.pixels[i * y.channels + c]) {
        count += 1;
        break;
      }
    }
  }
  return count;
}

/** Writes `png` to `path` unless the file there differs from it in at most `tolerance` pixels. */
export async function writeIfChanged(path, png, tolerance = 16) {
  const old = await readFile(path).catch(() => null);
  if (old && differingPixels(old, png) <= tolerance) return false;
  await writeFile(path, png);
  return true;
}
