// swift-tools-version:5.9
// The Offline Cash iOS package: the Rust core as a static XCFramework plus thin Swift shells
// (Core NFC reader, card session, Secure Enclave signer, Keychain key wrapper).
//
//   OfflineCash (Swift library)
//     ├─ Sources/OfflineCash/Generated/OfflineCashFFI.swift   UniFFI bindings, copied by build-xcframework.sh
//     ├─ Sources/OfflineCash/*.swift                           the thin platform shells
//     └─ depends on OfflineCashFFI (binaryTarget)              OfflineCashFFI.xcframework, C module OfflineCashFFI
//
// Run ./build-xcframework.sh first: it writes both OfflineCashFFI.xcframework and Generated/.
// Names here are checked against the script by scripts/check.py.
import PackageDescription

let package = Package(
    name: "OfflineCash",
    platforms: [
        .iOS(.v15),
        // Only so that `swift test` runs on a Mac host (the XCFramework has a macOS slice).
        .macOS(.v12),
    ],
    products: [
        .library(name: "OfflineCash", targets: ["OfflineCash"]),
    ],
    targets: [
        .binaryTarget(
            name: "OfflineCashFFI",
            path: "OfflineCashFFI.xcframework"
        ),
        .target(
            name: "OfflineCash",
            dependencies: ["OfflineCashFFI"],
            path: "Sources/OfflineCash",
            linkerSettings: [
                // The Rust standard library and getrandom on Apple platforms.
                .linkedFramework("Security"),
                .linkedFramework("CoreFoundation"),
                .linkedFramework("SystemConfiguration"),
                .linkedFramework("CoreNFC", .when(platforms: [.iOS])),
            ]
        ),
        .testTarget(
            name: "OfflineCashTests",
            dependencies: ["OfflineCash"],
            path: "Tests/OfflineCashTests"
        ),
    ]
)
