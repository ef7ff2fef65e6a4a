/**
 * A bound on the work validation does, checked on the body's text before it is parsed. zod reports every
 * issue it finds and gathers them by spreading arrays into arrays, so a few hundred kilobytes of invalid
 * array elements (hundreds of thousands of issues) once overflowed the stack and answered 500. Each array
 * element gives the schemas at most a handful of issues, so bounding the elements bounds the issues.
 */

/**
 * More array elements than any valid request holds. The only arrays are a batch's events (at most 500) and
 * an order's items (at most 500 per order); the smallest valid item, `{"sku":"a","quantity":1,"unitPrice":0},`,
 * is 39 bytes, so a 256 KiB body holds fewer than 6,800 elements in all. At this bound the schemas find at
 * most a few tens of thousands of issues, far from the hundred thousand and more that overflowed.
 */
export const MAX_BODY_ARRAY_ELEMENTS = 8_000;

/** What one linear scan of JSON text (strings aside, without parsing it) tells of the work it would make. */
export interface BodyShape {
  /** It opens more arrays and objects inside one another than the limit (the scan stopped there). */
  nestsTooDeep: boolean;
  /** How many values its arrays hold, at most (an empty array counts as one). */
  arrayElements: number;
}

export const shapeOf = (text: string, nestingLimit: number): BodyShape => {
  // Whether each open container is an array; as many as the nesting, which the limit bounds.
  const inArray: boolean[] = [];
  let elements = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i += 1; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (inArray.length >= nestingLimit) return { nestsTooDeep: true, arrayElements: elements };
      inArray.push(code === 0x5b);
      if (code === 0x5b) elements += 1;
    } else if (code === 0x5d || code === 0x7d) inArray.pop();
    else if (code === 0x2c && inArray.at(-1) === true) elements += 1;
  }
  return { nestsTooDeep: false, arrayElements: elements };
};

/** Whether JSON text opens more than `limit` arrays and objects inside one another. */
export const nestsDeeperThan = (text: string, limit: number): boolean =>
  shapeOf(text, limit).nestsTooDeep;

export const arrayElementsIn = (text: string): number =>
  shapeOf(text, Number.POSITIVE_INFINITY).arrayElements;
