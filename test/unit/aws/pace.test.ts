import { RatePacer, type PaceClock } from '../../../src/aws/pace';

/** A clock that only moves when the pacer sleeps. */
function fakeClock(): PaceClock & { readonly slept: number[]; now: number } {
  const clock = {
    now: 0,
    slept: [] as number[],
    nowMs: () => clock.now,
    sleep: (ms: number): Promise<void> => {
      clock.slept.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

describe('RatePacer', () => {
  it('spaces calls at the rate, one at a time by default, in the order they asked', async () => {
    // Prepare
    const clock = fakeClock();
    const pacer = new RatePacer(5, 1, clock);
    const started: Array<[number, number]> = [];

    // Act: ten callers at once.
    await Promise.all(Array.from({ length: 10 }, (_, i) => pacer.run(() => Promise.resolve(started.push([i, clock.now])))));

    // Assess: the first at once, then one every 200 ms (5 a second).
    expect(started.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(started.map(([, at]) => at)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
  });

  it('lets a burst through at once, then the rate', async () => {
    const clock = fakeClock();
    const pacer = new RatePacer(5, 3, clock);
    const at: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await pacer.take();
      at.push(clock.now);
    }
    expect(at).toEqual([0, 0, 0, 200, 400]);
  });

  it('refuses a rate or burst that is not one', () => {
    expect(() => new RatePacer(0)).toThrow('perSecond must be a positive number, got 0');
    expect(() => new RatePacer(5, 0.5)).toThrow('burst must be a whole number of calls >= 1, got 0.5');
  });
});
