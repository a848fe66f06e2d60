#!/usr/bin/env python3
"""Checks of the iOS package that run without a Swift toolchain (Linux CI).

Nothing here compiles Swift. It catches the mistakes that would otherwise only show on a Mac:

1. bindings: every name the hand-written Swift (Sources/OfflineCash, Tests/OfflineCashTests)
   uses from the generated bindings exists there with the same argument labels:
   - `Type.member(label:)` written with a generated type name (static funcs, enum cases, inits);
   - `self.member(label:)` inside `extension GeneratedType`;
   - `.member(label:)` calls whose member name the bindings declare (labels must match one of
     its declarations);
   - conformances to a generated protocol (`Signer`, `KeyWrapper`, ...) implement every
     requirement with exactly the generated signature;
   - extended generated types exist; the members docs/API.md promises to iOS exist.
   Only the Apple-only files (first `#if` on iOS, CoreNFC, CryptoKit, Security, DeviceCheck,
   LocalAuthentication) are checked so: the rest is compiled on Linux by swift-linux.sh.
2. plists: ios/Config/*.plist and *.entitlements parse (plistlib) and hold our AID and keys.
3. layout: Package.swift, build-xcframework.sh and uniffi.toml agree on names and paths.

The Swift that compiles on Linux is compiled and tested for real by ios/scripts/swift-linux.sh;
check 1 still matters for the Apple-only shells (Core NFC, CryptoKit, Keychain), which only a
Mac compiles.

Usage: ios/scripts/check.py [--generated PATH_TO_OfflineCashFFI.swift]
(default bindings/generated/swift/OfflineCashFFI.swift: run scripts/gen-bindings.sh first).
Exit status 1 with one line per problem when anything is off.
"""

from __future__ import annotations

import argparse
import plistlib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

IOS = Path(__file__).resolve().parent.parent
ROOT = IOS.parent
AID = "F04F4341534801"

# What docs/API.md and ios/README.md promise iOS code can call (Type.member(labels)).
PROMISED = [
    "Signer.publicKey()",
    "Signer.sign(message:)",
    "KeyWrapper.wrap(secret:)",
    "KeyWrapper.unwrap(wrapped:)",
    "checkSigner(signer:)",
    "ReaderSession.start()",
    "ReaderSession.handleResponse(response:)",
    "ReaderSession.torn()",
    "CardSession.processApdu(apdu:)",
    "CardSession.deactivated()",
]


@dataclass
class Member:
    name: str
    labels: tuple[str, ...]
    signature: str  # whitespace-free "func name(params)throws->Ret" (requirements only)


@dataclass
class Decl:
    kind: str  # protocol, class, enum, struct, extension
    members: list[Member] = field(default_factory=list)


PARAMS_RE = re.compile(r"\((.*)\)")


def split_params(params: str) -> list[str]:
    """Splits a parameter list at top-level commas."""
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch in "([<":
            depth += 1
        elif ch in ")]>":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return out


def labels_of_params(params: str) -> tuple[str, ...]:
    """`a: Int, _ b: Data` -> ("a", "_")."""
    labels = []
    for p in split_params(params):
        head = p.split(":", 1)[0].strip()
        labels.append(head.split()[0] if head else "_")
    return tuple(labels)


def labels_of_args(args: str) -> tuple[str, ...]:
    """Call arguments `a: x, y` -> ("a", "_")."""
    labels = []
    for a in split_params(args):
        m = re.match(r"\s*(\w+)\s*:(?!:)", a)
        labels.append(m.group(1) if m else "_")
    return tuple(labels)


def matching_paren(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_generated(text: str) -> tuple[dict[str, Decl], list[Member]]:
    """Public declarations of the generated Swift: types with members, and free functions."""
    types: dict[str, Decl] = {}
    free: list[Member] = []
    current: str | None = None
    type_re = re.compile(r"^(?:public |open )+(protocol|class|enum|struct)\s+(\w+)")
    ext_re = re.compile(r"^(?:public )?extension\s+(\w+)")
    func_re = re.compile(r"^\s*(?:@\w+\s+)*(?:public |open )?(?:static |class |override |required |convenience )*func\s+(\w+)\s*\(")
    init_re = re.compile(r"^\s*(?:public |open )(?:convenience |required )*init\s*\(")
    case_re = re.compile(r"^\s*case\s+(\w+)\s*(\()?")
    depth = 0
    text = re.sub(r"^(public|open)[ \t]*\n", r"\1 ", join_parens(strip_comments(text)), flags=re.M)
    for raw in text.splitlines():
        line = raw.rstrip()
        at_depth = depth
        depth += line.count("{") - line.count("}")
        if at_depth == 0:
            current = None
            if m := type_re.match(line):
                current = m.group(2)
                types.setdefault(current, Decl(m.group(1))).kind = m.group(1)
            elif m := ext_re.match(line):
                current = m.group(1)
                types.setdefault(current, Decl("extension"))
            elif fm := re.match(r"^(?:public |open )func\s+(\w+)\s*\(", line):
                start = line.index("(", fm.start(1))
                end = matching_paren(line, start)
                name = fm.group(1)
                if not name.startswith(("FfiConverter", "uniffi")):
                    free.append(Member(name, labels_of_params(line[start + 1 : end]), ""))
            if current is not None and depth <= 0:
                current = None  # a one-line declaration
            continue
        if current is None or at_depth != 1:
            continue
        decl = types[current]
        if (m := func_re.match(line)) and "(" in line:
            if re.match(r"^\s*(private|fileprivate|internal)\b", line):
                continue
            start = line.index("(", m.start(1))
            end = matching_paren(line, start)
            params = line[start + 1 : end] if end > 0 else ""
            sig = re.sub(r"\s+", "", line.strip().rstrip("{"))
            sig = re.sub(r"^(public|open)", "", sig)
            decl.members.append(Member(m.group(1), labels_of_params(params), sig))
        elif pm := re.match(r"^\s*(?:public |open )(?:static )?(?:let|var)\s+(\w+)", line):
            decl.members.append(Member(pm.group(1), ("<property>",), ""))
        elif init_re.match(line):
            start = line.index("(")
            end = matching_paren(line, start)
            decl.members.append(Member("init", labels_of_params(line[start + 1 : end]), ""))
        elif decl.kind == "enum" and (m := case_re.match(line)):
            labels: tuple[str, ...] = ()
            if m.group(2):
                start = line.index("(", m.end(1))
                end = matching_paren(line, start)
                labels = labels_of_params(line[start + 1 : end]) if end > 0 else ()
            decl.members.append(Member(m.group(1), labels, ""))
    return types, free


def join_parens(text: str) -> str:
    """Puts every parenthesised list on one line (multi-line parameter lists, enum cases)."""
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        out.append(" " if ch == "\n" and depth > 0 else ch)
    return "".join(out)


TOKENS_RE = re.compile(r'"""(?:.|\n)*?"""|"(?:\\.|[^"\\\n])*"|/\*(?:.|\n)*?\*/|//[^\n]*')


def strip_comments(text: str) -> str:
    """Removes comments and empties string literals, in one left-to-right pass (so that
    `"http://…"` is a string, not a comment)."""

    def keep(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok.startswith("/"):
            return "\n" * tok.count("\n")
        return '""'

    return TOKENS_RE.sub(keep, text)


def calls(text: str, pattern: str):
    """Yields (match, labels) for `pattern` followed by an argument list."""
    for m in re.finditer(pattern, text):
        open_at = m.end() - 1
        close = matching_paren(text, open_at)
        if close < 0:
            continue
        yield m, labels_of_args(text[open_at + 1 : close])


def has_member(decl: Decl | None, name: str, labels: tuple[str, ...]) -> bool:
    if decl is None:
        return False
    return any(mem.name == name and mem.labels == labels for mem in decl.members)


def fmt(name: str, labels: tuple[str, ...]) -> str:
    return f"{name}({''.join(label + ':' for label in labels)})"


def check_bindings(generated: Path, sources: list[Path], problems: list[str]) -> None:
    types, free = parse_generated(generated.read_text())
    if not types:
        problems.append(f"{generated}: no public declarations found (stripped library?)")
        return
    by_name: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for tname, decl in types.items():
        for mem in decl.members:
            by_name.setdefault(mem.name, []).append((tname, mem.labels))
    for mem in free:
        by_name.setdefault(mem.name, []).append(("", mem.labels))

    for promise in PROMISED:
        m = re.match(r"(?:(\w+)\.)?(\w+)\((.*)\)", promise)
        assert m
        tname, name = m.group(1), m.group(2)
        labels = tuple(x for x in m.group(3).split(":") if x)
        ok = (has_member(types.get(tname), name, labels) if tname
              else any(f.name == name and f.labels == labels for f in free))
        if not ok:
            problems.append(f"bindings: promised {promise} is not in {generated.name}")

    own_types: set[str] = set()
    own_members: dict[str, set[tuple[str, ...]]] = {}
    texts = {}
    for src in sources:
        texts[src] = strip_comments(src.read_text())
        own_types |= set(re.findall(r"\b(?:class|struct|enum|protocol|actor)\s+(\w+)", texts[src]))
        for m in re.finditer(r"\b(?:case|func)\s+(\w+)\s*(\()?", texts[src]):
            labels: tuple[str, ...] = ()
            if m.group(2):
                close = matching_paren(texts[src], m.end() - 1)
                labels = labels_of_params(texts[src][m.end() : close]) if close > 0 else ()
            own_members.setdefault(m.group(1), set()).add(labels)

    for src, text in texts.items():
        rel = src.relative_to(IOS)
        # Extensions of generated types, and self.member(...) inside them.
        for m in re.finditer(r"\bextension\s+(\w+)\s*(?::[^{]*)?\{", text):
            tname = m.group(1)
            if tname in own_types:
                continue
            if tname not in types:
                # Apple or Swift types are extended with a `// not bindings` marker-free rule:
                # only names that look like ours (no NS/NFC/SecureEnclave prefix) are checked.
                if not re.match(r"^(NS|NFC|Sec|CF|Data|String|Array|Dictionary|Result)", tname):
                    problems.append(f"{rel}: extension of {tname}, which the bindings do not declare")
                continue
            body_end = matching_brace(text, m.end() - 1)
            body = text[m.end() : body_end]
            for cm, labels in calls(body, r"\bself\.(\w+)\s*\("):
                name = cm.group(1)
                if not has_member(types[tname], name, labels):
                    problems.append(f"{rel}: {tname}.{fmt(name, labels)} is not in the bindings")
        # Qualified Type.member(...) with a generated type.
        for cm, labels in calls(text, r"\b([A-Z]\w*)\.(\w+)\s*\("):
            tname, name = cm.group(1), cm.group(2)
            if tname in types and tname not in own_types:
                if not has_member(types[tname], name, labels):
                    problems.append(f"{rel}: {tname}.{fmt(name, labels)} is not in the bindings")
        # GeneratedType(label:) initialisers (records: every field, in order).
        for cm, labels in calls(text, r"(?<![\w.])([A-Z]\w*)\s*\("):
            tname = cm.group(1)
            if tname in types and tname not in own_types and types[tname].kind in ("struct", "class"):
                if not has_member(types[tname], "init", labels):
                    problems.append(f"{rel}: {fmt(tname, labels)} is not an initialiser in the bindings")
        # GeneratedType.name without a call: an enum case (e.g. in a pattern) or a static member.
        for cm in re.finditer(r"\b([A-Z]\w*)\.([A-Za-z_]\w*)\b(?!\s*\()", text):
            tname, name = cm.group(1), cm.group(2)
            if tname in types and tname not in own_types and name not in ("self", "Type"):
                if not any(mem.name == name for mem in types[tname].members):
                    problems.append(f"{rel}: {tname}.{name} is not in the bindings")
        # Unqualified free functions of the bindings, e.g. checkSigner(signer:).
        for cm, labels in calls(text, r"(?<![\w.])(\w+)\s*\("):
            name = cm.group(1)
            cands = [lab for (t, lab) in by_name.get(name, []) if t == ""]
            if cands and labels not in cands:
                problems.append(f"{rel}: {fmt(name, labels)}: the bindings declare {name} with "
                                + " or ".join(fmt(name, c) for c in cands))
        # .member(...) calls whose name the bindings declare: labels must match one of them.
        for cm, labels in calls(text, r"\.(\w+)\s*\("):
            name = cm.group(1)
            cands = by_name.get(name)
            line_start = text.rfind("\n", 0, cm.start()) + 1
            if re.search(r"\bcase\b", text[line_start : cm.start()]):
                continue  # a pattern: labels may be omitted
            if name in APPLE_NAMES or labels in own_members.get(name, set()):
                continue  # an Apple API of the same name, or one of ours with these labels
            if cands and labels not in [lab for (_, lab) in cands]:
                problems.append(f"{rel}: .{fmt(name, labels)}: the bindings declare {name} with "
                                + " or ".join(fmt(name, c) for (_, c) in cands))
        # Conformances to generated protocols: every requirement, exact signature.
        for m in re.finditer(r"\b(?:class|struct|actor|extension)\s+(\w+)\s*:\s*([^{]+)\{", text):
            flat = re.sub(r"\s+", "", re.sub(r"\b(?:public|open|final)\s+", "", text))
            for parent in [p.strip() for p in m.group(2).split(",")]:
                decl = types.get(parent)
                if decl is None or decl.kind != "protocol" or parent in own_types:
                    continue
                for req in decl.members:
                    if req.signature and req.signature not in flat:
                        problems.append(f"{rel}: {m.group(1)} conforms to {parent} but lacks "
                                        f"`{req.signature}` exactly as generated")


# Member names the bindings share with Apple APIs used in our sources (their labels differ).
APPLE_NAMES = {"init", "append", "load", "add", "delete", "begin", "invalidate", "respond",
               "signature", "seal", "open", "connect", "sendCommand", "restartPolling",
               "received", "run", "stop", "data"}


def matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


APPLE_ONLY = re.compile(r"^#if\b.*\b(os\(iOS\)|os\(macOS\)\s*$|canImport\((CoreNFC|CryptoKit|Security|LocalAuthentication|DeviceCheck)\))", re.M)


def apple_only(path: Path) -> bool:
    """Whether a Swift file is compiled only on Apple platforms (its first #if says so)."""
    first_if = re.search(r"^#if\b.*$", path.read_text(), re.M)
    return bool(first_if and APPLE_ONLY.match(first_if.group(0)))


def check_plists(problems: list[str]) -> None:
    config = IOS / "Config"
    info_path = config / "NFC-Info.plist"
    ent_path, hce_path = config / "OfflineCash.entitlements", config / "OfflineCash-HCE.entitlements"
    loaded = {}
    for path in (info_path, ent_path, hce_path):
        try:
            with path.open("rb") as f:
                loaded[path] = plistlib.load(f)
        except Exception as e:  # noqa: BLE001 - any parse failure is the finding
            problems.append(f"{path.relative_to(IOS)}: not a valid plist: {e}")
    info, ent, hce = loaded.get(info_path), loaded.get(ent_path), loaded.get(hce_path)
    if isinstance(info, dict):
        if not str(info.get("NFCReaderUsageDescription", "")).strip():
            problems.append("NFC-Info.plist: NFCReaderUsageDescription missing or empty")
        for key in ("com.apple.developer.nfc.readersession.iso7816.select-identifiers",
                    "com.apple.developer.nfc.hce.iso7816.select-identifier-prefixes"):
            if AID not in (info.get(key) or []):
                problems.append(f"NFC-Info.plist: {key} does not list {AID}")
    # The default entitlements are reader-only: HCE is granted per region and use case, and a
    # build that claims it without the grant does not install.
    if isinstance(ent, dict):
        if "TAG" not in (ent.get("com.apple.developer.nfc.readersession.formats") or []):
            problems.append("OfflineCash.entitlements: readersession.formats lacks TAG")
        # App Attest (AppAttestRegistration.swift): without the entitlement attestKey fails.
        if ent.get("com.apple.developer.devicecheck.appattest-environment") not in ("production", "development"):
            problems.append("OfflineCash.entitlements: devicecheck.appattest-environment is not production or development")
        if "DCAppAttestService" not in (IOS / "Sources/OfflineCash/AppAttestRegistration.swift").read_text():
            problems.append("AppAttestRegistration.swift: does not use DCAppAttestService")
        for key in ent:
            if key.startswith("com.apple.developer.nfc.hce"):
                problems.append(f"OfflineCash.entitlements: {key} belongs in the HCE add-on only")
    if isinstance(hce, dict):
        if hce.get("com.apple.developer.nfc.hce") is not True:
            problems.append("OfflineCash-HCE.entitlements: com.apple.developer.nfc.hce is not true")
        if AID not in (hce.get("com.apple.developer.nfc.hce.iso7816.select-identifier-prefixes") or []):
            problems.append(f"OfflineCash-HCE.entitlements: hce select-identifier-prefixes lacks {AID}")
    swift_aid = (IOS / "Sources/OfflineCash/OfflineCashNFC.swift").read_text()
    if f'aidHex = "{AID}"' not in swift_aid:
        problems.append(f"OfflineCashNFC.swift: aidHex is not {AID}")
    binding_doc = (ROOT / "docs/nfc-binding.md").read_text()
    if "F0 4F 43 41 53 48 01" not in binding_doc:
        problems.append("docs/nfc-binding.md no longer defines AID F0 4F 43 41 53 48 01")


def check_layout(problems: list[str]) -> Path:
    """Returns the path of the generated Swift file the package expects."""
    package = (IOS / "Package.swift").read_text()
    script = (IOS / "build-xcframework.sh").read_text()
    with (ROOT / "uniffi.toml").open("rb") as f:
        swift_cfg = tomllib.load(f)["crates"]["offline_cash_ffi"]["bindings"]["swift"]
    ffi_module, module = swift_cfg["ffi_module_name"], swift_cfg["module_name"]

    def script_var(name: str) -> str | None:
        m = re.search(rf"^{name}=(\S+)", script, re.M)
        return m.group(1).strip('"') if m else None

    if script_var("FFI_MODULE") != ffi_module:
        problems.append(f"build-xcframework.sh: FFI_MODULE is not uniffi.toml's ffi_module_name {ffi_module}")
    if script_var("XCFRAMEWORK") != "$IOS_DIR/$FFI_MODULE.xcframework":
        problems.append("build-xcframework.sh: XCFRAMEWORK is not $IOS_DIR/$FFI_MODULE.xcframework")
    gen_dir = script_var("GENERATED_SWIFT_DIR") or ""
    if not gen_dir.startswith("$IOS_DIR/"):
        problems.append("build-xcframework.sh: GENERATED_SWIFT_DIR is not under ios/")
    gen_rel = gen_dir.removeprefix("$IOS_DIR/")
    if f'cp "$BUILD/generated/$FFI_MODULE.swift"' not in script:
        problems.append("build-xcframework.sh: does not copy $FFI_MODULE.swift")
    if module != ffi_module:
        problems.append(f"uniffi.toml: module_name {module} != ffi_module_name {ffi_module}: "
                        "the generated Swift file name would differ from what the script copies")
    if 'cp "$BUILD/generated/$FFI_MODULE.modulemap" "$BUILD/headers/module.modulemap"' not in script:
        problems.append("build-xcframework.sh: modulemap is not installed as Headers/module.modulemap")
    for target in ("aarch64-apple-ios", "aarch64-apple-ios-sim", "x86_64-apple-ios",
                   "aarch64-apple-darwin", "x86_64-apple-darwin"):
        if target not in script:
            problems.append(f"build-xcframework.sh: no {target} slice")
    if 'xcodebuild -create-xcframework' not in script or 'uname -s' not in script:
        problems.append("build-xcframework.sh: missing xcodebuild -create-xcframework or the macOS check")

    m = re.search(r'\.binaryTarget\(\s*name:\s*"(\w+)",\s*path:\s*"([^"]+)"', package)
    if not m:
        problems.append("Package.swift: no .binaryTarget(name:path:)")
    else:
        if m.group(1) != ffi_module:
            problems.append(f"Package.swift: binaryTarget {m.group(1)} != C module {ffi_module}")
        if m.group(2) != f"{ffi_module}.xcframework":
            problems.append(f"Package.swift: binaryTarget path {m.group(2)} != {ffi_module}.xcframework")
    t = re.search(r'\.target\(\s*name:\s*"OfflineCash",\s*dependencies:\s*\["(\w+)"\],\s*path:\s*"([^"]+)"', package)
    if not t:
        problems.append('Package.swift: no .target(name: "OfflineCash", dependencies: [..], path: ..)')
    else:
        if t.group(1) != ffi_module:
            problems.append(f"Package.swift: OfflineCash does not depend on {ffi_module}")
        if not gen_rel.startswith(t.group(2) + "/"):
            problems.append(f"Package.swift: generated dir {gen_rel} is outside target path {t.group(2)}")
    if '.library(name: "OfflineCash", targets: ["OfflineCash"])' not in package:
        problems.append("Package.swift: no OfflineCash library product")
    if ".iOS(.v15)" not in package or "IPHONEOS_DEPLOYMENT_TARGET=15.0" not in script:
        problems.append("Package.swift / script: iOS deployment target is not 15.0 in both")
    if ".macOS(.v12)" not in package or "MACOSX_DEPLOYMENT_TARGET=12.0" not in script:
        problems.append("Package.swift / script: macOS deployment target is not 12.0 in both")
    if not (IOS / "Tests/OfflineCashTests").is_dir():
        problems.append("Tests/OfflineCashTests is missing")
    return IOS / gen_rel / f"{ffi_module}.swift"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=Path,
                        default=ROOT / "bindings/generated/swift/OfflineCashFFI.swift")
    args = parser.parse_args()
    problems: list[str] = []
    check_layout(problems)
    check_plists(problems)
    generated: Path = args.generated
    if not generated.is_file():
        problems.append(f"{generated}: missing; run scripts/gen-bindings.sh first")
    else:
        text = generated.read_text()
        with (ROOT / "uniffi.toml").open("rb") as f:
            ffi_module = tomllib.load(f)["crates"]["offline_cash_ffi"]["bindings"]["swift"]["ffi_module_name"]
        if f"import {ffi_module}" not in text:
            problems.append(f"{generated.name}: does not import C module {ffi_module}")
        sources = sorted(p for p in (IOS / "Sources/OfflineCash").rglob("*.swift") if "Generated" not in p.parts)
        sources += sorted((IOS / "Tests").rglob("*.swift"))
        # The Swift that Linux compiles is checked by the compiler (ios/scripts/swift-linux.sh);
        # the names check covers what only a Mac compiles.
        check_bindings(generated, [p for p in sources if apple_only(p)], problems)
    for p in problems:
        print(f"ios check: {p}", file=sys.stderr)
    if problems:
        print(f"ios check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("ios check: bindings symbols, plists and package layout agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
