/**
 * The configuration schema, built from schemas/config/config.schema.json (the dialect-independent
 * part) and the dialect registry: one `upstreams.<name>` section per dialect that has upstream
 * options ($defs/upstream + the dialect's credential keys + its own options; required when the
 * dialect says so), each dialect's partner credential keys, and the known scheme names. Sections
 * and partner entries then refuse any other key, as the committed file alone cannot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DialectDescriptor, JsonSchema } from '../dialects/types';
import { projectRoot } from '../util/paths';

export const configSchemaFile = join(projectRoot(), 'schemas', 'config', 'config.schema.json');

export interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: unknown;
  items?: SchemaNode;
  $defs?: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}

let base: SchemaNode | undefined;

/** The committed, dialect-independent schema (read once). */
export function baseConfigSchema(): SchemaNode {
  base ??= JSON.parse(readFileSync(configSchemaFile, 'utf8')) as SchemaNode;
  return structuredClone(base);
}

export function buildConfigSchema(descriptors: readonly DialectDescriptor[]): SchemaNode {
  const schema = baseConfigSchema();
  const props = schema.properties!;
  const defs = schema.$defs!;
  const template = defs.upstream;

  const upstreams: Record<string, SchemaNode> = {};
  const requiredUpstreams: string[] = [];
  for (const d of descriptors) {
    const u = d.upstream;
    if (!u) continue;
    const { keyId, secret } = d.dialect.credentialKeys;
    const { base_url, ...common } = template.properties ?? {};
    upstreams[d.dialect.name] = {
      ...template,
      description: `upstreams.${d.dialect.name}: how couponbridge calls the ${d.dialect.name} platform.`,
      required: unique([...(u.required ?? []), keyId, secret, ...(template.required ?? [])]),
      properties: {
        base_url,
        [keyId]: { $ref: '#/$defs/keyId' },
        [secret]: { $ref: '#/$defs/secret' },
        ...common,
        ...(u.properties as Record<string, SchemaNode> | undefined),
      },
    };
    if (u.section === 'required') requiredUpstreams.push(d.dialect.name);
  }
  props.upstreams = {
    ...props.upstreams,
    additionalProperties: false,
    properties: upstreams,
    ...(requiredUpstreams.length > 0 ? { required: requiredUpstreams } : {}),
  };

  const item = props.partners.items!;
  const credentialKeys: Record<string, SchemaNode> = {};
  for (const key of unique(descriptors.flatMap((d) => Object.values(d.dialect.credentialKeys)))) {
    const users = descriptors.filter((d) => Object.values(d.dialect.credentialKeys).includes(key));
    const isSecret = users.some((d) => d.dialect.credentialKeys.secret === key);
    credentialKeys[key] = {
      $ref: isSecret ? '#/$defs/secret' : '#/$defs/keyId',
      description: `${users.map((d) => d.dialect.name).join(' and ')} partners`,
    };
  }
  const { id, dialect, ...rest } = item.properties ?? {};
  item.properties = { id, dialect, ...credentialKeys, ...rest };
  item.additionalProperties = false;
  delete item.description;

  defs.scheme = {
    enum: unique(descriptors.flatMap((d) => d.schemes.map((s) => s.name))),
  } satisfies JsonSchema;
  return schema;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
