// BullMQ sandboxed processor (a file run in a child process): a no-op that echoes the data.
export default async function noop(job) {
  return job.data;
}
