import type { Notifier } from '../../notifiers/notifier';
import { DeliveryError } from '../../shared/errors';
import { errorText } from '../../shared/logger';
import type { ChannelAttempt } from '../../watch/incidents';
import { short } from './watchDeps';

/** Each notifier, wrapped so every send attempt is pushed to `attempts` (everything else is the notifier itself). */
export function observeSends(
  notifiers: ReadonlyMap<string, Notifier>,
  attempts: ChannelAttempt[],
): Map<string, Notifier> {
  return new Map(
    [...notifiers].map(([id, n]) => {
      const watched = Object.create(n, {
        send: {
          value: async (...args: Parameters<Notifier['send']>) => {
            try {
              const receipt = await n.send(...args);
              attempts.push({ channelId: id, ok: true });
              return receipt;
            } catch (err) {
              const status = err instanceof DeliveryError ? err.status : undefined;
              const reason = err instanceof DeliveryError ? `${err.reason}${status ? ` ${status}` : ''}: ` : '';
              attempts.push({
                channelId: id,
                ok: false,
                status,
                error: short(`${reason}${errorText(err).replace(/^DeliveryError: /, '')}`, 300),
              });
              throw err;
            }
          },
        },
      }) as Notifier;
      return [id, watched];
    }),
  );
}
