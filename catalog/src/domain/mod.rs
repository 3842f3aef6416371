//! The catalog's rules, free of transport and storage: validated values
//! (a value of these types is valid by construction), products and their
//! updates, their images, stock lines and reservations, and availability.
//!
//! Constructors return `Err(description)`; the API layer names the field.

pub mod availability;
pub mod image;
pub mod inventory;
pub mod product;
pub mod values;

pub use self::image::{AltText, ImageId, ImageSize, ProductImage};
pub use availability::Availability;
pub use inventory::{
    Reservation, ReservationId, ReservationQuery, ReservationStatus, Stock, StockLine, StockLines,
};
pub use product::{ListQuery, NewProduct, Product, ProductOrder, ProductPatch};
pub use values::*;
