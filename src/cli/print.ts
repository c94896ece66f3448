/** Everything the inspection commands print goes to stdout through these. */

/** Text as is, plus a newline unless it already ends with one (nothing for ''). */
export function printText(text: string): void {
  if (text === '') return;
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** One JSON document (or one NDJSON line): compact, on one line. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A notice for the person at the terminal: stderr, so stdout stays parseable. */
export function printNotice(text: string): void {
  process.stderr.write(`${text}\n`);
}
