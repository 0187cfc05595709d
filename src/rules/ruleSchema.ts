import { z } from 'zod';
import { ruleSchemaVersion, severities } from './alertRule';
import { FilterSyntaxError } from './filter/filterAst';
import { filterLimits, parseFilter } from './filter/filterParser';
import { ipRangeProblem } from './ipRanges';
import { patternProblem } from './wildcard';

/*
 * The zod schema of a rule document: the source of parseRule's checks AND of the published JSON Schema
 * (schemas/alert-rule.schema.json, `npm run schema`). Cross-field checks that JSON Schema cannot say well
 * (at least one match condition) live in parseRule.
 */

const idPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
const id = z
  .string()
  .regex(idPattern, 'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit');
/** How many tenants one global rule can exclude. */
export const maxExcludedTenants = 500;
const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** A `*` pattern; `matchAll` allows a pattern that is only `*` (meaning "any value"). */
const pattern = (max: number, matchAll = false) =>
  text(max).check((ctx) => {
    const problem = patternProblem(ctx.value, { allowMatchAll: matchAll });
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

/** A non-empty list (an empty list is a mistake: omit the field instead), at most `max` entries. */
const list = <T extends z.ZodType>(item: T, max: number) =>
  z.array(item).min(1, 'must not be empty (omit the field instead)').max(max, `must have at most ${max} entries`);

const ipRange = z.string().check((ctx) => {
  const problem = ipRangeProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

const actorCriteria = z.strictObject({
  userPrincipalNames: list(pattern(320), 100)
    .optional()
    .describe('UPNs, case-insensitive; * wildcards allowed (e.g. *@contoso.com).'),
  applicationIds: list(z.string().regex(guid, 'must be an application (client) id GUID'), 100).optional(),
  ipAddresses: list(ipRange, 100).optional().describe('IPv4 / IPv6 addresses or CIDR ranges.'),
  actorTypes: list(
    z.string().regex(/^[A-Za-z]{1,40}$/, 'must be an actor type such as ItPro, Application or Partner'),
    20,
  )
    .optional()
    .describe('auditActorType values: ItPro, Application, Partner, ...'),
});

const filter = z
  .string()
  .max(filterLimits.maxLength, `must be at most ${filterLimits.maxLength} characters`)
  .check((ctx) => {
    if (ctx.value.length > filterLimits.maxLength) return;
    try {
      parseFilter(ctx.value);
    } catch (err) {
      if (!(err instanceof FilterSyntaxError)) throw err;
      ctx.issues.push({ code: 'custom', message: err.message, input: ctx.value });
    }
  })
  .describe(
    "OData $filter expression over the event's Graph fields, e.g. resources/any(r: startswith(r/displayName, 'Contoso Root'))",
  );

const https = z
  .string()
  .max(2000)
  .check((ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(ctx.value);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:' || !url.hostname)
      ctx.issues.push({ code: 'custom', message: 'must be an https:// URL', input: ctx.value });
    else if (url.username || url.password)
      ctx.issues.push({ code: 'custom', message: 'must not contain a user name or password', input: ctx.value });
  });

/** The rule document, as written by admins, the API and the CLI (see src/rules/alertRule.ts for meaning). */
export const alertRuleSchema = z
  .strictObject({
    $schema: z.string().max(2000).optional().describe('JSON Schema reference for editors; ignored.'),
    schemaVersion: z
      .literal(ruleSchemaVersion, { error: `must be ${ruleSchemaVersion}` })
      .optional()
      .describe('Rule document format version; when given it must be the current one.'),
    id: id.describe('Rule id: lowercase letters, digits and dashes (the Table row key).'),
    name: text(200).describe('Shown as the alert title.'),
    enabled: z.boolean(),
    severity: z.enum(severities, { error: `must be one of ${severities.join(', ')}` }),
    activityTypes: list(pattern(300), 100)
      .optional()
      .describe('Exact activityType values or * patterns (e.g. "* CloudCertificationAuthority"), case-insensitive.'),
    categories: list(text(100), 50).optional().describe('Exact category values, case-insensitive.'),
    operationTypes: list(
      z.string().regex(/^[A-Za-z]{1,40}$/, 'must be an operation type such as Create, Delete, Patch or Action'),
      20,
    )
      .optional()
      .describe('activityOperationType values: Create, Delete, Patch, Action, ...'),
    result: z
      .enum(['Success', 'Failure'], { error: 'must be Success or Failure' })
      .optional()
      .describe('Success, or Failure = any other non-empty result.'),
    actor: z
      .strictObject({
        include: actorCriteria.optional(),
        exclude: actorCriteria.optional().describe('Allow-listed actors (e.g. break-glass accounts): never alert.'),
      })
      .optional(),
    resource: z
      .strictObject({ ids: list(text(200), 100).optional(), namePatterns: list(pattern(300), 100).optional() })
      .optional()
      .describe(
        'Some resource must match: its resourceId is one of ids, and its displayName matches a pattern (each when given).',
      ),
    modifiedProperties: list(
      z.strictObject({
        name: pattern(300, true),
        oldValue: pattern(1000, true).optional(),
        newValue: pattern(1000, true).optional(),
      }),
      20,
    )
      .optional()
      .describe(
        'Some resource must have a modified property matching one entry (name, and oldValue / newValue when given; * wildcards).',
      ),
    filter: filter.optional(),
    threshold: z
      .strictObject({
        count: z.int('must be a whole number').min(2, 'must be at least 2').max(100_000, 'must be at most 100000'),
        windowInMinutes: z
          .int('must be a whole number')
          .min(1, 'must be at least 1')
          .max(1440, 'must be at most 1440 (one day)'),
        groupBy: z.enum(['actor', 'resource', 'none'], { error: 'must be actor, resource or none' }).default('actor'),
      })
      .optional()
      .describe('Fire only when count matching events happen within windowInMinutes, counted per groupBy.'),
    channels: z
      .array(id)
      .min(1, 'must list at least one channel id')
      .max(20, 'must have at most 20 entries')
      .describe('Channel ids; default = every channel configured as a default.'),
    description: z.string().max(2000, 'must be at most 2000 characters').optional(),
    runbookUrl: https.optional().describe('https link shown on the card.'),
    owner: text(200).optional(),
    tags: list(text(50), 20).optional(),
    realertInMinutes: z
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10_080, 'must be at most 10080 (one week)')
      .optional()
      .describe(
        'After an alert (per group key), further matches within this many minutes are recorded but not sent again.',
      ),
    groupWindow: z
      .union(
        [
          z.enum(['auto', 'none'], { error: "must be 'auto', 'none' or a whole number of minutes" }),
          z
            .int("must be 'auto', 'none' or a whole number of minutes")
            .min(1, 'must be at least 1 minute (use none to never hold)')
            .max(1440, 'must be at most 1440 (one day)'),
        ],
        { error: "must be 'auto', 'none' or a whole number of minutes" },
      )
      .optional()
      .describe(
        "Digest policy: auto (default) never holds high and critical alerts and holds medium and low ones for ALERT_GROUP_WINDOW_MINUTES after a post; none never holds; a number of minutes holds this rule's later alerts that long, whatever the severity.",
      ),
    excludeTenants: z
      .array(
        z
          .string()
          .regex(guid, 'must be a tenant id (GUID)')
          .overwrite((v) => v.toLowerCase()),
      )
      .min(1, 'must not be empty (omit the field instead)')
      .max(maxExcludedTenants, `must have at most ${maxExcludedTenants} entries`)
      .optional()
      .describe(
        'Global rules only: tenant ids (GUIDs) this rule does not apply to. A tenant can also replace the rule with one of its own of the same id.',
      ),
    origin: z
      .string()
      .regex(/^pack@[1-9]\d{0,5}$/, 'must be pack@<version>')
      .optional()
      .describe('Set on rules from the built-in pack; an admin edit clears it.'),
  })
  .describe('A cloud-pki-alerts alert rule. Every given condition must hold; inside a list any entry may match.');

export type AlertRuleDocument = z.input<typeof alertRuleSchema>;
