//! EventBridge Scheduler as Baton serves it (schedule expressions are `baton_events::expr`'s,
//! shared with scheduled rules): schedules and
//! groups kept as the store's service resources ([`model`]), the API on Baton's port
//! ([`api`]), and the ticker that fires each tick once across restarts and nodes, its
//! invocations made through EventBridge's at-least-once deliveries ([`fire`]).

pub mod api;
pub mod fire;
pub mod model;

pub use api::{Overview, SchedulerService};
pub use fire::{Clock, Ticker};
