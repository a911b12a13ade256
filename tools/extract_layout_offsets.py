#!/usr/bin/env python3
"""Extract, from an interpreter's own DWARF, the offsets of every field pyhang's layout table has.

    python3 tools/extract_layout_offsets.py [--out tests/data/offsets] [LIBPYTHON ...]

For each LIBPYTHON (a libpython*.so or python executable with debug information; default: the
pyenv builds listed in DEFAULT_TARGETS that exist) gdb evaluates, for every field of
PYHANG_LAYOUT_FIELDS (src/cpython/layout.h), the candidate expressions in FIELDS below; the first
that the DWARF can evaluate gives the value. A field none of whose expressions evaluates is
absent from that version (null). The result goes to OUT/<X.Y>.json:

    {"version": "3.8.18", "source": "<path>", "fields": {"rt_finalizing": 16, ..., "f_stackdepth": null}}

tests/unit/layout_offsets_test.cpp compares the compiled-in table with these files: every
offset the table sets must equal the DWARF value, and a field the DWARF does not have must be -1
in the table. (The table may leave -1 a field that exists but that pyhang does not read in that
version, e.g. PyFrameObject.f_back in 3.11+.)

3.6 has no _PyRuntimeState: its rt_* fields are located through symbols at run time (null here).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, '..', 'tests', 'data', 'offsets'))
PYENV = '/root/.pyenv/versions'
DEFAULT_TARGETS = [
    PYENV + '/3.6.15/lib/libpython3.6m.so.1.0',
    PYENV + '/3.7.16/lib/libpython3.7m.so.1.0',
    PYENV + '/3.8.18/lib/libpython3.8.so.1.0',
    PYENV + '/3.9.18/lib/libpython3.9.so.1.0',
    PYENV + '/3.10.13/lib/libpython3.10.so.1.0',
    PYENV + '/3.11.7/lib/libpython3.11.so.1.0',
    PYENV + '/3.12.1/lib/libpython3.12.so.1.0',
    PYENV + '/3.13.0/lib/libpython3.13.so.1.0',
]


def off(struct, path):
    return '(long)&((%s*)0)->%s' % (struct, path)


RT = '_PyRuntimeState'
IS = 'PyInterpreterState'
TS = 'PyThreadState'
FO = 'PyFrameObject'
IF = '_PyInterpreterFrame'
CO = 'PyCodeObject'
SQ = 'simplequeueobject'

# field -> candidate gdb expressions, first that evaluates wins.
FIELDS = {
    'rt_finalizing': [off(RT, '_finalizing'), off(RT, 'finalizing')],
    'rt_interp_head': [off(RT, 'interpreters.head')],
    'rt_main_thread': [off(RT, 'main_thread')],
    'rt_gil': [off(RT, 'ceval.gil')],
    'rt_gilstate_current': [off(RT, 'gilstate.tstate_current')],
    'rt_gc_collecting': [off(RT, 'gc.collecting')],
    'is_next': [off(IS, 'next')],
    'is_threads_head': [off(IS, 'threads.head'), off(IS, 'tstate_head')],
    'is_threads_main': [off(IS, 'threads.main')],
    'is_id': [off(IS, 'id')],
    'is_modules': [off(IS, 'imports.modules'), off(IS, 'modules')],
    'is_sysdict': [off(IS, 'sysdict')],
    'is_gc_collecting': [off(IS, 'gc.collecting')],
    'is_ceval_gil': [off(IS, 'ceval.gil')],
    'ts_next': [off(TS, 'next')],
    'ts_interp': [off(TS, 'interp')],
    'ts_frame': [off(TS, 'frame')],
    'ts_cframe': [off(TS, 'cframe')],
    'cf_current_frame': [off('_PyCFrame', 'current_frame'), off('CFrame', 'current_frame')],
    'ts_current_frame': [off(TS, 'current_frame')],
    'ts_thread_id': [off(TS, 'thread_id')],
    'ts_native_thread_id': [off(TS, 'native_thread_id')],
    'ts_status': [off(TS, '_status')],
    'ts_holds_gil': [off(TS, 'holds_gil')],
    'ts_state': [off(TS, 'state')],
    'f_back': [off(FO, 'f_back')],
    'f_code': [off(FO, 'f_code')],
    'f_locals': [off(FO, 'f_locals')],
    'f_valuestack': [off(FO, 'f_valuestack')],
    'f_stacktop': [off(FO, 'f_stacktop')],
    'f_stackdepth': [off(FO, 'f_stackdepth')],
    'f_lasti': [off(FO, 'f_lasti')],
    'f_iblock': [off(FO, 'f_iblock')],
    'f_blockstack': [off(FO, 'f_blockstack')],
    'f_localsplus': [off(FO, 'f_localsplus')],
    'if_code': [off(IF, 'f_executable'), off(IF, 'f_code')],
    'if_previous': [off(IF, 'previous')],
    'if_locals': [off(IF, 'f_locals')],
    'if_instr': [off(IF, 'instr_ptr'), off(IF, 'prev_instr')],
    'if_stacktop': [off(IF, 'stacktop')],
    'if_stackpointer': [off(IF, 'stackpointer')],
    'if_is_entry': [off(IF, 'is_entry')],
    'if_owner': [off(IF, 'owner')],
    'if_localsplus': [off(IF, 'localsplus')],
    'co_argcount': [off(CO, 'co_argcount')],
    'co_posonlyargcount': [off(CO, 'co_posonlyargcount')],
    'co_kwonlyargcount': [off(CO, 'co_kwonlyargcount')],
    'co_nlocals': [off(CO, 'co_nlocals')],
    'co_stacksize': [off(CO, 'co_stacksize')],
    'co_flags': [off(CO, 'co_flags')],
    'co_firstlineno': [off(CO, 'co_firstlineno')],
    'co_code': [off(CO, 'co_code')],
    'co_varnames': [off(CO, 'co_varnames')],
    'co_freevars': [off(CO, 'co_freevars')],
    'co_cellvars': [off(CO, 'co_cellvars')],
    'co_cell2arg': [off(CO, 'co_cell2arg')],
    'co_nlocalsplus': [off(CO, 'co_nlocalsplus')],
    'co_ncellvars': [off(CO, 'co_ncellvars')],
    'co_nfreevars': [off(CO, 'co_nfreevars')],
    'co_localsplusnames': [off(CO, 'co_localsplusnames')],
    'co_localspluskinds': [off(CO, 'co_localspluskinds')],
    'co_filename': [off(CO, 'co_filename')],
    'co_name': [off(CO, 'co_name')],
    'co_qualname': [off(CO, 'co_qualname')],
    'co_linetable': [off(CO, 'co_linetable'), off(CO, 'co_lnotab')],
    'co_exceptiontable': [off(CO, 'co_exceptiontable')],
    'co_firsttraceable': [off(CO, '_co_firsttraceable')],
    'co_names': [off(CO, 'co_names')],
    'co_code_adaptive': [off(CO, 'co_code_adaptive')],
    'tuple_items': [off('PyTupleObject', 'ob_item')],
    'str_ascii_size': ['(long)sizeof(PyASCIIObject)'],
    'str_compact_size': ['(long)sizeof(PyCompactUnicodeObject)'],
    'str_legacy_data': [off('PyUnicodeObject', 'data')],
    'func_code': [off('PyFunctionObject', 'func_code')],
    'func_name': [off('PyFunctionObject', 'func_name')],
    'func_qualname': [off('PyFunctionObject', 'func_qualname')],
    'ht_cached_keys': [off('PyHeapTypeObject', 'ht_cached_keys')],
    'gen_frame': [off('PyGenObject', 'gi_frame')],
    'gen_code': [off('PyGenObject', 'gi_code')],
    'gen_name': [off('PyGenObject', 'gi_name')],
    'gen_qualname': [off('PyGenObject', 'gi_qualname')],
    'gen_frame_state': [off('PyGenObject', 'gi_frame_state')],
    'gen_iframe': [off('PyGenObject', 'gi_iframe')],
    'owner_cstack': ['(long)FRAME_OWNED_BY_CSTACK'],
    'owner_interpreter': ['(long)FRAME_OWNED_BY_INTERPRETER'],
    'ts_asyncio_running_loop': [off('_PyThreadStateImpl', 'asyncio_running_loop')],
    'ts_asyncio_running_task': [off('_PyThreadStateImpl', 'asyncio_running_task')],
    'ts_asyncio_tasks_head': [off('_PyThreadStateImpl', 'asyncio_tasks_head')],
    'is_asyncio_tasks_head': [off(IS, 'asyncio_tasks_head')],
    # _queue.SimpleQueue (the _queue extension module, lib-dynload/_queue*.so)
    'sq_lst': [off(SQ, 'lst')],
    'sq_lst_pos': [off(SQ, 'lst_pos')],
    'sq_ring_get_idx': [off(SQ, 'buf.get_idx')],
    'sq_ring_items': [off(SQ, 'buf.items')],
    'sq_ring_cap': [off(SQ, 'buf.items_cap')],
    'sq_ring_count': [off(SQ, 'buf.num_items')],
}

LAYOUT_H = os.path.normpath(os.path.join(HERE, '..', 'src', 'cpython', 'layout.h'))


def layout_fields():
    """The field names of PYHANG_LAYOUT_FIELDS, in order."""
    with open(LAYOUT_H, encoding='utf-8') as f:
        text = f.read()
    block = text[text.index('#define PYHANG_LAYOUT_FIELDS'):]
    block = block[:block.index('\n\n')]
    return re.findall(r'\bX\((\w+)\)', block)


def version_of(path):
    m = re.search(r'/(\d+\.\d+\.\d+)/', path)
    return m.group(1) if m else None


def extract(path):
    names = layout_fields()
    missing = [n for n in names if n not in FIELDS]
    if missing:
        raise SystemExit('no DWARF expression for layout fields: %s' % ', '.join(missing))
    # One gdb run; its embedded Python evaluates every candidate and prints "name index value".
    exprs = [(name, i, expr) for name in names for i, expr in enumerate(FIELDS[name])]
    # The _queue extension module next to the library (absent in 3.6, built in elsewhere).
    lib = os.path.dirname(path)
    modules = [os.path.join(root, f) for root, _, files in os.walk(lib) if root.endswith('lib-dynload')
               for f in files if f.startswith('_queue.') and f.endswith('.so')]
    gdb_py = (
        'import gdb\n'
        + ''.join('gdb.execute(%r, to_string=True)\n' % ('add-symbol-file ' + m) for m in modules[:1]) +
        'for name, i, expr in %r:\n'
        '    try:\n'
        '        print("@@", name, i, int(gdb.parse_and_eval(expr)))\n'
        '    except gdb.error:\n'
        '        pass\n' % (exprs,))
    with tempfile.NamedTemporaryFile('w', suffix='.py') as script:
        script.write(gdb_py)
        script.flush()
        res = subprocess.run(['gdb', '-nx', '-batch', path, '-x', script.name],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
    values = {}
    for line in res.stdout.splitlines():
        m = re.match(r'@@ (\w+) (\d+) (-?\d+)\s*$', line)
        if m:
            values.setdefault(m.group(1), {})[int(m.group(2))] = int(m.group(3))
    out = {}
    for name in names:
        found = values.get(name, {})
        out[name] = found[min(found)] if found else None
    if out.get('tuple_items') is None:
        raise SystemExit('%s: no DWARF type information (is it built with -g?)' % path)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('targets', nargs='*')
    args = ap.parse_args()
    targets = args.targets or [t for t in DEFAULT_TARGETS if os.path.exists(t)]
    os.makedirs(args.out, exist_ok=True)
    for path in targets:
        version = version_of(path)
        if not version:
            raise SystemExit('%s: cannot tell the version from the path' % path)
        fields = extract(path)
        minor = '.'.join(version.split('.')[:2])
        dest = os.path.join(args.out, minor + '.json')
        with open(dest, 'w', encoding='ascii', newline='\n') as f:
            json.dump({'version': version, 'source': path, 'fields': fields}, f, indent=1)
            f.write('\n')
        print('%s: %d fields present, wrote %s' % (version, sum(v is not None for v in fields.values()), dest))


if __name__ == '__main__':
    main()
