//! What the consumers read from a delivery's properties and headers: the
//! event id, how many times the broker delivered it (`x-delivery-count`,
//! set by quorum queues) and why the broker dead-lettered it (`x-death`).

use lapin::{message::Delivery, types::AMQPValue};

fn header<'a>(delivery: &'a Delivery, name: &str) -> Option<&'a AMQPValue> {
    delivery.properties.headers().as_ref()?.inner().get(name)
}

pub(super) fn message_id(delivery: &Delivery) -> Option<String> {
    delivery
        .properties
        .message_id()
        .as_ref()
        .map(|id| id.as_str().to_owned())
        .filter(|id| !id.is_empty())
}

/// How many times the broker delivered this message before: quorum queues
/// count returns in `x-delivery-count` (absent on the first delivery).
pub(super) fn delivery_count(delivery: &Delivery) -> i32 {
    header(delivery, "x-delivery-count")
        .and_then(integer)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0)
}

fn integer(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::ShortShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongLongInt(n) => Some(*n),
        _ => None,
    }
}

/// Why the broker dead-lettered a message, from its `x-death` header.
pub(super) fn death_reason(delivery: &Delivery) -> String {
    let reason = header(delivery, "x-death")
        .and_then(|deaths| match deaths {
            AMQPValue::FieldArray(deaths) => deaths.as_slice().first(),
            _ => None,
        })
        .and_then(|death| match death {
            AMQPValue::FieldTable(death) => death.inner().get("reason"),
            _ => None,
        })
        .and_then(|reason| match reason {
            AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
            AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
            _ => None,
        });
    match reason.as_deref() {
        None | Some("delivery_limit") => {
            "delivery limit reached (dead-lettered by the broker)".to_owned()
        }
        Some(other) => format!("dead-lettered by the broker: {other}"),
    }
}
