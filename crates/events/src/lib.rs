//! EventBridge as Baton serves it: the event pattern language ([`pattern`]) and an index of
//! many patterns ([`index`]); buses, rules and targets kept as the store's service resources
//! ([`model`]); the API on Baton's port ([`api`]); and delivery of matched events to state
//! machines, buses and API destinations ([`deliver`]); API destinations and their connections
//! ([`destinations`]); schedule expressions, for scheduled rules and EventBridge Scheduler
//! ([`expr`]).

pub mod api;
pub mod deliver;
pub mod destinations;
pub mod expr;
pub mod index;
pub mod model;
pub mod pattern;
pub mod transform;

pub use api::{EventsService, TARGET_PREFIX};
pub use deliver::{Deliveries, Delivery, ScheduleContext};
