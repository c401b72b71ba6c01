import sharp from 'sharp';

/** A decompression bomb (a small file of enormous dimensions) is refused before it is decoded. */
const MAX_INPUT_PIXELS = 40_000_000;

/** The image could not be decoded (not an image, truncated, too many pixels). */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/**
 * The image as `size`×`size` RGB bytes (row-major, 3 per pixel): oriented as its EXIF says, alpha
 * dropped, stretched to the square as nsfwjs and ImageHash both do. libvips decodes and resizes off
 * the event loop.
 */
export async function squareRgb(bytes: Buffer, size: number): Promise<Uint8Array> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (error) {
    throw new ImageDecodeError(`not a readable image: ${(error as Error).message}`);
  }
}
