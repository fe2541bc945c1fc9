#!/usr/bin/env python3
"""Sanity checks for crates/registries/data. Usage: python3 tools/check_data.py [DATA_DIR] [BASE_TXT]

BASE_TXT (russian-names' base.txt) is optional; when given, every surname pair
is re-checked against the source lists.
"""
import os, re, sys, collections

D = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
BASE = sys.argv[2] if len(sys.argv) > 2 else None
CYR_WORD = re.compile(r'^[А-ЯЁ][а-яё]+$')
LATIN = re.compile(r'[A-Za-z]')
MIXED = re.compile(r'(?=\w*[A-Za-z])(?=\w*[А-Яа-яЁё])\w+')
errors = collections.Counter()
report = []


def err(f, msg):
    errors[f] += 1
    if errors[f] <= 10:
        report.append(f'  ERROR {f}: {msg}')


def load(f, ncols, header=None):
    raw = open(os.path.join(D, f), 'rb').read()
    if raw.startswith(b'\xef\xbb\xbf'): err(f, 'BOM')
    if b'\r' in raw: err(f, 'CR characters')
    if not raw.endswith(b'\n'): err(f, 'no final newline')
    text = raw.decode('utf-8')  # raises on invalid UTF-8
    if any(ord(c) < 32 and c not in '\t\n' for c in text): err(f, 'control characters')
    lines = text.split('\n')[:-1]
    if header is not None:
        if lines[0] != header: err(f, f'bad header {lines[0]!r}')
        lines = lines[1:]
    rows = []
    for i, l in enumerate(lines, 1):
        if not l.strip(): err(f, f'line {i} empty'); continue
        cols = l.split('\t')
        if len(cols) != ncols: err(f, f'line {i}: {len(cols)} columns'); continue
        for c in cols:
            if c != c.strip() or '  ' in c or not c: err(f, f'line {i}: stray whitespace/empty field {c!r}')
            if MIXED.search(c): err(f, f'line {i}: word mixing Latin and Cyrillic {c!r}')
        rows.append(cols)
    dup = [k for k, v in collections.Counter(lines).items() if v > 1]
    if dup: err(f, f'duplicate lines {dup[:5]}')
    return rows


def no_latin(f, rows, cols):
    for r in rows:
        for i in cols:
            if LATIN.search(r[i]): err(f, f'Latin letters in {r[i]!r}')


def uniq(f, rows, col):
    d = [k for k, v in collections.Counter(r[col] for r in rows).items() if v > 1]
    if d: err(f, f'duplicate values in column {col}: {d[:5]}')


def rkey(s): return s.lower().replace('ё', 'е')


summary = {}
for f, pat in [('names_male.txt', None), ('names_female.txt', None),
               ('patronymics_male.txt', re.compile(r'(ович|евич|ич)$')),
               ('patronymics_female.txt', re.compile(r'(овна|евна|ична|инична)$'))]:
    rows = load(f, 2); no_latin(f, rows, [0, 1]); uniq(f, rows, 0)
    for v, w in rows:
        if not CYR_WORD.match(v): err(f, f'not a capitalised Cyrillic word: {v!r}')
        if w not in ('20', '1'): err(f, f'weight {w!r}')
        if pat and not pat.search(v): err(f, f'bad ending {v!r}')
    exp = sorted(rows, key=lambda r: (-int(r[1]), rkey(r[0]), r[0]))
    if exp != rows: err(f, 'not in (weight desc, name) order')
    summary[f] = f'{len(rows)} lines, weight 20: {sum(r[1] == "20" for r in rows)}, weight 1: {sum(r[1] == "1" for r in rows)}'

f = 'surnames.txt'
rows = load(f, 2); no_latin(f, rows, [0, 1]); uniq(f, rows, 0); uniq(f, rows, 1)
kinds = collections.Counter()
src_m = src_f = None
if BASE:
    L = open(BASE, encoding='utf-8').read().splitlines()
    src_m, src_f = set(L[4].split(' ')), set(L[9].split(' '))
for m, w in rows:
    for x in (m, w):
        if not CYR_WORD.match(x): err(f, f'not a capitalised Cyrillic word: {x!r}')
    if re.search(r'(ов|ев|ёв|ин|ын)$', m): ok = w == m + 'а'; k = '-ов/-ев/-ин/-ын +а'
    elif re.search(r'(ский|цкий)$', m): ok = w == m[:-2] + 'ая'; k = '-ский/-цкий -> -ая'
    elif re.search(r'(их|ых)$', m): ok = w == m; k = '-их/-ых identical'
    else: ok = False; k = 'other'
    kinds[k] += 1
    if not ok: err(f, f'female form rule broken: {m} / {w}')
    if src_m is not None and (m not in src_m or w not in src_f): err(f, f'pair not in source lists: {m} / {w}')
summary[f] = f'{len(rows)} lines, {dict(kinds)}' + (', all pairs found in source male+female lists' if BASE and not errors[f] else '')

f = 'regions.tsv'
H = 'code\tokato\tname\tkind\tcenter\tpostal_prefix\tphone_code'
rows = load(f, 7, H); no_latin(f, rows, [2, 4]); uniq(f, rows, 0); uniq(f, rows, 2)
expected = [f'{i:02d}' for i in range(1, 80)] + ['83', '86', '87', '89', '91', '92']
if [r[0] for r in rows] != expected: err(f, 'codes are not exactly 01..79,83,86,87,89,91,92 in order')
for r in rows:
    code, okato, name, kind, center, postal, phone = r
    if not re.fullmatch(r'\d\d', okato): err(f, f'okato {okato!r}')
    if kind not in ('republic', 'krai', 'oblast', 'city', 'ao', 'autonomous_oblast'): err(f, f'kind {kind!r}')
    if not re.fullmatch(r'[1-6]\d\d', postal): err(f, f'postal {postal!r}')
    if not re.fullmatch(r'\d{3,5}', phone): err(f, f'phone {phone!r}')
    if not re.fullmatch(r'[А-ЯЁ][А-Яа-яЁё-]*( [А-Яа-яЁё-]+)*', center): err(f, f'center {center!r}')
dup_okato = {k: v for k, v in collections.Counter(r[1] for r in rows).items() if v > 1}
summary[f] = f'{len(rows)} data lines + header; kinds {dict(collections.Counter(r[3] for r in rows))}; okato shared by several subjects: {dup_okato}'

f = 'streets.txt'
rows = load(f, 2); no_latin(f, rows, [0, 1])
T = ['ул', 'пр-кт', 'пер', 'б-р', 'ш', 'пл']
for t, n in rows:
    if t not in T: err(f, f'type {t!r}')
if sorted(rows, key=lambda r: (T.index(r[0]), rkey(r[1]), r)) != rows: err(f, 'not in (type, name) order')
summary[f] = f'{len(rows)} lines, {dict(collections.Counter(r[0] for r in rows))}'

f = 'employers.txt'
rows = load(f, 2); no_latin(f, rows, [0, 1]); uniq(f, rows, 1)
O = ['ООО', 'АО', 'ПАО', 'ГБУ', 'ГБУЗ', 'МБОУ', 'ФГУП']
for o, n in rows:
    if o not in O: err(f, f'OPF {o!r}')
    if any(c in n for c in '"«»'): err(f, f'quotes in {n!r}')
if sorted(rows, key=lambda r: (O.index(r[0]), rkey(r[1]), r)) != rows: err(f, 'not in (OPF, name) order')
summary[f] = f'{len(rows)} lines, {dict(collections.Counter(r[0] for r in rows))}'

f = 'districts.txt'
rows = load(f, 2); no_latin(f, rows, [0, 1]); uniq(f, rows, 0)
for p, g in rows:
    if not (p.endswith('ом') and g.endswith('ого') and p[:-2] == g[:-3]): err(f, f'case forms disagree {p}/{g}')
if sorted(rows, key=lambda r: (rkey(r[0]), r)) != rows: err(f, 'not sorted')
summary[f] = f'{len(rows)} lines'

f = 'issuers.txt'
rows = load(f, 1)
for (t,) in rows:
    ph = set(re.findall(r'\{([^}]*)\}', t))
    if not ph <= {'city', 'district_gen', 'district'} or 'city' not in ph: err(f, f'placeholders {ph} in {t!r}')
    if LATIN.search(re.sub(r'\{[^}]*\}', '', t)): err(f, f'Latin outside placeholders {t!r}')
    if '{district_gen} района' not in t and '{district} районе' not in t: err(f, f'district case mismatch {t!r}')
summary[f] = f'{len(rows)} lines'

for k, v in summary.items():
    print(f'{k}: {v}' + (f'  [{errors[k]} errors]' if errors[k] else '  [ok]'))
print('\n'.join(report))
print('TOTAL ERRORS:', sum(errors.values()))
sys.exit(1 if errors else 0)
