// The floor of drover's design (bench/floor/): Redis list + one Lua complete-and-claim per task
// feeding the same 2 Python echo children; and the same children fed without Redis at all.
import { floorDrain } from '../lib/drain.mjs';
import { bareEcho } from '../floor/bare-echo.mjs';

export function contenders(ctx) {
  const { url, tasks, python } = ctx;
  return [
    { name: 'floor-redis', what: 'floor: Lua complete+claim, 1 task in flight per child, -c 2', tasks, once: () => floorDrain({ url, tasks, python, buffer: 0 }) },
    { name: 'floor-redis-buffered', what: 'floor: as above + 1 task buffered per child', tasks, once: () => floorDrain({ url, tasks, python, buffer: 1 }) },
    { name: 'floor-bare-ndjson', what: 'Node <-> 2 Python echo children over NDJSON, no Redis', tasks, once: () => bareEcho({ tasks, python }) },
  ];
}
