/**
 * A payload that decodes but cannot describe a real object. The message names the field and the
 * problem; whoever knows which record it came from adds that.
 */
export class PayloadError extends Error {
  override name = 'PayloadError';
}
