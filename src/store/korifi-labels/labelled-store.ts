import type { Store, StoreSession, StoreUser } from '../port.ts';
import { LabellingSession } from './labelling-session.ts';

/** A store whose every session sets Korifi's webhook labels on the objects it writes. */
export function withKorifiLabels(store: Store, now?: () => Date): Store {
  const wrap = (session: StoreSession) => new LabellingSession(session, now);
  return {
    as: (user: StoreUser) => wrap(store.as(user)),
    privileged: () => wrap(store.privileged()),
    close: () => store.close(),
  };
}
