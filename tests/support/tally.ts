// Counting what a generated test run tried, for the figures it prints.
export const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
export const total = (map: Map<unknown, number>) =>
  [...map.values()].reduce((sum, n) => sum + n, 0);
export const show = <K>(map: Map<K, number>) =>
  [...map]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([key, n]) => `${String(key)}: ${n}`)
    .join(', ');
