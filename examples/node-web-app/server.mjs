// A web app that hands its model calls to drover: POST /predict enqueues the request body on
// the `predict` queue, waits for the result (woken by Redis, no polling) and returns it.
// The model itself runs in a `drover run` process, possibly on another machine.
//
//   node examples/node-web-app/server.mjs
//   curl -s -X POST localhost:3000/predict -d '{"features":[5.1,3.5,1.4,0.2]}'
//
// Environment: PORT (default 3000), DROVER_REDIS_URL or REDIS_URL (default
// redis://127.0.0.1:6379), DROVER_PREFIX (default "drover:", must match the supervisors'
// --prefix), PREDICT_TIMEOUT_MS (default 30000).
import { createServer } from 'node:http';
import { Client, TaskFailedError, isDroverError } from 'drover';

const PORT = Number(process.env.PORT ?? 3000);
const TIMEOUT_MS = Number(process.env.PREDICT_TIMEOUT_MS ?? 30_000);
const MAX_BODY_BYTES = 64 * 1024;

// One client for the whole app: it shares one Redis connection between every request.
const client = new Client({ prefix: process.env.DROVER_PREFIX || undefined });

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function readJson(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('the body must be JSON, e.g. {"features":[5.1,3.5,1.4,0.2]}'), { status: 400 });
  }
}

async function predict(req, res) {
  const payload = await readJson(req);
  try {
    const result = await client.run('predict', payload, { timeout: TIMEOUT_MS, maxRetries: 0 });
    send(res, 200, result);
  } catch (error) {
    // The handler refused the input (or crashed): the task's error, typed by reason.
    if (error instanceof TaskFailedError) send(res, 422, { error: error.taskError.message, type: error.taskError.type, reason: error.taskError.reason });
    else if (isDroverError(error, 'WAIT_TIMEOUT')) send(res, 504, { error: `no result within ${TIMEOUT_MS} ms (is a drover run serving "predict"?)` });
    else throw error;
  }
}

const server = createServer((req, res) => {
  const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
  const handle = route === 'POST /predict' ? predict(req, res) : Promise.resolve(send(res, 404, { error: `no route ${route}` }));
  handle.catch((error) => send(res, error.status ?? 500, { error: error.message }));
});

server.listen(PORT, () => console.log(`listening on http://127.0.0.1:${server.address().port}  (POST /predict)`));

// Finish in-flight requests, then close the Redis connection.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => void client.close()));
}
