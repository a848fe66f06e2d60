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
//
// On Linux (CI, scripts/swift-linux.sh) the C module is a system library instead: the script
// writes .linux/OfflineCashFFI/{module.modulemap, OfflineCashFFI.h} from the generated
// bindings and links the host-built liboffline_cash_ffi.so; the Apple-only shells (CoreNFC,
// CryptoKit, Keychain) compile to nothing there (#if canImport), the rest is the same package.
import PackageDescription

#if os(Linux)
let ffiTarget: Target = .systemLibrary(name: "OfflineCashFFI", path: ".linux/OfflineCashFFI")
#else
let ffiTarget: Target = .binaryTarget(
    name: "OfflineCashFFI",
    path: "OfflineCashFFI.xcframework"
)
#endif

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
        ffiTarget,
        .target(
            name: "OfflineCash",
            dependencies: ["OfflineCashFFI"],
            path: "Sources/OfflineCash",
            linkerSettings: [
                // The Rust standard library and getrandom on Apple platforms.
                .linkedFramework("Security", .when(platforms: [.iOS, .macOS])),
                .linkedFramework("CoreFoundation", .when(platforms: [.iOS, .macOS])),
                .linkedFramework("SystemConfiguration", .when(platforms: [.iOS, .macOS])),
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
