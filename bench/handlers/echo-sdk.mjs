// Echo handler written with drover's Node SDK (drover/handler, the built dist/).
import { task, run, runOnce } from 'drover/handler';

task((payload) => payload);

if (process.argv.includes('--once')) runOnce();
else run();
