//! Background work every instance runs on a timer.

pub mod logout_delivery;
pub mod purge;
