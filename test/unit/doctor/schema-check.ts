// A validator for the part of JSON Schema 2020-12 that docs/doctor.schema.json uses: type, const,
// enum, required, properties, additionalProperties: false, items, minItems, minLength, maxLength,
// minimum, pattern and local $ref. A keyword it does not know is an error, so the schema cannot
// grow past what is checked.
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'minItems',
  'minLength',
  'maxLength',
  'minimum',
  'pattern',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const walk = (s: Schema, v: unknown, at: string): void => {
    for (const k of Object.keys(s))
      if (!KNOWN.has(k)) errors.push(`${at}: schema keyword ${k} is not supported by this validator`);
    if (typeof s['$ref'] === 'string') {
      const m = /^#\/\$defs\/(.+)$/.exec(s['$ref']);
      const target = m ? (root['$defs'] as Record<string, Schema> | undefined)?.[m[1] as string] : undefined;
      if (!target) {
        errors.push(`${at}: unresolved $ref ${s['$ref']}`);
        return;
      }
      walk(target, v, at);
    }
    const t = typeOf(v);
    if (typeof s['type'] === 'string' && s['type'] !== t && !(s['type'] === 'number' && t === 'integer'))
      errors.push(`${at}: expected ${s['type']}, found ${t}`);
    if ('const' in s && v !== s['const'])
      errors.push(`${at}: expected ${JSON.stringify(s['const'])}, found ${JSON.stringify(v)}`);
    if (Array.isArray(s['enum']) && !s['enum'].includes(v))
      errors.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s['enum'])}`);
    if (t === 'string') {
      const str = v as string;
      if (typeof s['minLength'] === 'number' && str.length < s['minLength'])
        errors.push(`${at}: shorter than ${s['minLength']}`);
      if (typeof s['maxLength'] === 'number' && str.length > s['maxLength'])
        errors.push(`${at}: longer than ${s['maxLength']}`);
      if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern'], 'u').test(str))
        errors.push(`${at}: ${JSON.stringify(str)} does not match ${s['pattern']}`);
    }
    if ((t === 'integer' || t === 'number') && typeof s['minimum'] === 'number' && (v as number) < s['minimum'])
      errors.push(`${at}: below ${s['minimum']}`);
    if (t === 'array') {
      const arr = v as unknown[];
      if (typeof s['minItems'] === 'number' && arr.length < s['minItems'])
        errors.push(`${at}: fewer than ${s['minItems']} items`);
      if (s['items']) for (const [i, x] of arr.entries()) walk(s['items'] as Schema, x, `${at}[${i}]`);
    }
    if (t === 'object') {
      const obj = v as Record<string, unknown>;
      for (const r of (s['required'] as string[] | undefined) ?? [])
        if (!(r in obj)) errors.push(`${at}: missing ${r}`);
      const props = (s['properties'] as Record<string, Schema> | undefined) ?? {};
      for (const [k, x] of Object.entries(obj)) {
        if (props[k]) walk(props[k], x, `${at}.${k}`);
        else if (s['additionalProperties'] === false) errors.push(`${at}: unexpected property ${k}`);
      }
    }
  };
  walk(root, value, '$');
  return errors;
}
