#!/usr/bin/env python3
"""Checks that the code references in docs/ARCHITECTURE.md name things that exist.

    scripts/check-doc-refs.py                       # the sections below of docs/ARCHITECTURE.md
    scripts/check-doc-refs.py FILE [START STOP]...  # other files or heading ranges
    scripts/check-doc-refs.py --self-test           # shows that each kind of check can fail

Every inline code span without spaces is checked:
  path/like, x.rs, dir/   the file or directory exists;
  file.rs::name           the file exists and defines `fn name` (a test named in the code map);
  Name, a::b, f()         the last segment occurs as a word in some tracked source file (the
                          checked file itself excluded), so a renamed type or function shows up.
Paths starting with tests/ or src/ are relative to the crate of the current group heading
(### `core/` ...); a bare file name (`schema.rs`) is looked for in the directories named by the
current entry heading (#### `core/src/store/`). Prints one line per problem; exit status 1 if
there is any. Standard library only; runs in well under a second.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = subprocess.check_output(['git', 'rev-parse', '--show-toplevel'], text=True,
                               cwd=os.path.dirname(os.path.abspath(__file__))).strip()
DEFAULT_FILE = os.path.join(ROOT, 'docs', 'ARCHITECTURE.md')
DEFAULT_RANGES = [("### Bird's-eye view", '### A payment, end to end'), ('## Code map', '### Decisions')]
IGNORED = {'bindings/generated/'}  # git-ignored outputs the docs describe
SOURCE = re.compile(r'\.(rs|kt|kts|swift|py|sh|toml|json|xml)$')
PATHLIKE = re.compile(r'\.(rs|sh|py|kt|swift|md|json|toml|txt|xml)$')


def source_words(exclude):
    tracked = subprocess.check_output(['git', 'ls-files'], cwd=ROOT, text=True).split('\n')
    words = set()
    for f in tracked:
        path = os.path.join(ROOT, f)
        if not f or f.startswith('fuzz/corpus/') or os.path.abspath(path) == exclude:
            continue
        if (SOURCE.search(f) or f.startswith('.ci/')) and os.path.isfile(path):
            with open(path, errors='replace') as fh:
                words.update(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', fh.read()))
    return words


def check(md, ranges):
    md = os.path.abspath(md)
    words = source_words(md)
    problems, checked = [], 0
    crate, entry_dirs, active = '', [], not ranges

    def resolve(p):
        if crate and (p.startswith('tests/') or p.startswith('src/')):
            return [os.path.join(ROOT, crate, p)]
        if '/' not in p and entry_dirs:
            return [os.path.join(ROOT, d, p) for d in entry_dirs]
        return [os.path.join(ROOT, p)]

    with open(md) as fh:
        lines = fh.read().split('\n')
    for lineno, line in enumerate(lines, 1):
        for start, stop in ranges:
            if line.startswith(start):
                active = True
            elif line.startswith(stop):
                active = False
        if not active:
            continue
        if line.startswith('## ') or line.startswith('### '):
            m = re.match(r'^### `([a-z]+)/`', line)
            crate, entry_dirs = (m.group(1) + '/' if m else ''), []
        elif line.startswith('#### '):
            entry_dirs = [p.rstrip('/') if p.endswith('/') else os.path.dirname(p)
                          for p in re.findall(r'`([^`\s]+)`', line)]
        for span in re.findall(r'`([^`\s]+)`', line):
            m = re.match(r'^([\w./-]+\.(?:rs|sh|py|kt|swift))::(\w+)$', span)
            if m:
                checked += 1
                found = [p for p in resolve(m.group(1)) if os.path.isfile(p)]
                if not found:
                    problems.append(f'{lineno}: no file {m.group(1)}')
                elif not any(re.search(r'\bfn ' + re.escape(m.group(2)) + r'\b', open(p).read()) for p in found):
                    problems.append(f'{lineno}: no fn {m.group(2)} in {m.group(1)}')
            elif '/' in span or PATHLIKE.search(span):
                if re.match(r'^(https?:|/v1|OC1/|\.\.)', span) or span in IGNORED:
                    continue
                checked += 1
                if not any(os.path.exists(p) for p in resolve(span)):
                    problems.append(f'{lineno}: no path {span}')
            elif re.match(r'^[A-Za-z_]\w*(::[A-Za-z_]\w*)*(\(\))?$', span):
                checked += 1
                last = re.sub(r'\(\)$', '', span).split('::')[-1]
                if last not in words:
                    problems.append(f'{lineno}: name {span} not found in the sources')
    return checked, problems


def self_test():
    doc = '\n'.join([
        '## Code map', '### `core/` (offline-cash-core)', '#### `core/src/store/`',
        'good: `tests/store.rs::log_detects_edited_deleted_reordered_and_truncated_entries`,',
        '`schema.rs`, `core/src/nfc/`, `SpendDurable`, `Store::begin_spend`, `issuer/openapi.json`.',
        'bad: `tests/store.rs::no_such_test_anywhere`, `tests/no_such_file.rs::x`,',
        '`schemaX.rs`, `core/src/nfcX/`, `SpendDurabelX`.',
        '### Decisions', 'outside the range: `no/such/path.rs`.',
    ])
    with tempfile.NamedTemporaryFile('w', suffix='.md', delete=False) as fh:
        fh.write(doc)
    try:
        checked, problems = check(fh.name, [('## Code map', '### Decisions')])
    finally:
        os.unlink(fh.name)
    expected = ['6: no fn no_such_test_anywhere in tests/store.rs', '6: no file tests/no_such_file.rs',
                '7: no path schemaX.rs', '7: no path core/src/nfcX/',
                '7: name SpendDurabelX not found in the sources']
    if problems != expected or checked != 13:
        print(f'self-test FAILED: checked {checked}, problems {problems}')
        return 1
    print('self-test passed: 8 good references accepted, 5 bad ones reported, the rest ignored')
    return 0


def main(argv):
    if argv[1:2] == ['--self-test']:
        return self_test()
    md = argv[1] if len(argv) > 1 else DEFAULT_FILE
    ranges = list(zip(argv[2::2], argv[3::2])) if len(argv) > 2 else (DEFAULT_RANGES if md == DEFAULT_FILE else [])
    checked, problems = check(md, ranges)
    for p in problems:
        print(p)
    print(f'{os.path.relpath(md, ROOT)}: {checked} references checked, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
