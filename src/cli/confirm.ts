/** A yes/no question on the terminal (stderr), for destructive commands. */
import { createInterface } from 'node:readline/promises';

/** True when someone can answer: stdin and stderr are both terminals. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Asks `question [y/N]`; only "y" or "yes" (any case) is a yes. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
