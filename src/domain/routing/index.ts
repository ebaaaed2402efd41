// The routing engine: rules, owner match, fair rotation, availability, capacity, hot lane, trace.
export * from './types.js';
export {
  checkEligibility,
  activeAwayStatus,
  calendarOf,
  type Eligibility,
  type EligibilityContext,
} from './eligibility.js';
export {
  STRIDE,
  strideFor,
  rotationFloor,
  effectivePass,
  pickByStrategy,
  type RotationCandidate,
  type RotationPick,
} from './rotation.js';
export { routeLead, detectHot, candidateTeams, offerDeadline, whyYou, type WhyYouSummary } from './route-lead.js';
export { repLoadOf, ledgerRowsOf, ledgerVersionsFor, recordOffer, type RoutingBook, type TeamLedger } from './book.js';
