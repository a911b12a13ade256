#!/usr/bin/env python3
"""Generate line-table and exception-table test vectors for src/cpython/linetable.cpp.

Run it with each supported interpreter; it writes tests/data/linetable/<X.Y.Z>.txt:

    for py in /root/.pyenv/versions/{3.6.15,3.7.16,3.8.18,3.9.18,3.10.13,3.11.7,3.12.1,3.13.0}/bin/python3 \\
              /root/.cache/pyhang-pythons/sid31{4,5}/usr/bin/python3.1[45]; do
        "$py" tools/gen_linetable_vectors.py
    done

The corpus is every code object (recursively) compiled from a few stdlib modules plus a
synthetic source exercising nested functions, lambdas, generators, comprehensions, async code,
big line jumps (> 127, > 255, > 65535), negative line deltas, huge single-line expressions,
wide columns and multi-line expressions. Expected values come from the running interpreter:

  * 3.10+: code.co_lines() (a range with line None = "no line");
  * 3.6-3.9: the lnotab walk of CPython's PyCode_Addr2Line, checked here against
    dis.findlinestarts() (the script aborts on any disagreement);
  * 3.11+: dis._parse_exception_table(code) for co_exceptiontable.

File format (one record per code object, '#' lines are comments):

    version X.Y.Z
    format lnotab|linetable310|location
    C <co_name> <co_firstlineno> <count> <line table as hex, or '-' if empty>
    L <token> ...        expected line of byte offsets 0, 2, 4, ... (count of them):
                         "N" one offset with line N, "N*K" K offsets with line N, "-" / "-*K" no line
    X <co_exceptiontable hex or '-'>            (3.11+ only)
    E <start>,<end>,<target>,<depth>,<lasti> ...  entries in code units (3.11+ only, may be empty)

Files are kept under ~400 KB by deterministic sampling of the stdlib code objects (the
synthetic ones are always kept).
"""
import argparse
import dis
import importlib.util
import os
import random
import struct
import sys
import types
import warnings

V = sys.version_info[:2]
VERSION = '%d.%d.%d' % sys.version_info[:3]
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'tests', 'data', 'linetable')
SIZE_BUDGET = 390 * 1024

STDLIB_MODULES = [
    'threading', 'queue', 'asyncio.tasks', 'json.decoder', 'asyncio.locks', 'contextlib',
    'functools', 'dataclasses', 'subprocess', 'argparse', 'concurrent.futures.thread',
    'multiprocessing.synchronize', 'selectors', 'tokenize',
]

# ---------------------------------------------------------------------------------------------
# Synthetic corpus

COMMON_SOURCE = r'''
import os, sys

def plain(a, b=2, *args, c, **kw):
    x = a + b
    y = [i * x for i in range(10) if i % 2]
    z = {k: v for k, v in kw.items()}
    w = {q for q in args}
    g = (t for t in y)
    return x, y, z, w, g

def closure_maker(n):
    total = 0
    def inner(k):
        nonlocal total
        total += k
        def innermost():
            return total + n
        return innermost
    return inner

square = lambda v: v * v
pair = lambda a, b=(lambda: 3)(): (a,
                                   b)

def gen(n):
    for i in range(n):
        if i % 3 == 0:
            yield i
        elif i % 3 == 1:
            yield from range(i)
        else:
            continue
    return n

async def coro(lock, q):
    async with lock:
        item = await q.get()
    async for x in q:
        await x
    try:
        await q.put(item)
    except (ValueError,
            TypeError) as e:
        raise RuntimeError(
            "bad") from e
    finally:
        lock.release()
    return [y async for y in q]

class Klass(object):
    attr = [n for n in range(3)]

    @staticmethod
    @property
    def decorated(
            self,
            other):
        return (self
                .attr
                .copy())

    def method(self, items):
        while items:
            item = items.pop()
            if not item:
                break
        else:
            return None
        with open(os.devnull) as f, \
                open(os.devnull) as g:
            f.write(str(item)); g.write(
                'x')
        return item

def negative_deltas(a, b, c):
    result = (a
              +
              b
              *
              c)
    call = max(
        a,
        b,
        c,
    )
    cond = (a if
            b else
            c)
    for i in range(3):
        for j in range(3):
            pass
    return result, call, cond

def exceptions(fn):
    try:
        fn()
    except KeyError:
        try:
            fn()
        except Exception:
            pass
        finally:
            fn()
    except (TypeError, ValueError) as e:
        del e
    else:
        fn()
    finally:
        try:
            return fn()
        except BaseException:
            raise
'''


def big_jumps_source():
    """Line jumps > 127, > 255, > 65535, backwards jumps over them, one very long line."""
    out = ['def big_jumps(a):', '    x = 1']
    out += [''] * 130
    out.append('    x += 2')
    out += ['    # comment'] * 300
    out.append('    x += 3')
    out += [''] * 70000
    out.append('    while x < 100000:')
    out.append('        x += a')
    out += [''] * 1000
    out.append('        x -= 1')
    out.append('    return x')
    out.append('')
    # One statement with hundreds of instructions on one line: address jumps > 255 per line.
    args = ', '.join('a%d' % (i % 7) for i in range(300))
    out.append('def long_line(' + ', '.join('a%d' % i for i in range(7)) + '):')
    if V < (3, 7):  # 3.6 allows at most 255 arguments in a call: the same line, as a list
        out.append('    y = print([' + args + '])')
    else:
        out.append('    y = print(' + args + ')')
    out.append('    return y')
    # Wide columns (> 127) and multi-line expressions: long-form location entries in 3.11+.
    out.append('def wide(a):')
    out.append('    ' + ' ' * 150 + 'return (a +')
    out.append('        a)' + ' ' * 200 + '  # trailing')
    out.append('def very_long_function(a):')
    for i in range(600):
        out.append('    a = a + %d if a %% %d else a - %d' % (i, i + 2, i))
        if i % 50 == 0:
            out.append('    for _ in range(%d):' % (i % 3 + 1))
            out.append('        a += 1')
    out.append('    return a')
    return '\n'.join(out) + '\n'


def version_specific_source():
    parts = []
    if V >= (3, 10):
        parts.append(r'''
def matcher(cmd):
    match cmd:
        case [x, y, *rest] if x > y:
            return rest
        case {"k": v, **kw}:
            return v
        case Point(x=0, y=yy) | Point(x=yy, y=0):
            return yy
        case str() as s:
            return s
        case _:
            return None
''')
    if V >= (3, 11):
        parts.append(r'''
def groups(fn):
    try:
        fn()
    except* ValueError as eg:
        fn(eg)
    except* TypeError:
        pass
''')
    if V >= (3, 12):
        parts.append(r'''
def generic[T](x: T) -> list[T]:
    type Alias = list[T]
    return [x for _ in range(2)]
''')
    return ''.join(parts)


# ---------------------------------------------------------------------------------------------
# Truth

def all_codes(co):
    yield co
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            yield from all_codes(c)


def lnotab_walk(co, off):
    b = co.co_lnotab
    line, addr = co.co_firstlineno, 0
    for i in range(0, len(b) - 1, 2):
        addr += b[i]
        if addr > off:
            break
        line += struct.unpack('b', b[i + 1:i + 2])[0]
    return line


def expected_lines(co):
    """List of expected lines (int or None) for byte offsets 0, 2, 4, ..."""
    n = len(co.co_code) // 2
    if V <= (3, 9):
        starts = dict(dis.findlinestarts(co))
        cur = co.co_firstlineno
        res = []
        for i in range(n):
            off = 2 * i
            cur = starts.get(off, cur)
            walk = lnotab_walk(co, off)
            if walk != cur:
                raise SystemExit('lnotab walk disagrees with findlinestarts: %s offset %d: %r %r'
                                 % (co.co_name, off, walk, cur))
            res.append(walk)
        return res
    res = [None] * n
    for start, end, line in co.co_lines():
        for off in range(start, end, 2):
            if 0 <= off // 2 < n:
                res[off // 2] = line
    return res


def table_of(co):
    return co.co_lnotab if V <= (3, 9) else co.co_linetable


def format_name():
    if V <= (3, 9):
        return 'lnotab'
    if V == (3, 10):
        return 'linetable310'
    return 'location'


def rle(values):
    toks = []
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        v = '-' if values[i] is None else str(values[i])
        toks.append(v if j - i == 1 else '%s*%d' % (v, j - i))
        i = j
    return ' '.join(toks)


def exception_entries(co):
    out = []
    for e in dis._parse_exception_table(co):
        assert e.start % 2 == 0 and e.end % 2 == 0 and e.target % 2 == 0
        out.append('%d,%d,%d,%d,%d' % (e.start // 2, e.end // 2, e.target // 2, e.depth,
                                       int(e.lasti)))
    return out


def record(co):
    lines = expected_lines(co)
    tab = table_of(co)
    name = co.co_name.replace(' ', '_') or '_'
    rec = ['C %s %d %d %s' % (name, co.co_firstlineno, len(lines), tab.hex() or '-'),
           'L ' + rle(lines)]
    if V >= (3, 11):
        rec.append('X ' + (co.co_exceptiontable.hex() or '-'))
        rec.append(' '.join(['E'] + exception_entries(co)))
    return '\n'.join(rec) + '\n', lines


# ---------------------------------------------------------------------------------------------

def compile_source(src, filename):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return compile(src, filename, 'exec', dont_inherit=True)


def stdlib_codes():
    out = []
    for mod in STDLIB_MODULES:
        spec = importlib.util.find_spec(mod)
        if spec is None or not spec.origin or not spec.origin.endswith('.py'):
            continue
        with open(spec.origin, encoding='utf-8') as f:
            src = f.read()
        out.extend(all_codes(compile_source(src, spec.origin)))
    return out


def synthetic_codes():
    codes = []
    codes.extend(all_codes(compile_source(COMMON_SOURCE, '<common>')))
    codes.extend(all_codes(compile_source(big_jumps_source(), '<big_jumps>')))
    # The same source far down a file: firstlineno > 65535, deltas unchanged.
    codes.extend(all_codes(compile_source('\n' * 100000 + COMMON_SOURCE, '<far>')))
    extra = version_specific_source()
    if extra:
        codes.extend(all_codes(compile_source(extra, '<versioned>')))
    return codes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out-dir', default=DEFAULT_OUT)
    ap.add_argument('--budget', type=int, default=SIZE_BUDGET, help='max output bytes')
    args = ap.parse_args()

    header = ['# pyhang line-table test vectors, generated by tools/gen_linetable_vectors.py',
              '# with Python %s; regenerate by running that script with this interpreter.'
              % sys.version.split()[0],
              'version ' + VERSION, 'format ' + format_name()]
    synth = [record(co) for co in synthetic_codes()]
    stdlib = [record(co) for co in stdlib_codes()]

    used = sum(len(h) + 1 for h in header) + sum(len(r) for r, _ in synth)
    rng = random.Random(20240531)
    order = list(range(len(stdlib)))
    rng.shuffle(order)
    chosen = []
    for i in order:
        size = len(stdlib[i][0])
        if used + size > args.budget:
            continue
        used += size
        chosen.append(i)
    chosen.sort()
    records = synth + [stdlib[i] for i in chosen]

    n_offsets = sum(len(lines) for _, lines in records)
    n_none = sum(1 for _, lines in records for v in lines if v is None)
    n_exc = sum(len(line.split()) - 1 for r, _ in records for line in r.splitlines()
                if line.startswith('E'))
    header.insert(2, '# %d code objects (%d synthetic, %d of %d stdlib sampled), %d offsets '
                     '(%d without line), %d exception entries'
                  % (len(records), len(synth), len(chosen), len(stdlib), n_offsets, n_none, n_exc))
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, VERSION + '.txt')
    with open(path, 'w', encoding='ascii', newline='\n') as f:
        f.write('\n'.join(header) + '\n')
        for r, _ in records:
            f.write(r)
    print('%s: wrote %s (%d bytes): %s' % (VERSION, os.path.normpath(path), os.path.getsize(path),
                                           header[2][2:]))


if __name__ == '__main__':
    main()
