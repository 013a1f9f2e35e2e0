//! EventBridge as Baton serves it: buses, rules and targets kept as the store's service
//! resources ([`model`]); the API on Baton's port ([`api`]); delivery of matched events to
//! state machines, buses, API destinations and the other targets ([`deliver`]); API
//! destinations and their connections ([`destinations`]); targets' input ([`transform`]). The
//! event pattern language ([`pattern`], [`index`]) and schedule expressions ([`expr`]) are
//! `baton-event-patterns`', re-exported here.

pub mod api;
pub mod deliver;
pub mod destinations;
pub mod model;
pub mod transform;

// The languages live in their own crate; their paths here stay as they were.
pub use baton_event_patterns::{expr, index, pattern};

pub use api::{EventsService, TARGET_PREFIX};
pub use deliver::{Deliveries, Delivery, ScheduleContext};
