import { CaptureError } from './capture-error.js';

/** A short reason for an OS-level read/open failure, without the errno noise. */
export function ioError(file: string, err: unknown): CaptureError {
  if (err instanceof CaptureError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return new CaptureError(file, null, 'no such file');
    case 'EACCES':
    case 'EPERM':
      return new CaptureError(file, null, 'permission denied');
    case 'EISDIR':
      return new CaptureError(file, null, 'is a directory');
    case 'ENOTDIR':
      return new CaptureError(file, null, 'no such file (a path component is not a directory)');
    case 'ELOOP':
      return new CaptureError(file, null, 'too many levels of symbolic links');
    default: {
      const msg = err instanceof Error ? err.message : String(err);
      return new CaptureError(file, null, `cannot read: ${code ?? msg}`);
    }
  }
}
