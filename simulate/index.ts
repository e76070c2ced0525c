// Public surface of the traffic generator (see docs/TRUTH.md).
export { generate, generateSync, resolveOptions, simulationConfig, type SimOptions, type ResolvedOptions } from './engine.ts';
export type { Posting } from './delivery.ts';
export type {
  TruthRecord, TruthSink, ConversationsRecord, ChargesRecord, OptoutEventRecord, OptoutViolationRecord, SubjectRecord, OptoutSource,
} from './truth.ts';
export type { WaitRecord, ResponderClass, Family, WaitKind } from './waits.ts';
export { BusinessCalendar, type CalendarSpec, type CalendarVersion } from './calendar.ts';
export { marketOf, MARKET_NAMES, MARKET_PREFIXES, type MarketKey } from './markets.ts';
export { STOP_KEYWORDS, isStopKeyword } from './texts.ts';
export { DEFAULT_WABAS, AURORA, KETTLE, configFile, type WabaSpec, type PhoneSpec, type TemplateSpec } from './tenants.ts';
export { Poster, type PosterOptions } from './post.ts';
