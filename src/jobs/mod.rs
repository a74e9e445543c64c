//! Background work every instance runs on a timer.

pub mod purge;
