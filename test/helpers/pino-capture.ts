// A pino destination that keeps every line written to it, for tests of what the process logger prints.
import { Writable } from 'node:stream';

export interface PinoCapture {
  stream: Writable;
  /** Every JSON line so far, parsed. */
  lines: () => Array<Record<string, any>>;
  /** Everything written so far, as one string. */
  text: () => string;
}

export function capturePino(): PinoCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, any>),
  };
}
