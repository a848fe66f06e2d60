"""Checks that docs/API.md mentions every public name of the generated Kotlin bindings.

Usage: python3 bindings/tests/api_doc_check.py <generated .kt file> <docs/API.md>

Names extracted from the Kotlin UniFFI generates (so the doc cannot drift from the API):
  types        top-level classes, interfaces and enums, minus UniFFI's own machinery
  variants     `Exception.Variant` for every subclass of a sealed exception class
  entries      every enum entry (e.g. ECDSA_P256)
  members      every backquoted function, method, field and record property
Each must appear in the doc as a whole word. Before checking the real doc it checks that an
empty doc fails, so a broken extractor cannot pass silently.
"""

import re
import sys

# UniFFI runtime types that are in every generated file and are not our API.
MACHINERY = {"RustBuffer", "InternalException", "Disposable", "NoHandle", "ForeignBytes"}
TOP_TYPE = re.compile(r"^(?:public |open |data |enum |sealed )*(?:class|interface|object)\s+(\w+)")
NESTED_CLASS = re.compile(r"^    class (\w+)\(")
ENUM_ENTRY = re.compile(r"^\s+([A-Z][A-Z0-9_]*)\s*[,;]?\s*$")
MEMBER = re.compile(r"\b(?:fun|val|var)\s+`(\w+)`")


def is_api_type(name: str) -> bool:
    return (
        name not in MACHINERY
        and not name.startswith(("Uniffi", "FfiConverter"))
        # <Trait>Impl: the proxy for a Rust-side object of a foreign trait;
        # <Object>Interface: the interface every object class implements.
        and not name.endswith(("Impl", "Interface"))
    )


def public_names(kotlin: str) -> list[str]:
    names: list[str] = []
    block, kind, skip = None, None, False
    for line in kotlin.splitlines():
        if line.startswith("}"):  # end of a top-level declaration
            block, kind, skip = None, None, False
            continue
        if line.startswith(("internal ", "private ")):
            # An internal top-level declaration; a one-liner (`internal const val`) ends here.
            skip = line.rstrip().endswith(("{", "(")) or skip
            continue
        top = TOP_TYPE.match(line)
        if top:
            block = top.group(1)
            kind = "enum" if "enum class" in line else "sealed" if "sealed class" in line else "other"
            skip = not is_api_type(block)
            if not skip:
                names.append(block)
            continue
        if skip or line.strip().startswith(("*", "/*", "//")):
            continue
        if kind == "sealed":
            nested = NESTED_CLASS.match(line)
            if nested:
                names.append(f"{block}.{nested.group(1)}")
        if kind == "enum":
            entry = ENUM_ENTRY.match(line)
            if entry:
                names.append(entry.group(1))
        names.extend(MEMBER.findall(line))
    return sorted(set(names))


def missing_from(doc: str, names: list[str]) -> list[str]:
    return [n for n in names if not re.search(r"(?<![\w.])" + re.escape(n) + r"(?!\w)", doc)]


def main() -> int:
    kotlin_path, doc_path = sys.argv[1], sys.argv[2]
    with open(kotlin_path, encoding="utf-8") as f:
        names = public_names(f.read())
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    # The extractor must find the API we know exists, and an empty doc must fail.
    for known in ("checkSigner", "SoftwareKey", "Signer", "KeyWrapper", "OfflineCashException.Signer"):
        if known not in names:
            print(f"api-doc-check: extractor did not find {known!r}; found {names}")
            return 1
    if missing_from("", names) != names:
        print("api-doc-check: self-check failed: an empty doc passes")
        return 1
    missing = missing_from(doc, names)
    print(f"api-doc-check: {len(names)} public Kotlin names, {len(names) - len(missing)} documented in {doc_path}")
    for name in missing:
        print(f"  not in {doc_path}: {name}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
