import { AdaptiveCard, HostConfig, OpenUrlAction, SerializationContext, Versions } from 'adaptivecards';
import { asDisplayed } from './cardText';

/*
 * Renders a Teams card with the official Adaptive Cards JavaScript renderer. No Markdown processor is
 * installed, so every text is rendered as plain text (the renderer's innerText path): Teams would render
 * Markdown in app-made TextBlocks, so their backslash escapes are removed first to show what Teams shows.
 * Event data is in TextRuns, which Teams does not parse either. The renderer styles through the CSSOM
 * (element.style.x = …), which a `style-src 'self'` Content-Security-Policy allows.
 */

const hostConfig = new HostConfig({
  fontFamily: "'Segoe UI', system-ui, -apple-system, sans-serif",
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 12 },
  separator: { lineThickness: 1, lineColor: '#E0E0E0' },
  fontSizes: { small: 12, default: 14, medium: 16, large: 20, extraLarge: 24 },
  fontWeights: { lighter: 300, default: 400, bolder: 600 },
  supportsInteractivity: true,
  containerStyles: {
    default: {
      backgroundColor: '#FFFFFF',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        attention: { default: '#C4314B' },
        warning: { default: '#835C00' },
        good: { default: '#237B4B' },
        accent: { default: '#4F52B2' },
      },
    },
    emphasis: { backgroundColor: '#F5F5F5', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
    accent: { backgroundColor: '#E8EBFA', foregroundColors: { default: { default: '#242424', subtle: '#424242' } } },
    attention: {
      backgroundColor: '#FDE7E9',
      foregroundColors: { default: { default: '#242424', subtle: '#424242' }, attention: { default: '#A4262C' } },
    },
    warning: { backgroundColor: '#FFF4CE', foregroundColors: { default: { default: '#242424', subtle: '#424242' } } },
    good: { backgroundColor: '#DFF6DD', foregroundColors: { default: { default: '#242424', subtle: '#424242' } } },
  },
  actions: {
    maxActions: 6,
    spacing: 'default',
    buttonSpacing: 8,
    showCard: { actionMode: 'inline', inlineTopMargin: 8 },
    actionsOrientation: 'horizontal',
    actionAlignment: 'left',
  },
});

/** Renders one card; `onOpenUrl` receives the URL of an Action.OpenUrl instead of navigating. */
export function renderCard(
  content: unknown,
  onOpenUrl: (url: string) => void,
): { element: HTMLElement; warnings: string[] } {
  const card = new AdaptiveCard();
  card.hostConfig = hostConfig;
  card.onExecuteAction = (action) => {
    if (action instanceof OpenUrlAction && action.url) onOpenUrl(action.url);
  };
  const context = new SerializationContext(Versions.v1_5);
  card.parse(asDisplayed(content), context);
  const warnings = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
  const element = card.render();
  if (!element) throw new Error('The Adaptive Cards renderer produced nothing for this card');
  return { element, warnings };
}
