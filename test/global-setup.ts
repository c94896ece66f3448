import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Build once before the tests: CLI tests run bin/drover.js and SDK fixtures import dist/. */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.json`], { stdio: 'inherit' });
}
