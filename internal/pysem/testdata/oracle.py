"""The Python side of pysem's table test (entrypoints_test.go).

Reads {"inputs": [str, ...], "dir": tmpdir} as JSON on stdin and prints, as
JSON, what Python and Ansible's own inventory plugins make of each input at
every place kook reproduces Python's semantics: int(s), repr(s), the INI,
YAML and script plugins reading s as ansible_group_priority (as text, as a
quoted string, as a raw JSON value) and the INI plugin expanding the host
range h[s:s]. It also prints, as ranges of code points, which characters
str.isspace(), str.isdecimal(), str.isprintable(), re's \\w and
str.splitlines() (as a line break) accept. It must run under the
interpreter ansible-inventory runs under, with ansible importable.
"""
import json
import os
import re
import sys

from ansible.inventory.data import InventoryData
from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

LOADER = DataLoader()


def failed(e):
    return {'error': str(e)}


def read_g(plugin, path, answer):
    """answer(g) for group g as plugin reads path, or the failure."""
    inv = InventoryData()
    try:
        inventory_loader.get(plugin).parse(inv, LOADER, path, cache=False)
    except Exception as e:  # noqa: BLE001 - any failure is an answer
        return failed(e)
    g = inv.groups.get('g')
    if g is None:
        return {'error': 'no group g'}
    return answer(g)


def priority(plugin, path):
    return read_g(plugin, path, lambda g: {'int': str(g.priority)})


def hosts(plugin, path):
    return read_g(plugin, path, lambda g: {'hosts': [h.name for h in g.get_hosts()]})


def var_json(plugin, path):
    """The var v of group g as ansible-inventory prints it (JSON)."""
    def answer(g):
        try:
            return {'json': json.dumps(g.vars.get('v'), cls=AnsibleJSONEncoder, preprocess_unsafe=True, sort_keys=True)}
        except Exception as e:  # noqa: BLE001 - Ansible fails to print it
            return failed(e)
    return read_g(plugin, path, answer)


def write(path, text):
    with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
        f.write(text)
    return path


def script(path, doc):
    write(path + '.json', doc)
    write(path, '#!%s\nimport sys\nsys.stdout.write(open(sys.argv[0] + ".json", encoding="utf-8").read() if sys.argv[1] == "--list" else "{}")\n' % sys.executable)
    os.chmod(path, 0o755)
    return path


def pyint(v):
    try:
        return {'int': str(int(v))}
    except Exception as e:  # noqa: BLE001
        return failed(e)


def ranges(pred):
    out, start = [], None
    for c in range(0x110000):
        if pred(chr(c)):
            if start is None:
                start = c
        elif start is not None:
            out.append([start, c - 1])
            start = None
    if start is not None:
        out.append([start, 0x10FFFF])
    return out


def main():
    req = json.load(sys.stdin)
    d = req['dir']
    yaml_doc = 'all:\n  children:\n    g:\n      hosts:\n        h:\n      vars:\n        ansible_group_priority: %s\n'
    cases = []
    for i, s in enumerate(req['inputs']):
        quoted = json.dumps(s, ensure_ascii=False)
        try:
            raw = json.loads(s)
            raw_ok = True
        except ValueError:
            raw_ok = False
        c = {
            'input': s,
            'repr': repr(s),
            'int': pyint(s),
            'ini': priority('ini', write(os.path.join(d, '%d.ini' % i), '[g]\nh\n[g:vars]\nansible_group_priority=%s\n' % s)),
            'ini_var': var_json('ini', write(os.path.join(d, '%d-var.ini' % i), '[g]\nh\n[g:vars]\nv=%s\n' % s)),
            'ini_range': hosts('ini', write(os.path.join(d, '%d-range.ini' % i), '[g]\nh[%s:%s]\n' % (s, s))),
            'yaml_str': priority('yaml', write(os.path.join(d, '%d-str.yml' % i), yaml_doc % quoted)),
            'yaml_plain': priority('yaml', write(os.path.join(d, '%d-plain.yml' % i), yaml_doc % s)),
            'script_str': priority('script', script(os.path.join(d, '%d-str.sh' % i), json.dumps({'_meta': {'hostvars': {}}, 'g': {'hosts': ['h'], 'vars': {'ansible_group_priority': s}}}))),
        }
        c['kook_str'] = c['int']
        if raw_ok:
            c['int_json'] = pyint(raw)
            c['script_raw'] = priority('script', script(os.path.join(d, '%d-raw.sh' % i), '{"_meta": {"hostvars": {}}, "g": {"hosts": ["h"], "vars": {"ansible_group_priority": %s}}}' % s))
        cases.append(c)
    word = re.compile(r'\w')
    json.dump({
        'cases': cases,
        'isspace': ranges(str.isspace),
        'isdecimal': ranges(str.isdecimal),
        'word': ranges(lambda ch: word.match(ch) is not None),
        'isprintable': ranges(str.isprintable),
        'linebreak': ranges(lambda ch: len(('a' + ch + 'b').splitlines()) == 2),
        'unidata': __import__('unicodedata').unidata_version,
    }, sys.stdout, ensure_ascii=True)


main()
