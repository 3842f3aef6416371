//! The catalog's rules, free of transport and storage: validated values
//! (a value of these types is valid by construction), products and their
//! updates, their images, stock lines and reservations.
//!
//! Constructors return `Err(description)`; the API layer names the field.

pub mod image;
pub mod inventory;
pub mod product;
pub mod values;

pub use self::image::{AltText, ImageId, ImageSize, ProductImage};
pub use inventory::{Reservation, ReservationId, ReservationStatus, Stock, StockLine, StockLines};
pub use product::{ListQuery, NewProduct, Product, ProductPatch};
pub use values::*;
