import { createRequire } from 'node:module';
import { expect } from 'vitest';

// The package's `lib/` is ESM with extensionless imports (not loadable by Node); its UMD bundle is, with no DOM needed for parsing.
const AC = createRequire(__filename)('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: { message: string }[] };
  };
  SerializationContext: new (version?: unknown) => { eventCount: number; getEventAt(i: number): { message: string } };
  Versions: { v1_4: unknown };
};

/** Parse and validation messages from the official Adaptive Cards SDK (3.0.6) for a card, targeting version 1.4. */
export function adaptiveCardProblems(card: unknown): string[] {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_4);
  parsed.parse(card, context);
  const problems = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
  return [...problems, ...parsed.validateProperties().validationEvents.map((e) => e.message)];
}

/** Fails the test unless the SDK parses every card of a Workflows message (or a bare card) with no error. */
export function expectValidAdaptiveCards(messageOrCard: unknown): void {
  const m = messageOrCard as { type?: string; attachments?: { content: unknown }[] };
  const cards = m?.type === 'message' ? (m.attachments ?? []).map((a) => a.content) : [messageOrCard];
  expect(cards.length).toBeGreaterThan(0);
  for (const card of cards) expect(adaptiveCardProblems(card)).toEqual([]);
}
