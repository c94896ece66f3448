import { describe, expect, it } from 'vitest';
import { claimSteps } from '../../../src/supervisor/queue-selector.js';

/** A fixed sequence of "random" numbers in [0, 1), repeated. */
const sequence = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

describe('claimSteps: how a refill is asked of the queues', () => {
  it('without weights: each queue in order, for all that is left', () => {
    expect(claimSteps([{ name: 'a' }, { name: 'b' }], ['a', 'b'], 40)).toEqual([
      { queue: 'a', count: 40 },
      { queue: 'b', count: 40 },
    ]);
  });

  it('with weights: each task one weighted draw, then each queue for what is left', () => {
    // Walked in the order given, light (1) then heavy (3): a draw x picks light when 4x < 1,
    // here 0.1 and 0.2; the six others pick heavy.
    const random = sequence(0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.2, 0.4);
    const steps = claimSteps([{ name: 'heavy', weight: 3 }, { name: 'light', weight: 1 }], ['light', 'heavy'], 8, new Map(), random);
    expect(steps).toEqual([
      { queue: 'light', count: 2 },
      { queue: 'heavy', count: 6 },
      { queue: 'light', count: 8 },
      { queue: 'heavy', count: 8 },
    ]);
  });

  it('over many draws the shares follow the weights, so a deep refill is not handed to one queue', () => {
    const steps = claimSteps([{ name: 'heavy', weight: 3 }, { name: 'light', weight: 1 }], ['heavy', 'light'], 4000);
    const light = steps.find((s) => s.queue === 'light')!.count;
    expect(light).toBeGreaterThan(850); // expected 1000, sd ~27
    expect(light).toBeLessThan(1150);
  });

  it('draws already made by completions count first, up to the room', () => {
    const queues = [{ name: 'heavy', weight: 3 }, { name: 'light', weight: 1 }];
    const heavyOnly = () => 0; // every fresh draw picks the first queue in the order
    expect(claimSteps(queues, ['heavy', 'light'], 5, new Map([['light', 2]]), heavyOnly)).toEqual([
      { queue: 'heavy', count: 3 },
      { queue: 'light', count: 2 },
      { queue: 'heavy', count: 5 },
      { queue: 'light', count: 5 },
    ]);
    expect(claimSteps(queues, ['heavy', 'light'], 2, new Map([['light', 7]]), heavyOnly).slice(0, 1)).toEqual([{ queue: 'light', count: 2 }]);
  });
});
