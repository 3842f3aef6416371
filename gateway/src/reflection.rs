//! What the gateway's gRPC reflection shows: the contract cut down to what
//! the gateway serves. Reflection answers with whole `.proto` files, and
//! two public services share theirs with internal methods
//! (`InventoryService` has ReserveStock beside the admins' AdjustStock;
//! `PaymentService` has Charge and Refund beside GetPayment), so listing
//! service names is not enough: a client could still describe the service
//! and be shown methods that always answer UNIMPLEMENTED.
//!
//! The rule: a method is shown if and only if the access table has a rule
//! for it (which is also exactly what the gateway routes); a service left
//! without methods is dropped. Messages and enums stay as they are (they
//! are inert, and a routed method may use any of them).

use platform::auth::Policy;
use prost::Message;
use prost_types::FileDescriptorSet;

/// The whole contract, as `contracts` encodes it.
fn contract() -> FileDescriptorSet {
    // Generated at build time from our own protos: it always decodes, and a
    // failure would show in every test as an empty reflection.
    FileDescriptorSet::decode(contracts::FILE_DESCRIPTOR_SET).unwrap_or_default()
}

/// Whether `path` names a method of the contract (internal ones included).
pub fn is_contract_method(path: &str) -> bool {
    contracts::methods::method(path).is_some()
}

/// The contract with only the methods `policy` has a rule for.
pub fn public_contract(policy: &Policy) -> FileDescriptorSet {
    let mut set = contract();
    for file in &mut set.file {
        let package = file.package().to_owned();
        for service in &mut file.service {
            let service_name = format!("{package}.{}", service.name());
            service.method.retain(|method| {
                policy
                    .access(&format!("/{service_name}/{}", method.name()))
                    .is_some()
            });
        }
        file.service.retain(|service| !service.method.is_empty());
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes;

    /// The fully qualified names of the services in `set`.
    fn service_names(set: &FileDescriptorSet) -> Vec<String> {
        set.file
            .iter()
            .flat_map(|file| {
                file.service
                    .iter()
                    .map(|service| format!("{}.{}", file.package(), service.name()))
            })
            .collect()
    }

    #[test]
    fn the_services_listed_are_those_of_the_public_contract() {
        let mut listed = routes::public_services();
        listed.sort_unstable();
        let mut public = service_names(&public_contract(&routes::policy()));
        public.sort();

        assert_eq!(listed, public);
    }

    fn methods_of(set: &FileDescriptorSet, service: &str) -> Vec<String> {
        let mut methods: Vec<String> = set
            .file
            .iter()
            .flat_map(|file| {
                file.service
                    .iter()
                    .filter(|s| format!("{}.{}", file.package(), s.name()) == service)
                    .flat_map(|s| s.method.iter().map(|m| m.name().to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        methods.sort();
        methods
    }

    #[test]
    fn internal_methods_are_cut_from_the_public_contract() {
        let public = public_contract(&routes::policy());

        assert_eq!(
            methods_of(&public, "shop.catalog.v1.InventoryService"),
            ["AdjustStock", "GetStock", "ListReservations"]
        );
        let payments = methods_of(&public, "shop.payments.v1.PaymentService");
        assert!(payments.contains(&"GetPayment".to_owned()), "{payments:?}");
        assert!(!payments.contains(&"Charge".to_owned()), "{payments:?}");
        assert!(!payments.contains(&"Refund".to_owned()), "{payments:?}");
    }

    #[test]
    fn every_shown_method_is_one_the_gateway_routes_and_every_routed_one_is_shown() {
        let policy = routes::policy();
        let public = public_contract(&policy);
        let mut shown: Vec<String> = Vec::new();
        for name in service_names(&public) {
            for method in methods_of(&public, &name) {
                shown.push(format!("/{name}/{method}"));
            }
        }
        let mut routed: Vec<String> = policy.paths().map(str::to_owned).collect();
        shown.sort();
        routed.sort();

        assert_eq!(shown, routed);
    }

    #[test]
    fn a_service_without_routed_methods_is_not_shown() {
        let policy = Policy::new().rule(
            "shop.catalog.v1.CatalogService",
            "GetProduct",
            platform::auth::Access::Public,
        );

        assert_eq!(
            service_names(&public_contract(&policy)),
            ["shop.catalog.v1.CatalogService"]
        );
    }

    #[test]
    fn internal_methods_are_still_known_to_be_the_contracts() {
        assert!(is_contract_method(
            "/shop.payments.v1.PaymentService/Charge"
        ));
        assert!(!is_contract_method(
            "/shop.payments.v1.PaymentService/Steal"
        ));
    }
}
