//! The demo mode (`--demo-advance`): a background sweep that moves every
//! shipment one step (packed, shipped with "Demo Post", delivered) once it
//! has sat in its status for the configured time, through the same store
//! calls as the warehouse's, so each step publishes its event. Off unless
//! configured; the all-in-one turns it on so a newcomer sees an order
//! delivered.

use std::time::Duration;

use crate::{
    domain::{Carrier, Dispatch, TrackingNumber},
    error::{Error, Result},
    store::Store,
};

/// The carrier the demo ships with.
pub const CARRIER: &str = "Demo Post";

/// A made-up tracking number, `DEMO-` and 8 hex digits.
fn dispatch() -> Result<Dispatch> {
    let tracking = format!("DEMO-{:08X}", rand::random::<u32>());
    let invalid = |e: String| Error::Corrupt(format!("the demo's parcel details: {e}"));
    Ok(Dispatch {
        carrier: Carrier::parse(CARRIER).map_err(invalid)?,
        tracking_number: TrackingNumber::parse(&tracking).map_err(invalid)?,
    })
}

/// Moves up to `limit` shipments idle for `advance` one step; how many.
pub async fn advance(store: &Store, advance: Duration, limit: i64) -> Result<usize> {
    let mut moved = 0;
    for shipment in store.idle_for(advance, limit).await? {
        let demo = dispatch()?;
        let Some(step) = shipment.demo_step(|| demo) else {
            continue;
        };
        match store.transition(&shipment.id, &step).await {
            Ok(_) => moved += 1,
            // An admin (or another replica) moved it meanwhile: its next
            // step waits for the next sweep.
            Err(Error::ShipmentStatus(_) | Error::ShipmentNotFound) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(moved)
}
