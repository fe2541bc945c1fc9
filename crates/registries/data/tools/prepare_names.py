#!/usr/bin/env python3
"""Derive names_*.txt, patronymics_*.txt and surnames.txt from russian-names 0.1.2.

Usage (see ../README.md):
    python3 -m venv /tmp/dp-venv
    /tmp/dp-venv/bin/pip install wordfreq==3.1.1 pymorphy3==2.0.6 pymorphy3-dicts-ru==2.4.417150.4580142
    pip download --no-deps -d /tmp/rn russian-names==0.1.2
    (cd /tmp/rn && unzip -o -q russian_names-0.1.2-py3-none-any.whl && unzip -o -q russian_names/_data.zip)
    /tmp/dp-venv/bin/python prepare_names.py /tmp/rn/base.txt ..

wordfreq and pymorphy3 are used only to *rank and filter* the surnames of
russian-names; no data of theirs is copied into the output.
"""
import re
import statistics
import sys

BASE, OUT = sys.argv[1], sys.argv[2]

# ---- layout of base.txt: 10 lines, each a space-separated list ----------------
LINES = [l.split(' ') for l in open(BASE, encoding='utf-8').read().splitlines()]
assert len(LINES) == 10
(M_NAME_RARE, M_NAME_COMMON, M_PATR_RARE, M_PATR_COMMON, M_SURN,
 F_NAME_RARE, F_NAME_COMMON, F_PATR_RARE, F_PATR_COMMON, F_SURN) = LINES
CLEAN = re.compile(r'^[А-ЯЁ][а-яё]+$')

COMMON, RARE = 20, 1


def sort_key(item):
    value, weight = item
    return (-weight, value.lower().replace('ё', 'е'), value)


def write_weighted(path, weights):
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        for v, w in sorted(weights.items(), key=sort_key):
            assert CLEAN.match(v), v
            f.write(f'{v}\t{w}\n')


def tiers(common, rare):
    w = {}
    for v in rare:
        w[v] = RARE
    for v in common:
        w[v] = COMMON
    return w

# ---- first names ---------------------------------------------------------------
# Names that are clearly frequent in today's Russia but sit in the source's
# "rare" list get the common weight; a few are demoted or dropped (diminutives,
# which never appear in a passport).
M_PROMOTE = 'Сергей Егор Тимофей Матвей Даниил Глеб Богдан Марк Лев Тимур Захар Арсений Давид'.split()
M_DEMOTE = ['Герасим']
F_PROMOTE = ('Татьяна Нина Лидия Антонина Варвара Диана Ангелина Олеся Ульяна '
             'Василиса Арина Милана Анжела Альбина Лилия Зоя').split()
F_DROP = 'Лиза Маша Маня Таша Груша Шура Стася Гуля'.split()

male = tiers(M_NAME_COMMON, M_NAME_RARE)
female = tiers(F_NAME_COMMON, F_NAME_RARE)
for n in M_PROMOTE:
    assert male[n] == RARE, n; male[n] = COMMON
for n in M_DEMOTE:
    assert male[n] == COMMON, n; male[n] = RARE
for n in F_PROMOTE:
    assert female[n] == RARE, n; female[n] = COMMON
for n in F_DROP:
    assert n in female, n; del female[n]
write_weighted(f'{OUT}/names_male.txt', male)
write_weighted(f'{OUT}/names_female.txt', female)

# ---- patronymics ---------------------------------------------------------------
M_PATR_RE = re.compile(r'(ович|евич|ич)$')
F_PATR_RE = re.compile(r'(овна|евна|ична|инична)$')
# malformed, colloquial or non-standard forms found in the source
M_PATR_DROP = 'Юльвич Иевич Славич Гаврилич Данилич Левович Дональтович'.split()
F_PATR_DROP = 'Иевна Славична Данилична Павеловна Лукьановна Михаиловна Левовна Дональтовна'.split()
# source form -> standard form (keeps the source's tier)
M_PATR_FIX = {'Михаилович': 'Михайлович'}
F_PATR_FIX = {'Василевна': 'Васильевна', 'Кузьмична': 'Кузьминична',
              'Козьмична': 'Козьминична', 'Лукична': 'Лукинична',
              'Фомична': 'Фоминична'}
# -иевич/-иевна variants that are legal but far rarer than the -ьевич form
DEMOTE_IEVICH = ('Алексиевич Анатолиевич Аркадиевич Валериевич Василиевич Виталиевич '
                 'Геннадиевич Григориевич Димитриевич Юриевич').split()
# standard patronymics of every first name with the common weight
STANDARD = {
    'Александр': ('Александрович', 'Александровна'), 'Алексей': ('Алексеевич', 'Алексеевна'),
    'Альберт': ('Альбертович', 'Альбертовна'), 'Анатолий': ('Анатольевич', 'Анатольевна'),
    'Андрей': ('Андреевич', 'Андреевна'), 'Антон': ('Антонович', 'Антоновна'),
    'Аркадий': ('Аркадьевич', 'Аркадьевна'), 'Артур': ('Артурович', 'Артуровна'),
    'Артём': ('Артёмович', 'Артёмовна'), 'Борис': ('Борисович', 'Борисовна'),
    'Вадим': ('Вадимович', 'Вадимовна'), 'Валентин': ('Валентинович', 'Валентиновна'),
    'Валерий': ('Валерьевич', 'Валерьевна'), 'Василий': ('Васильевич', 'Васильевна'),
    'Виктор': ('Викторович', 'Викторовна'), 'Виталий': ('Витальевич', 'Витальевна'),
    'Владимир': ('Владимирович', 'Владимировна'), 'Владислав': ('Владиславович', 'Владиславовна'),
    'Вячеслав': ('Вячеславович', 'Вячеславовна'), 'Геннадий': ('Геннадьевич', 'Геннадьевна'),
    'Георгий': ('Георгиевич', 'Георгиевна'), 'Григорий': ('Григорьевич', 'Григорьевна'),
    'Денис': ('Денисович', 'Денисовна'), 'Дмитрий': ('Дмитриевич', 'Дмитриевна'),
    'Евгений': ('Евгеньевич', 'Евгеньевна'), 'Иван': ('Иванович', 'Ивановна'),
    'Игорь': ('Игоревич', 'Игоревна'), 'Илья': ('Ильич', 'Ильинична'),
    'Кирилл': ('Кириллович', 'Кирилловна'), 'Константин': ('Константинович', 'Константиновна'),
    'Леонид': ('Леонидович', 'Леонидовна'), 'Максим': ('Максимович', 'Максимовна'),
    'Михаил': ('Михайлович', 'Михайловна'), 'Никита': ('Никитич', 'Никитична'),
    'Николай': ('Николаевич', 'Николаевна'), 'Олег': ('Олегович', 'Олеговна'),
    'Павел': ('Павлович', 'Павловна'), 'Пётр': ('Петрович', 'Петровна'),
    'Роман': ('Романович', 'Романовна'), 'Руслан': ('Русланович', 'Руслановна'),
    'Семён': ('Семёнович', 'Семёновна'), 'Станислав': ('Станиславович', 'Станиславовна'),
    'Степан': ('Степанович', 'Степановна'), 'Тарас': ('Тарасович', 'Тарасовна'),
    'Федор': ('Федорович', 'Федоровна'), 'Эдуард': ('Эдуардович', 'Эдуардовна'),
    'Юрий': ('Юрьевич', 'Юрьевна'), 'Яков': ('Яковлевич', 'Яковлевна'),
    'Ярослав': ('Ярославович', 'Ярославовна'), 'Илья ': None,
    'Сергей': ('Сергеевич', 'Сергеевна'), 'Егор': ('Егорович', 'Егоровна'),
    'Тимофей': ('Тимофеевич', 'Тимофеевна'), 'Матвей': ('Матвеевич', 'Матвеевна'),
    'Даниил': ('Даниилович', 'Данииловна'), 'Глеб': ('Глебович', 'Глебовна'),
    'Богдан': ('Богданович', 'Богдановна'), 'Марк': ('Маркович', 'Марковна'),
    'Лев': ('Львович', 'Львовна'), 'Тимур': ('Тимурович', 'Тимуровна'),
    'Захар': ('Захарович', 'Захаровна'), 'Арсений': ('Арсеньевич', 'Арсеньевна'),
    'Давид': ('Давидович', 'Давидовна'),
}
del STANDARD['Илья ']
common_male = sorted(n for n, w in male.items() if w == COMMON)
missing = [n for n in common_male if n not in STANDARD]
assert not missing, missing


def patronymics(common, rare, drop, fix, regex, std_index, demote):
    w = tiers(common, rare)
    report = {'dropped_by_ending': [], 'dropped_by_list': [], 'fixed': [], 'added': [], 'promoted': [], 'demoted': []}
    for v in list(w):
        if not regex.search(v):
            report['dropped_by_ending'].append(v); del w[v]
    for v in drop:
        assert v in w, v; del w[v]; report['dropped_by_list'].append(v)
    for bad, good in fix.items():
        tier = w.pop(bad)
        w[good] = max(tier, w.get(good, 0)); report['fixed'].append(f'{bad}->{good}')
    for v in demote:
        assert w.get(v) == COMMON, v; w[v] = RARE; report['demoted'].append(v)
    for name in common_male:
        p = STANDARD[name][std_index]
        assert regex.search(p), p
        if p not in w: report['added'].append(p)
        elif w[p] != COMMON: report['promoted'].append(p)
        w[p] = COMMON
    return w, report


pm, rep_m = patronymics(M_PATR_COMMON, M_PATR_RARE, M_PATR_DROP, M_PATR_FIX, M_PATR_RE, 0, DEMOTE_IEVICH)
pf, rep_f = patronymics(F_PATR_COMMON, F_PATR_RARE, F_PATR_DROP, F_PATR_FIX, F_PATR_RE, 1, [])
write_weighted(f'{OUT}/patronymics_male.txt', pm)
write_weighted(f'{OUT}/patronymics_female.txt', pf)
for k, r in (('male', rep_m), ('female', rep_f)):
    for kk, vv in r.items():
        print(f'patronymics {k} {kk} ({len(vv)}): {" ".join(vv)}')

# ---- surnames ------------------------------------------------------------------
from wordfreq import zipf_frequency as zipf  # noqa: E402
import pymorphy3  # noqa: E402

morph = pymorphy3.MorphAnalyzer()
male_s = [s for s in M_SURN if CLEAN.match(s)]          # drops 545 double-barrelled + 1 with ESC byte
female_s = set(s for s in F_SURN if CLEAN.match(s))
print('surnames: male source', len(M_SURN), 'clean', len(male_s), '; female source', len(F_SURN), 'clean', len(female_s))


def female_form(m):
    if re.search(r'(ов|ев|ёв|ин|ын)$', m): return m + 'а', 'ov' if m[-2] in 'оеё' else 'in'
    if re.search(r'(ский|цкий)$', m): return m[:-2] + 'ая', 'sk'
    if re.search(r'(ской|цкой)$', m): return m[:-2] + 'ая', 'sk'
    if re.search(r'(их|ых|ко|енко|аго|яго|ово|ево)$', m): return m, 'ih'
    if re.search(r'[кгхжшчщ]ий$', m): return m[:-2] + 'ая', 'adj'
    if m.endswith('ний'): return m[:-2] + 'яя', 'adj'
    if re.search(r'(ый|ой|ий)$', m): return m[:-2] + 'ая', 'adj'
    return m, 'indecl'


pairs, rejected = [], 0
kinds = {}
for m in male_s:
    f, t = female_form(m)
    if f in female_s:
        pairs.append((m, f, t)); kinds[t] = kinds.get(t, 0) + 1
    else:
        rejected += 1
print('surname pairs whose female form is in the female list:', len(pairs), kinds, 'rejected', rejected)

_amb = {}


def ambiguous(w, strict):
    """True if w is also a dictionary form of an ordinary word (so its frequency is not the surname's)."""
    key = (w, strict)
    if key not in _amb:
        res = False
        for p in morph.parse(w):
            if not p.is_known: continue
            g = p.tag.grammemes
            if 'Surn' in g or 'Poss' in g: continue
            if not strict and p.tag.POS == 'NOUN' and ({'Geox', 'Name', 'Patr'} & g): continue
            if p.score < 0.05 and not ({'Name', 'Geox'} & g): continue
            res = True; break
        _amb[key] = res
    return _amb[key]


rows = []
for m, f, t in pairs:
    lm, lf = m.lower(), f.lower()
    r = {'m': m, 'f': f, 't': t}
    if t == 'ih':
        r['n'] = zipf(lm, 'ru') if not ambiguous(lm, True) else 0
    else:
        clean = lm + ('у' if t == 'ov' else 'ым') if t in ('ov', 'in') else lm[:-2] + 'ому'   # Иванову / Путиным / Вишневскому
        fobl = lf[:-2] + 'ой' if t == 'sk' else lf[:-1] + 'ой'                              # Ивановой / Вишневской
        zn, zc, zo = zipf(lm, 'ru'), zipf(clean, 'ru'), zipf(fobl, 'ru')
        r['n'] = zn if zn and not ambiguous(lm, True) else 0
        r['c'] = zc if zc and not ambiguous(clean, False) else 0
        r['o'] = zo if zo and not ambiguous(fobl, False) else 0
    rows.append(r)

off = {}
for t in ('ov', 'in', 'sk'):
    nc = [r['n'] - r['c'] for r in rows if r['t'] == t and r['n'] and r['c']]
    no = [r['n'] - r['o'] for r in rows if r['t'] == t and r['n'] and r['o']]
    off[t] = (statistics.median(nc), statistics.median(no))
print('offsets nominative-vs-oblique', {t: tuple(round(x, 3) for x in v) for t, v in off.items()})
FLOOR = 1.0   # lowest zipf value in wordfreq's Russian list
for r in rows:
    t = r['t']
    if t == 'ih':
        r['S'] = None; continue
    est = [x for x in (r['n'], r['c'] + off[t][0] if r['c'] else 0) if x]
    if not est:
        r['S'] = None; continue
    male_est = max(est)
    female_est = (r['o'] or FLOOR) + off[t][1]
    r['S'] = (male_est + min(male_est, female_est)) / 2

# 250 most frequent Russian surnames (the well-known list of A. Zhuravlev /
# Balanovsky et al.), always kept when present in the source lists.
SEED = '''Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров
Морозов Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов
Андреев Макаров Никитин Захаров Зайцев Соловьев Борисов Яковлев Григорьев Романов
Воробьев Сергеев Кузьмин Фролов Александров Дмитриев Королев Гусев Киселев Ильин
Максимов Поляков Сорокин Виноградов Ковалев Белов Медведев Антонов Тарасов Жуков
Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев
Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов
Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов
Федотов Щербаков Назаров Калинин Исаев Чернышев Быков Маслов Родионов Коновалов
Лазарев Воронин Климов Филатов Пономарев Голубев Кудрявцев Прохоров Наумов Потапов
Журавлев Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов
Никифоров Грачев Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев
Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров Галкин Лукьянов
Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков
Левин Митрофанов Воронов Аксенов Софронов Мальцев Логинов Горшков Савин Краснов Майоров
Демидов Елисеев Рыбаков Сафонов Плотников Демин Хохлов Фадеев Молчанов Игнатов Литвинов
Ершов Ушаков Дементьев Рябов Мухин Калашников Леонтьев Лобанов Кузин Корнилов Евдокимов
Бородин Платонов Некрасов Балашов Бобров Жданов Блинов Игнатьев Коротков Муравьев Крюков
Беляков Богомолов Дроздов Лавров Зуев Петухов Ларин Никулин Серов Терентьев Зотов
Устинов Фокин Самойлов Константинов Сахаров Шишкин Самсонов Черкасов Чистяков Носов
Спиридонов Карасев Авдеев Воронцов Зверев Владимиров Селезнев Нечаев Кудряшов Седов
Фирсов Андрианов Панин Головин Терехов Ульянов Шестаков Агеев Никонов Селиверстов
Баженов Гордеев Кононов Гуляев Жилин Исаков Кириллов Лаптев Мишин Овсянников'''.split()
# -их/-ых surnames: every wordfreq count is polluted by the adjective or the
# plural of an -ов/-ин surname, so a hand list of well-known ones is used.
IH = ('Черных Белых Седых Долгих Кривых Толстых Рыжих Глухих Косых Сухих Мягких '
      'Ильиных Фоминых Кузьминых Савиных Лукиных Черемных Каменских Бесчастных '
      'Чепурных Беломестных Подлесных Широких Коротких Золотых Молодых').split()
IH_SCORE = 2.6
# place names, words and names that pass the filters, and surnames that in
# practice denote one famous person (leaders, classics, literary heroes)
DENY = set('''Киев Женев Христов Государев Сергиев Мамин Папин Чертов Грин Яков Казанов Таков
Надин Квин Гин Эрин Марвин Мерлин Коллин Брин Корвин Гвин Мервин Марлин Торин Форин Латин Литов
Москов Краков Чернигов Саратов Тамбов Харьков Могилев Азов Серпухов Очаков Дмитров Волхов Марсов
Путин Ленин Сталин Брежнев Горбачев Ельцин Хрущев Андропов Собянин Нарышкин Назарбаев Кадыров
Рогозин Немцов Сечин Зюганов Пригожин Медведков Черномырдин Маленков Молотов Ворошилов Троцкий
Пушкин Лермонтов Достоевский Ломоносов Менделеев Распутин Шаляпин Рахманинов Чапаев Пугачев
Онегин Карамазов Чичиков Манилов Каренин Печорин Обломов Плюшкин Швабрин Пупкин Самоделкин'''.split())
index = {r['m']: r for r in rows}
chosen = {}
for m in SEED:
    if m in index and m not in DENY:
        r = index[m]; chosen[m] = (r['S'] or IH_SCORE, r['f'])
seed_missing = [m for m in dict.fromkeys(SEED) if m not in index]
for m in IH:
    assert m in index and index[m]['f'] == m, m
    chosen[m] = (IH_SCORE, m)
TARGET = 3000
ranked = sorted((r for r in rows if r['S'] and len(r['m']) >= 4 and r['m'] not in DENY),
                key=lambda r: (-r['S'], r['m']))
for r in ranked:
    if len(chosen) >= TARGET: break
    chosen.setdefault(r['m'], (r['S'], r['f']))
out = sorted(chosen.items(), key=lambda kv: (-round(kv[1][0], 6), kv[0]))
with open(f'{OUT}/surnames.txt', 'w', encoding='utf-8', newline='\n') as fh:
    for m, (_, f) in out:
        fh.write(f'{m}\t{f}\n')
kinds = {}
for m, (_, f) in out:
    t = index[m]['t']; kinds[t] = kinds.get(t, 0) + 1
print('surnames written', len(out), kinds, 'seed not in source:', seed_missing,
      'lowest score kept', round(min(s for s, _ in chosen.values()), 3))
