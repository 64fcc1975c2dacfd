// Reading what a restored process writes into a pipe the test handed over.
import fs from 'node:fs';

/** A reader of the non-blocking descriptor READER: each call returns all the text it gave so far, with what is readable now. */
export function pipeText(reader: number): () => string {
  const buf = Buffer.alloc(65536);
  let text = '';
  return () => {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(reader, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return text;
        throw e;
      }
      if (n === 0) return text;
      text += buf.toString('utf8', 0, n);
    }
  };
}
