#!/usr/bin/env python3
"""Generate src/cpython/opcodes_data.inc: per-version opcode tables for src/cpython/opcodes.cpp.

Two modes:

  <python3.X> tools/gen_opcodes.py --dump
      Print, as JSON, the table of the running interpreter: for each opcode number 0..255 its
      name, its base (deoptimised) opcode and its inline cache entry count, or null if unused.

  python3 tools/gen_opcodes.py [--out src/cpython/opcodes_data.inc] [PYTHON ...]
      Run --dump with every PYTHON (default: the interpreters listed in DEFAULT_PYTHONS that
      exist), check that interpreters of the same minor version agree exactly, and write the
      .inc file (one table per minor version, the first interpreter of each minor is the source).

What goes into a table (everything comes from the interpreter's own opcode/dis modules):
  * name: opcode.opname, overlaid with the specialised instruction names
    (3.11/3.12: dis._all_opname, built from opcode._specialized_instructions;
     3.13+: opcode._specialized_opmap);
  * base: the family head from opcode._specializations / dis._specializations for specialised
    instructions; X for INSTRUMENTED_X when X exists; the opcode itself otherwise
    (INSTRUMENTED_LINE, INSTRUMENTED_INSTRUCTION and ENTER_EXECUTOR stand for an instruction kept
    elsewhere at run time and so remain their own base);
  * caches: opcode._inline_cache_entries of the base instruction (a list indexed by opcode in
    3.11/3.12, a dict (3.15: frozendict) by name in 3.13+; absent before 3.11 = 0). Specialised and instrumented
    instructions keep their base's cache layout in the bytecode.

--dump also checks the table against real bytecode of that interpreter (see verify_table) and
fails instead of emitting a table that disagrees with it.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, '..', 'src', 'cpython', 'opcodes_data.inc'))
DEFAULT_PYTHONS = [
    '/root/.pyenv/versions/3.6.15/bin/python3',
    '/root/.pyenv/versions/3.7.16/bin/python3',
    '/root/.pyenv/versions/3.8.18/bin/python3',
    '/root/.pyenv/versions/3.9.18/bin/python3',
    '/root/.pyenv/versions/3.10.13/bin/python3',
    '/root/.pyenv/versions/3.11.7/bin/python3',
    '/root/.pyenv/versions/3.12.1/bin/python3',
    '/root/.pyenv/versions/3.13.0/bin/python3',
    '/root/.cache/pyhang-pythons/trixie313/usr/bin/python3.13',  # 3.13.5: must equal 3.13.0
    '/root/.cache/pyhang-pythons/sid314/usr/bin/python3.14',
    '/root/.cache/pyhang-pythons/sid315/usr/bin/python3.15',
]


def dump_table():
    """The running interpreter's table: list of 256 entries [name, base, caches] or None."""
    import dis
    import opcode

    names = list(getattr(dis, '_all_opname', opcode.opname))[:256]
    names += ['<%d>' % i for i in range(len(names), 256)]
    for mod in (opcode, dis):
        spec_map = getattr(mod, '_specialized_opmap', None)
        if hasattr(spec_map, 'items'):  # dict, or frozendict in 3.15
            for name, num in spec_map.items():
                if num < 256:
                    if not names[num].startswith('<') and names[num] != name:
                        raise SystemExit('opcode %d is both %s and %s' % (num, names[num], name))
                    names[num] = name
    number = {}
    for num, name in enumerate(names):
        if name.startswith('<'):
            continue
        if name in number:
            raise SystemExit('duplicate opcode name %s' % name)
        number[name] = num
    for name in getattr(opcode, '_specialized_instructions', []):
        if name not in number:
            raise SystemExit('specialised instruction %s has no number' % name)

    families = getattr(opcode, '_specializations', None)
    if families is None:
        families = getattr(dis, '_specializations', {})
    deopt = {}
    for base, family in families.items():
        for name in family:
            deopt[name] = base

    raw_caches = getattr(opcode, '_inline_cache_entries', None)

    def caches_of(name):
        if raw_caches is None:
            return 0
        if hasattr(raw_caches, 'get'):  # a dict (3.13, 3.14) or a frozendict (3.15)
            return int(raw_caches.get(name, 0))
        num = opcode.opmap.get(name)
        return int(raw_caches[num]) if num is not None and num < len(raw_caches) else 0

    table = []
    for num, name in enumerate(names):
        if name.startswith('<'):
            table.append(None)
            continue
        if name in deopt:
            base = deopt[name]
        elif name.startswith('INSTRUMENTED_') and name[len('INSTRUMENTED_'):] in number:
            base = name[len('INSTRUMENTED_'):]
        else:
            base = name
        if base not in number:
            raise SystemExit('%s: base %s has no number' % (name, base))
        if base in deopt:
            raise SystemExit('%s: base %s is itself specialised' % (name, base))
        table.append([name, number[base], caches_of(base)])
    return {'version': list(sys.version_info[:3]), 'table': table}


def verify_table(table):
    """Check the table against real bytecode of the running interpreter; returns a summary.

    1. co_code of many stdlib code objects: after every instruction exactly `caches` CACHE (0)
       units follow, and every opcode met is known.
    2. 3.11+: after warming up a function so that it specialises (and, on 3.12+, after enabling
       sys.monitoring events so that INSTRUMENTED_* opcodes appear), walking _co_code_adaptive
       with the table lands on the same instruction boundaries as co_code and every adaptive
       opcode's base is the co_code opcode.
    """
    import collections
    import importlib.util
    import json
    import types

    def codes(co):
        yield co
        for c in co.co_consts:
            if isinstance(c, types.CodeType):
                yield from codes(c)

    static = 0
    for mod in ('threading', 'queue', 'asyncio.tasks', 'json.decoder', 'dataclasses', 'typing'):
        spec = importlib.util.find_spec(mod)
        if spec is None:  # dataclasses is 3.7+
            continue
        with open(spec.origin, encoding='utf-8') as f:
            top = compile(f.read(), mod, 'exec', dont_inherit=True)
        for co in codes(top):
            b = co.co_code
            i = 0
            while i < len(b):
                entry = table[b[i]]
                if entry is None:
                    raise SystemExit('%s: unknown opcode %d in %s' % (mod, b[i], co.co_name))
                for k in range(1, entry[2] + 1):
                    if i + 2 * k >= len(b) or b[i + 2 * k] != 0:
                        raise SystemExit('%s: %s at %d not followed by %d caches'
                                         % (mod, entry[0], i, entry[2]))
                static += 1
                i += 2 * (entry[2] + 1)

    def hot(n):
        d = json.loads('{"a": [1, 2, 3], "b": {"c": 1.5}}')
        od = collections.OrderedDict(a=1)
        od['b'] = n
        items = [x * 2 for x in range(10)]
        total = 0
        for x in items:
            if x > 3:
                total += x + od['a'] + len(d['a'])
        return total + items[1] + int(d['b']['c'])

    adaptive = specialised = instrumented = 0

    def walk(co):
        nonlocal adaptive, specialised, instrumented
        ad = getattr(co, '_co_code_adaptive', None)
        if ad is None:
            return
        b = co.co_code
        i = 0
        while i < len(b):
            entry = table[ad[i]]
            if entry is None or entry[1] != b[i]:
                raise SystemExit('adaptive opcode %d at %d of %s does not deoptimise to %d'
                                 % (ad[i], i, co.co_name, b[i]))
            adaptive += 1
            specialised += entry[1] != ad[i]
            instrumented += entry[0].startswith('INSTRUMENTED_')
            i += 2 * (table[b[i]][2] + 1)

    if sys.version_info >= (3, 11):
        for n in range(2000):
            hot(n)
        walk(hot.__code__)
        mon = getattr(sys, 'monitoring', None)
        if mon is not None:
            tool = 4
            mon.use_tool_id(tool, 'gen_opcodes')
            ev = mon.events
            events = ev.CALL | ev.PY_START | ev.PY_RETURN | ev.JUMP | ev.BRANCH
            mon.set_local_events(tool, hot.__code__, events)
            hot(0)
            walk(hot.__code__)
            mon.set_local_events(tool, hot.__code__, 0)
            mon.free_tool_id(tool)
    return ('verified: %d static instructions, %d adaptive (%d specialised, %d instrumented)'
            % (static, adaptive, specialised, instrumented))


def c_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def write_inc(path, tables, sources, checked, cmdline):
    lines = [
        '// Generated by tools/gen_opcodes.py from each interpreter\'s own opcode/dis modules.',
        '// DO NOT EDIT. Regenerate (from the repository root) with',
        '//   python3 tools/gen_opcodes.py --out src/cpython/opcodes_data.inc PYTHON...',
        '// where PYTHON... were:',
    ]
    for py in cmdline:
        lines.append('//   %s' % py)
    lines += [
        '// Sources: ' + ', '.join('3.%d = %s' % (m, sources[m]) for m in sorted(tables)[:4]) + ',',
        '//          ' + ', '.join('3.%d = %s' % (m, sources[m]) for m in sorted(tables)[4:]) + '.',
    ]
    for minor in sorted(checked):
        lines.append('// 3.%d: %s produce identical tables.' % (minor, ', '.join(checked[minor])))
    lines += [
        '//',
        '// Included by src/cpython/opcodes.cpp, which defines',
        '//   struct RawOpcode { const char* name; uint8_t base; uint8_t caches; };',
        '//   struct OpcodeTable { int minor; const RawOpcode* ops; };',
        '// name == nullptr: the opcode number is unused in that version. base: the generic opcode a',
        '// specialised / INSTRUMENTED_ one stands for (itself otherwise). caches: inline cache code',
        '// units following the instruction.',
        '',
    ]
    for minor in sorted(tables):
        lines.append('// Python %s' % sources[minor])
        lines.append('constexpr RawOpcode kOpcodes3_%d[256] = {' % minor)
        for num, entry in enumerate(tables[minor]):
            if entry is None:
                lines.append('    {nullptr, %d, 0},  // %d' % (num, num))
            else:
                name, base, caches = entry
                lines.append('    {%s, %d, %d},  // %d' % (c_string(name), base, caches, num))
        lines.append('};')
        lines.append('')
    lines.append('constexpr OpcodeTable kOpcodeTables[] = {')
    for minor in sorted(tables):
        lines.append('    {%d, kOpcodes3_%d},' % (minor, minor))
    lines.append('};')
    with open(path, 'w', encoding='ascii', newline='\n') as f:
        f.write('\n'.join(lines) + '\n')


def generate(out, pythons):
    tables, sources, checked = {}, {}, {}
    for py in pythons:
        res = subprocess.run([py, os.path.abspath(__file__), '--dump'], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True)
        data = json.loads(res.stdout)
        major, minor, micro = data['version']
        ver = '%d.%d.%d' % (major, minor, micro)
        table = data['table']
        if major != 3 or len(table) != 256:
            raise SystemExit('%s: unexpected version %s or table size' % (py, ver))
        if minor in tables:
            if table != tables[minor]:
                diff = [n for n in range(256) if table[n] != tables[minor][n]]
                raise SystemExit('%s (%s) differs from %s at opcodes %s' % (py, ver, sources[minor],
                                                                           diff))
            checked.setdefault(minor, [sources[minor]]).append(ver)
            print('%s: identical to %s; %s' % (ver, sources[minor], data['verified']))
            continue
        tables[minor] = table
        sources[minor] = ver
        named = sum(1 for e in table if e)
        derived = sum(1 for n, e in enumerate(table) if e and e[1] != n)
        print('%s: %d opcodes, %d specialised/instrumented; %s' % (ver, named, derived,
                                                                 data['verified']))
    write_inc(out, tables, sources, checked, pythons)
    print('wrote', out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dump', action='store_true', help="print this interpreter's table as JSON")
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('pythons', nargs='*')
    args = ap.parse_args()
    if args.dump:
        data = dump_table()
        data['verified'] = verify_table(data['table'])
        json.dump(data, sys.stdout)
        sys.stdout.write('\n')
        return
    pythons = args.pythons or [p for p in DEFAULT_PYTHONS if os.path.exists(p)]
    generate(args.out, pythons)


if __name__ == '__main__':
    main()
