// JSON text with what JSON.stringify cannot write: raw literals (1e999) and own "__proto__" keys.

/** A literal written into the JSON text as it is, e.g. raw('1e999'). */
export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (text: string) => new Raw(text);

export const toJson = (value: unknown): string => {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .map((key) => `${JSON.stringify(key)}:${toJson(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
};

/** A copy with one own property set, even "__proto__" (defined, never assigned: assigning would set the prototype). */
export const withKey = (object: object, key: string, value: unknown): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
};
