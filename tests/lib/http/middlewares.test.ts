import { describe, expect, it } from '@jest/globals';
import { nestsDeeperThan } from '../../../lib/http/body-shape.js';

describe('nestsDeeperThan', () => {
  it('counts arrays and objects inside one another, up to the limit and one past it', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":[{"b":{}}]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":{"c":[]}}]}', 4)).toBe(true);
  });

  it('counts depth, not the number of containers side by side', () => {
    expect(nestsDeeperThan(`[${'[],'.repeat(10_000)}[]]`, 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan('{"reason":"[[[[{{{{"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"reason":"a \\" [[[[ \\\\"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"reason":"\\\\", "x": [[1]]}', 2)).toBe(true);
  });

  it('refuses unclosed nesting as soon as it passes the limit', () => {
    expect(nestsDeeperThan('['.repeat(130_000), 16)).toBe(true);
  });
});
