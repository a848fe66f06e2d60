//! `uniffi-bindgen`: generates the Kotlin, Swift and Python bindings (see scripts/gen-bindings.sh).

fn main() {
    uniffi::uniffi_bindgen_main()
}
