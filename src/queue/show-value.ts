/** A bad option value as error messages show it: JSON, except NaN and ±Infinity (which JSON shows as null). */
export function showValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
