//! The notifications service in-process: events in through the platform's
//! consumer, emails out to a mail folder (or a real SMTP server when
//! `TEST_SMTP_URL` is set), and ListNotifications through its generated
//! client. On SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod accounts;
mod emails;
mod helpers;
mod listing;
mod operations;
mod smtp;
