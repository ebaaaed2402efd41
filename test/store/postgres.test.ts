import { afterAll, beforeAll, describe } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { createPostgresTestSchema, emptyStore, POSTGRES_SKIP_NOTICE, skipPostgres } from '../helpers/stores.js';
import { storeContract } from './store.contract.js';

const skip = skipPostgres();

describe.skipIf(skip)(skip ? `postgres store (${POSTGRES_SKIP_NOTICE})` : 'postgres store', () => {
  // One schema for this file, emptied before each test; dropped at the end.
  let schema: Awaited<ReturnType<typeof createPostgresTestSchema>>;
  beforeAll(async () => {
    schema = await createPostgresTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  storeContract({
    async open() {
      const store = await openStore(schema.url, { maxConnections: 10 });
      await store.migrate();
      await emptyStore(store);
      return store;
    },
    close: (store) => store.close(),
  });
});
