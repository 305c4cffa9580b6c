/**
 * A capture that cannot be read any further. The message is meant to be
 * shown to the user as-is, on one line, naming the file and byte offset.
 */
export class CaptureError extends Error {
  readonly file: string;
  readonly offset: number | null;

  constructor(file: string, offset: number | null, reason: string) {
    super(offset === null ? `${file}: ${reason}` : `${file}: at byte offset ${offset}: ${reason}`);
    this.name = 'CaptureError';
    this.file = file;
    this.offset = offset;
  }
}
