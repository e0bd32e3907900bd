// This file was generated with `cornucopia`. Do not modify.

pub mod consume;
pub mod dead_letters;
pub mod dispatch;
pub mod maintenance;
pub mod schedules;
pub mod transports;
