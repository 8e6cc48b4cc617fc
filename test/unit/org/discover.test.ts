import { ConfigurationError } from '../../../src/errors';
import { chooseHomeRegion, selectRegions } from '../../../src/org/discover';
import { streamProgress } from '../../../src/org/progress';
import { table } from '../../../src/org/report';
import { chunk } from '../../../src/org/state';

const LISTED = [
  { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' as const },
  { RegionName: 'eu-west-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' as const },
  { RegionName: 'af-south-1', RegionOptStatus: 'ENABLED' as const },
  { RegionName: 'me-south-1', RegionOptStatus: 'DISABLED' as const },
];

describe('region selection', () => {
  it('takes the enabled regions by default, every listed region with all, and checks a list', () => {
    expect(selectRegions(LISTED, { kind: 'enabled' })).toEqual(['af-south-1', 'eu-west-1', 'us-east-1']);
    expect(selectRegions(LISTED, { kind: 'all' })).toEqual(['af-south-1', 'eu-west-1', 'me-south-1', 'us-east-1']);
    expect(selectRegions(LISTED, { kind: 'list', regions: ['us-east-1', 'me-south-1'] })).toEqual(['me-south-1', 'us-east-1']);
    expect(() => selectRegions(LISTED, { kind: 'list', regions: ['us-east-1', 'xx-nowhere-1'] })).toThrow(ConfigurationError);
  });

  it('chooses the home region: explicit, else the caller region when covered, else the first', () => {
    expect(chooseHomeRegion(['eu-west-1', 'us-east-1'], 'eu-west-1', 'us-east-1')).toBe('eu-west-1');
    expect(chooseHomeRegion(['eu-west-1', 'us-east-1'], undefined, 'us-east-1')).toBe('us-east-1');
    expect(chooseHomeRegion(['eu-west-1', 'us-east-1'], undefined, 'ap-south-1')).toBe('eu-west-1');
    expect(() => chooseHomeRegion(['eu-west-1'], 'us-east-1', 'us-east-1')).toThrow(
      '--home-region/CORDON_HOME_REGION: us-east-1 is not one of the regions to cover (eu-west-1)',
    );
  });
});

describe('helpers', () => {
  it('chunks into batches of at most the size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 50)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });

  it('aligns table columns', () => {
    expect(
      table([
        ['A', 'BB', 'C'],
        ['long', 'x', 'y'],
      ]),
    ).toBe('A     BB  C\nlong  x   y');
  });

  it('draws a bar on a terminal and writes plain lines otherwise', () => {
    // Prepare
    const plain: string[] = [];
    const tty: string[] = [];

    // Act
    for (const [out, isTty] of [
      [plain, false],
      [tty, true],
    ] as const) {
      const p = streamProgress((t) => out.push(t), isTty, 'test');
      p.start(4);
      p.advance(2, 'us-east-1: covered');
      p.advance(2, 'eu-west-1: covered');
      p.finish();
    }

    // Assess
    expect(plain).toEqual([
      'test: 4 account×region pairs to cover\n',
      'test: us-east-1: covered (2/4 accounts×regions)\n',
      'test: eu-west-1: covered (4/4 accounts×regions)\n',
    ]);
    expect(tty[1]).toBe(`\r\x1b[2Ktest [${'#'.repeat(15)}${'-'.repeat(15)}] 2/4 accounts×regions us-east-1: covered`);
    expect(tty.at(-1)).toBe('\n');
  });
});
