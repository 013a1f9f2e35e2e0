//! EventBridge's two small languages, as Baton reads them: event patterns ([`pattern`]) and an
//! index that matches an event against many of them at once ([`index`]); and schedule
//! expressions (`at()`, `rate()`, `cron()` in a time zone: [`expr`]), for scheduled rules and
//! EventBridge Scheduler. Nothing here knows of buses, rules or the store.

pub mod expr;
pub mod index;
pub mod pattern;
