"""Small pytest suites with real failures against the standard library and installed packages.
Each suite: (name, {filename: source}, [pytest argument variants])."""

SUITES_A = [
    ("jsonlib", {"test_json_roundtrip.py": '''
import json
import pytest


def test_loads_trailing_comma():
    assert json.loads('{"a": 1, "b": [1, 2, 3],}') == {"a": 1, "b": [1, 2, 3]}


def test_dumps_sorted():
    data = {"zeta": 1, "alpha": 2, "mid": [3, 4]}
    assert json.dumps(data, sort_keys=True) == '{"zeta": 1, "alpha": 2, "mid": [3, 4]}'


@pytest.mark.parametrize("indent,expected_lines", [(2, 4), (4, 4), (None, 3)])
def test_indent_lines(indent, expected_lines):
    text = json.dumps({"k": [1, 2]}, indent=indent)
    assert len(text.splitlines()) == expected_lines


def test_nan_rejected():
    with pytest.raises(ValueError):
        json.dumps({"x": float("nan")})


def test_roundtrip_ok():
    assert json.loads(json.dumps({"u": "\\u00e9"})) == {"u": "\\u00e9"}
'''}, [["-q"], ["--tb=short"]]),
    ("paths", {"test_pathlib_ops.py": '''
from pathlib import PurePosixPath
import pytest

CASES = [("archive.tar.gz", ".gz"), ("README", ""), ("config.d/app.conf", ".cfg"), (".bashrc", ".bashrc")]


@pytest.mark.parametrize("name,suffix", CASES)
def test_suffix(name, suffix):
    assert PurePosixPath(name).suffix == suffix


def test_relative_to_outside():
    assert PurePosixPath("/etc/nginx/nginx.conf").relative_to("/usr/share") == PurePosixPath("nginx.conf")


def test_with_suffix_invalid():
    assert PurePosixPath("data/report").with_suffix("csv").name == "report.csv"


def test_parts():
    assert PurePosixPath("/usr/lib/python3/dist-packages").parts == ("/", "usr", "lib", "python3", "site-packages")
'''}, [[], ["-v", "--tb=line"]]),
    ("dates", {"test_dates.py": '''
from datetime import date, datetime, timedelta
from dateutil.relativedelta import relativedelta


def test_parse_iso_week():
    assert datetime.strptime("2024-W07-3", "%Y-W%W-%w").date() == date(2024, 2, 14)


def test_parse_bad_format():
    assert datetime.strptime("31/02/2024 25:61", "%d/%m/%Y %H:%M").year == 2024


def test_month_end_arithmetic():
    assert date(2024, 1, 31) + relativedelta(months=1) == date(2024, 3, 2)


def test_timedelta_total():
    assert timedelta(days=1, hours=3).total_seconds() == 97200.5


def test_leap_day_plus_year():
    assert date(2024, 2, 29) + relativedelta(years=1) == date(2025, 2, 28)
'''}, [["-q", "-rA"], ["--tb=long"]]),
    ("numbers", {"test_decimal_fraction.py": '''
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction
import math
import pytest


def test_quantize_overflow():
    with localcontext() as ctx:
        ctx.prec = 5
        assert Decimal("123456.789").quantize(Decimal("0.01")) == Decimal("123456.79")


def test_limit_denominator():
    assert Fraction(math.pi).limit_denominator(100) == Fraction(22, 7)


@pytest.mark.parametrize("x", [0.1, 0.2, 0.3])
def test_float_sum(x):
    assert x + 0.1 == pytest.approx(x + 0.1000001, rel=1e-9)


def test_isqrt_negative():
    assert math.isqrt(-4) == 2


def test_fsum():
    assert math.fsum([0.1] * 10) == 1.0
'''}, [["--tb=short"], ["-x"]]),
    ("regex", {"test_regex.py": '''
import re
import pytest

LOG = "2024-05-01 12:00:03 WARN [worker-7] retry 3/5 for job=build-1842 after 250ms"


def test_bad_pattern():
    assert re.compile(r"(?P<level>[A-Z]+") is not None


def test_groups():
    m = re.search(r"(\\w+) \\[(worker-\\d+)\\] retry (\\d+)/(\\d+)", LOG)
    assert m.groups() == ("WARN", "worker-7", "3", "6")


@pytest.mark.parametrize("text,ok", [("job=build-1842", True), ("job=build-", True), ("job=", False)], ids=["full", "empty-num", "bare"])
def test_job_id(text, ok):
    assert bool(re.fullmatch(r"job=build-\\d+", text)) is ok


def test_findall_numbers():
    assert re.findall(r"\\d+", LOG) == ["2024", "05", "01", "12", "00", "03", "7", "3", "5", "1842", "250"][:-1]
'''}, [[], ["-q", "--tb=line"]]),
    ("collections", {"test_collections.py": '''
from collections import Counter, OrderedDict, deque


def test_most_common():
    words = "the quick brown fox jumps over the lazy dog the end fox".split()
    assert Counter(words).most_common(3) == [("the", 3), ("fox", 2), ("dog", 1)]


def test_config_dict():
    got = {"host": "127.0.0.1", "port": 5432, "user": "kompress", "options": {"sslmode": "disable", "timeout": 30}}
    want = {"host": "127.0.0.1", "port": 5433, "user": "kompress", "options": {"sslmode": "require", "timeout": 30}}
    assert got == want


def test_deque_maxlen():
    d = deque(range(10), maxlen=4)
    assert list(d) == [0, 1, 2, 3]


def test_ordered_move():
    od = OrderedDict.fromkeys("abcde")
    od.move_to_end("b")
    assert "".join(od) == "abcde"


def test_long_list():
    assert list(range(0, 60, 3)) == list(range(0, 60, 3))[:-1] + [58]
'''}, [["-vv"], []]),
    ("yamlcfg", {"test_config_files.py": '''
import configparser
import yaml


def test_yaml_tab_indent():
    assert yaml.safe_load("server:\\n\\tport: 8080\\n") == {"server": {"port": 8080}}


def test_yaml_types():
    assert yaml.safe_load("version: 1.10\\nenabled: no\\nname: 0x1F\\n") == {"version": "1.10", "enabled": "no", "name": "0x1F"}


def test_ini_duplicate_section():
    cp = configparser.ConfigParser()
    cp.read_string("[db]\\nhost = a\\n[db]\\nhost = b\\n")
    assert cp["db"]["host"] == "b"


def test_ini_interpolation():
    cp = configparser.ConfigParser()
    cp.read_string("[paths]\\nroot = /srv\\nlogs = %(root)s/logs/%(missing)s\\n")
    assert cp["paths"]["logs"] == "/srv/logs/"
'''}, [["--tb=short"], ["-q"]]),
    ("templates", {"test_templates.py": '''
import jinja2
import pytest

ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)


def test_render_missing_var():
    assert ENV.from_string("Hello {{ user.name }}!").render(user={}) == "Hello !"


def test_syntax_error():
    ENV.from_string("{% for x in items %}{{ x }}{% endfor")


@pytest.mark.parametrize("items,want", [([1, 2], "1,2"), ([], ""), (["a"], "a,")])
def test_join(items, want):
    assert ENV.from_string("{{ items|join(',') }}").render(items=items) == want
'''}, [[], ["--tb=long", "-q"]]),
    ("models", {"test_models.py": '''
from typing import List, Optional
from pydantic import BaseModel, Field, field_validator


class Port(BaseModel):
    number: int = Field(ge=1, le=65535)
    protocol: str = "tcp"


class Service(BaseModel):
    name: str
    replicas: int
    ports: List[Port]
    image: Optional[str] = None

    @field_validator("name")
    @classmethod
    def lower(cls, v):
        if v != v.lower():
            raise ValueError("service names must be lower case")
        return v


def test_bad_service():
    Service(name="Web", replicas="three", ports=[{"number": 70000}, {"number": "http"}])


def test_defaults():
    s = Service(name="db", replicas=1, ports=[{"number": 5432}])
    assert s.model_dump() == {"name": "db", "replicas": 1, "ports": [{"number": 5432, "protocol": "udp"}], "image": None}
'''}, [["--tb=short"], []]),
    ("versions", {"test_versions.py": '''
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version


@pytest.mark.parametrize("v,spec,ok", [
    ("1.4.2", ">=1.4,<2", True), ("2.0.0rc1", ">=1.4,<2", False), ("2.0.0rc1", ">=1.4,<2.0", True),
    ("1.10", "~=1.9", True), ("3.0", "!=3.0.*", True),
])
def test_contains(v, spec, ok):
    assert SpecifierSet(spec).contains(v, prereleases=True) is ok


def test_invalid():
    assert Version("1.0-final-beta_2") > Version("1.0")


def test_sorting():
    vs = ["1.0.post1", "1.0", "1.0rc2", "1.0.dev3", "0.9.9"]
    assert sorted(vs, key=Version) == ["0.9.9", "1.0rc2", "1.0.dev3", "1.0", "1.0.post1"]
'''}, [["-q"], ["-rA", "--tb=line"]]),
]

from fixtures_py2 import SUITES as _B  # noqa: E402

SUITES = SUITES_A + _B
