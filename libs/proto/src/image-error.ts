/** A checkpoint image that cannot be used, with a one-line message naming the file, the record and the problem. */
export class ImageError extends Error {
  override name = 'ImageError';
}
