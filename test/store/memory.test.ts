import { describe } from 'vitest';
import { createMemoryStore } from '../../src/store/index.js';
import { storeContract } from './store.contract.js';

describe('memory store', () => {
  storeContract({ open: () => Promise.resolve(createMemoryStore()), close: (store) => store.close() });
});
