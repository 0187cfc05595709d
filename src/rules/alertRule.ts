/** Closed set of severities, most severe first. */
export const severities = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof severities)[number];
export const severityRank: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * How long later alerts of a group wait after a post, to be folded into one follow-up digest:
 * `auto` (the default) holds medium and low alerts for ALERT_GROUP_WINDOW_MINUTES and never holds high or
 * critical ones (each is posted as soon as it is detected); `none` never holds; a number of minutes holds
 * for that long whatever the severity. Realert suppression (`realertInMinutes`) applies in every case.
 */
export type GroupWindowSetting = 'auto' | 'none' | number;

/** Version of the rule document format (`schemaVersion` in rule JSON). */
export const ruleSchemaVersion = 1;

/** `Success` matches `activityResult === "Success"`; `Failure` matches any other non-empty result. */
export type ResultFilter = 'Success' | 'Failure';

/**
 * Actor conditions; inside one list any entry matches, across lists all given lists must match (also in
 * `exclude`: `{ userPrincipalNames: [a], ipAddresses: [r] }` excludes `a` only when acting from `r`).
 */
export interface ActorCriteria {
  /** UPNs, case-insensitive; `*` wildcards allowed (e.g. `*@contoso.com`). */
  userPrincipalNames?: string[];
  applicationIds?: string[];
  /** IPv4 / IPv6 addresses or CIDR ranges. */
  ipAddresses?: string[];
  /** `auditActorType` values: ItPro, Application, Partner, ... */
  actorTypes?: string[];
}

/** A modified property condition, e.g. `{ name: "*Status*", newValue: "paused" }` (case-insensitive, `*` wildcards). */
export interface ModifiedPropertyCriteria {
  name: string;
  oldValue?: string;
  newValue?: string;
}

/**
 * Fire only when at least `count` matching events happen within `windowInMinutes`, counted per `groupBy`
 * (in whole minutes: see evaluateThreshold in threshold.ts). `groupBy` defaults to `actor` on input.
 */
export interface ThresholdSpec {
  count: number;
  windowInMinutes: number;
  /** `actor` (UPN, else application id), `resource` (first resource id), or `none` (one counter per rule). */
  groupBy: 'actor' | 'resource' | 'none';
}

/**
 * An alert rule. Every given condition must hold (AND); inside a list any entry may match (OR).
 * Stored one per row in the `AlertRules` table; validated by `parseRule` on every write and every read.
 */
export interface AlertRule {
  id: string;
  name: string;
  enabled: boolean;
  severity: Severity;
  /** Exact `activityType` values or patterns with `*` (e.g. `* CloudCertificationAuthority`), case-insensitive. */
  activityTypes?: string[];
  categories?: string[];
  /** `activityOperationType` values: Create, Delete, Patch, Action, ... */
  operationTypes?: string[];
  result?: ResultFilter;
  /** The actor must match `include` (when given) and must not match `exclude` (allow-listed accounts). */
  actor?: { include?: ActorCriteria; exclude?: ActorCriteria };
  /** Some resource must match: its `resourceId` in `ids` (exact, case-insensitive) and its display name matching `namePatterns` (`*` wildcards), each when given. */
  resource?: { ids?: string[]; namePatterns?: string[] };
  /** Some resource must have a modified property matching any of these. */
  modifiedProperties?: ModifiedPropertyCriteria[];
  /** Advanced condition in OData `$filter` syntax over the event's Graph fields (docs/rules.md, "Rule language"). */
  filter?: string;
  threshold?: ThresholdSpec;
  /** Channel ids; `default` means every channel configured as a default. */
  channels: string[];
  description?: string;
  runbookUrl?: string;
  owner?: string;
  tags?: string[];
  /** After an alert of this rule (per group key), further matches within this many minutes are recorded but not sent again. */
  realertInMinutes?: number;
  /** The digest policy of this rule's alerts (see {@link GroupWindowSetting}); absent means `auto`. */
  groupWindow?: GroupWindowSetting;
  /**
   * Global rules (stored in the home tenant's partition) only: tenant ids, lower case, the rule does not apply
   * to (src/rules/tenantRules.ts). Meaningless on a tenant's own rule, so the admin API refuses it there.
   */
  excludeTenants?: string[];
  /** Set on rules that come from the built-in pack: `pack@<version>`; an admin edit clears it. */
  origin?: string;
}
