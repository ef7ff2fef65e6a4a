// Reading serverless.yml's params (`--param="NAME=value"` or its params block) from a ${file(...)} resolver.

/** A param's value, trimmed; '' when it is not set. */
const param = async (resolveVariable, name) => {
  const value = await resolveVariable(`param:${name}, ''`);
  return typeof value === 'string' ? value.trim() : value;
};

/** A comma-separated param as a list. */
const list = (value) =>
  value
    ? String(value)
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [];

module.exports = { param, list };
