import { describe } from 'vitest';
import { openSqliteTestStore } from '../helpers/stores.js';
import type { TestStore } from '../helpers/stores.js';
import { storeContract } from './store.contract.js';

describe('sqlite store (file, WAL)', () => {
  const open = new Map<unknown, TestStore>();
  storeContract({
    async open() {
      const t = await openSqliteTestStore({ file: true });
      open.set(t.store, t);
      return t.store;
    },
    async close(store) {
      await open.get(store)?.close();
      open.delete(store);
    },
  });
});
