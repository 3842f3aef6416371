//! The life of a shipment, never backwards:
//! PENDING -> PACKED -> SHIPPED -> DELIVERED, and PENDING or PACKED ->
//! CANCELLED. [`Shipment::apply`] decides what one asked-for transition
//! does to a shipment: change it, leave it as it is (the same transition
//! asked for again, so retries are safe), or refuse (its status does not
//! allow it).

use time::OffsetDateTime;

use super::{CancelReason, Dispatch, Shipment};

platform::stored_enum!(
    /// Where a shipment is in its life.
    pub Status {
        /// Created from a confirmed order; waiting to be packed.
        Pending => "pending",
        /// Packed; waiting for the carrier.
        Packed => "packed",
        /// Handed to the carrier.
        Shipped => "shipped",
        /// Delivered. Final.
        Delivered => "delivered",
        /// Its order was cancelled before it shipped. Final.
        Cancelled => "cancelled",
    }
);

/// A change asked of a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Pack,
    Ship(Dispatch),
    Deliver,
    Cancel(CancelReason),
}

impl Transition {
    /// The status the transition leads to.
    pub fn target(&self) -> Status {
        match self {
            Transition::Pack => Status::Packed,
            Transition::Ship(_) => Status::Shipped,
            Transition::Deliver => Status::Delivered,
            Transition::Cancel(_) => Status::Cancelled,
        }
    }

    /// The status a shipment must be in for the transition to change it.
    fn allowed_from(&self, status: Status) -> bool {
        matches!(
            (self, status),
            (Transition::Pack | Transition::Cancel(_), Status::Pending)
                | (Transition::Ship(_) | Transition::Cancel(_), Status::Packed)
                | (Transition::Deliver, Status::Shipped)
        )
    }
}

/// What a transition does to a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The shipment as it becomes.
    Changed(Box<Shipment>),
    /// It is there already: nothing to do.
    Unchanged,
}

/// The shipment's status does not allow the transition (or, shipped
/// already, with another carrier or tracking number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the shipment is {}; it cannot be {}", .status.as_str(), .asked.as_str())]
pub struct Refused {
    /// The shipment's status.
    pub status: Status,
    /// The status asked for.
    pub asked: Status,
}

impl Shipment {
    /// What `transition`, asked for `now`, does to this shipment.
    pub fn apply(&self, transition: &Transition, now: OffsetDateTime) -> Result<Change, Refused> {
        let target = transition.target();
        let refused = Refused {
            status: self.status,
            asked: target,
        };
        if self.status == target {
            // Shipping again is a retry only with the same parcel details:
            // once it has left, another carrier is a different request.
            return match transition {
                Transition::Ship(dispatch) if self.dispatch.as_ref() != Some(dispatch) => {
                    Err(refused)
                }
                _ => Ok(Change::Unchanged),
            };
        }
        if !transition.allowed_from(self.status) {
            return Err(refused);
        }
        let mut next = self.clone();
        next.status = target;
        next.updated_at = now;
        match transition {
            Transition::Pack => next.packed_at = Some(now),
            Transition::Ship(dispatch) => {
                next.dispatch = Some(dispatch.clone());
                next.shipped_at = Some(now);
            }
            Transition::Deliver => next.delivered_at = Some(now),
            Transition::Cancel(reason) => {
                next.cancelled_at = Some(now);
                next.cancel_reason = reason.to_string();
            }
        }
        Ok(Change::Changed(Box::new(next)))
    }

    /// The step the demo mode takes next, if the shipment has one.
    pub fn demo_step(&self, tracking: impl FnOnce() -> Dispatch) -> Option<Transition> {
        match self.status {
            Status::Pending => Some(Transition::Pack),
            Status::Packed => Some(Transition::Ship(tracking())),
            Status::Shipped => Some(Transition::Deliver),
            Status::Delivered | Status::Cancelled => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, macros::datetime};

    use super::*;
    use crate::domain::{
        Address, CancelReason, Carrier, NewShipment, OrderId, TrackingNumber, UserId,
    };

    const T0: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    fn dispatch(carrier: &str, tracking: &str) -> Dispatch {
        Dispatch {
            carrier: Carrier::parse(carrier).expect("a carrier"),
            tracking_number: TrackingNumber::parse(tracking).expect("a tracking number"),
        }
    }

    fn shipment_in(status: Status) -> Shipment {
        let mut shipment = NewShipment {
            order_id: OrderId::generate(),
            user_id: UserId::parse("user-1").expect("a user id"),
            lines: vec![],
            address: Address::default(),
        }
        .into_shipment(T0);
        shipment.status = status;
        if matches!(status, Status::Shipped | Status::Delivered) {
            shipment.dispatch = Some(dispatch("DHL", "1Z-1"));
        }
        shipment
    }

    fn every_transition() -> [Transition; 4] {
        [
            Transition::Pack,
            Transition::Ship(dispatch("DHL", "1Z-1")),
            Transition::Deliver,
            Transition::Cancel(CancelReason::parse("changed my mind").expect("a reason")),
        ]
    }

    /// What each transition does from each status: `Some(true)` changes
    /// it, `Some(false)` leaves it (asked again), `None` is refused.
    #[test]
    fn each_status_allows_only_its_next_steps() {
        use Status::{Cancelled, Delivered, Packed, Pending, Shipped};
        let table: [(Status, [Option<bool>; 4]); 5] = [
            //          pack         ship         deliver      cancel
            (Pending, [Some(true), None, None, Some(true)]),
            (Packed, [Some(false), Some(true), None, Some(true)]),
            (Shipped, [None, Some(false), Some(true), None]),
            (Delivered, [None, None, Some(false), None]),
            (Cancelled, [None, None, None, Some(false)]),
        ];
        for (status, outcomes) in table {
            let shipment = shipment_in(status);
            for (transition, expected) in every_transition().iter().zip(outcomes) {
                let outcome = shipment.apply(transition, T0 + Duration::hours(1));
                let got = match outcome {
                    Ok(Change::Changed(_)) => Some(true),
                    Ok(Change::Unchanged) => Some(false),
                    Err(refused) => {
                        assert_eq!(refused.status, status);
                        None
                    }
                };
                assert_eq!(got, expected, "{transition:?} from {}", status.as_str());
            }
        }
    }

    #[test]
    fn a_change_sets_the_status_its_time_and_the_update_time() {
        let later = T0 + Duration::hours(2);
        let Ok(Change::Changed(packed)) =
            shipment_in(Status::Pending).apply(&Transition::Pack, later)
        else {
            panic!("a pending shipment is packed");
        };
        assert_eq!(packed.status, Status::Packed);
        assert_eq!(packed.packed_at, Some(later));
        assert_eq!(packed.updated_at, later);
        assert_eq!(packed.created_at, T0);

        let Ok(Change::Changed(shipped)) =
            packed.apply(&Transition::Ship(dispatch("UPS", "A 1")), later)
        else {
            panic!("a packed shipment is shipped");
        };
        assert_eq!(shipped.dispatch, Some(dispatch("UPS", "A 1")));
        assert_eq!(shipped.shipped_at, Some(later));
    }

    #[test]
    fn a_cancellation_keeps_its_reason_and_a_second_one_changes_nothing() {
        let reason = CancelReason::parse(" changed my mind ").expect("a reason");
        let Ok(Change::Changed(cancelled)) =
            shipment_in(Status::Packed).apply(&Transition::Cancel(reason), T0)
        else {
            panic!("a packed shipment is cancelled");
        };
        assert_eq!(cancelled.cancel_reason, "changed my mind");
        assert_eq!(cancelled.cancelled_at, Some(T0));
        let again = CancelReason::parse("another reason").expect("a reason");
        assert_eq!(
            cancelled.apply(&Transition::Cancel(again), T0),
            Ok(Change::Unchanged)
        );
    }

    #[test]
    fn shipping_again_with_other_details_is_refused() {
        let shipped = shipment_in(Status::Shipped);
        assert_eq!(
            shipped.apply(&Transition::Ship(dispatch("DHL", "1Z-1")), T0),
            Ok(Change::Unchanged)
        );
        for other in [dispatch("UPS", "1Z-1"), dispatch("DHL", "1Z-2")] {
            assert_eq!(
                shipped.apply(&Transition::Ship(other), T0),
                Err(Refused {
                    status: Status::Shipped,
                    asked: Status::Shipped
                })
            );
        }
    }

    #[test]
    fn the_demo_walks_a_shipment_to_delivered_and_stops() {
        let mut shipment = shipment_in(Status::Pending);
        let mut walked = vec![];
        while let Some(step) = shipment.demo_step(|| dispatch("Demo Post", "DEMO-1")) {
            let Ok(Change::Changed(next)) = shipment.apply(&step, T0) else {
                panic!("every demo step changes the shipment");
            };
            walked.push(next.status);
            shipment = *next;
        }
        assert_eq!(walked, [Status::Packed, Status::Shipped, Status::Delivered]);
        assert_eq!(
            shipment_in(Status::Cancelled).demo_step(|| unreachable!()),
            None
        );
    }
}
