//! A guard for issuer binaries built for a newer x86-64 level than the baseline.
//!
//! The production build for x86-64 servers is `RUSTFLAGS="-C target-cpu=x86-64-v3"` (AVX2,
//! BMI2, FMA…; issuer/README.md, "Building for production"): with it, libcrux's ML-DSA-44
//! verification runs at the speed of hand-written AVX2 code (decision 0018). Such a binary
//! started on a CPU without those features would die of an illegal instruction somewhere
//! later. This check runs first in `main` and names what is missing instead. It cannot help if
//! the CPU faults before `main` (the runtime's start-up code is compiled for the same level).
//! A baseline build checks nothing.

/// The x86-64-v3 features this binary was compiled to use but the CPU lacks (empty on a
/// baseline build, on other architectures, and on a CPU that has them all).
pub fn missing_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut missing = Vec::new();
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    {
        if !std::arch::is_x86_feature_detected!("avx2") {
            missing.push("avx2");
        }
        if !std::arch::is_x86_feature_detected!("bmi2") {
            missing.push("bmi2");
        }
        if !std::arch::is_x86_feature_detected!("fma") {
            missing.push("fma");
        }
    }
    missing
}
