import type { Millis } from '../domain/model.js';

export interface Clock {
  now(): Millis;
}
