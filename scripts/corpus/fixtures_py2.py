"""More pytest suites (see fixtures_py.py)."""

SUITES = [
    ("imports", {"test_imports.py": '''
import kompress_missing_helpers  # noqa: F401


def test_never_runs():
    assert True
''', "test_ok_module.py": '''
import statistics


def test_mean():
    assert statistics.mean([1, 2, 3, 4]) == 2.5


def test_median():
    assert statistics.median([5, 1, 3]) == 1
'''}, [[], ["-q"]]),
    ("fixtures", {"test_fixtures.py": '''
import sqlite3
import pytest


@pytest.fixture
def db():
    con = sqlite3.connect(":memory:")
    con.execute("create table jobs (id integer primary key, name text not null)")
    yield con
    con.close()


@pytest.fixture
def broken_db():
    con = sqlite3.connect(":memory:")
    con.execute("create tabel jobs (id integer)")
    return con


def test_insert(db):
    db.execute("insert into jobs (name) values (?)", (None,))


def test_uses_broken(broken_db):
    assert broken_db is not None


def test_missing_fixture(database_url):
    assert database_url.startswith("postgres://")


def test_count(db):
    db.executemany("insert into jobs (name) values (?)", [("a",), ("b",)])
    assert db.execute("select count(*) from jobs").fetchone()[0] == 3
'''}, [[], ["--tb=short", "-q"]]),
    ("graphs", {"test_graphs.py": '''
import networkx as nx


def build():
    g = nx.DiGraph()
    g.add_edges_from([("fetch", "parse"), ("parse", "index"), ("index", "serve"), ("lint", "build")])
    return g


def test_no_path():
    assert nx.shortest_path(build(), "fetch", "build") == ["fetch", "build"]


def test_topo():
    assert list(nx.topological_sort(build()))[:3] == ["lint", "fetch", "build"]


def test_cycle():
    g = build()
    g.add_edge("serve", "fetch")
    assert nx.is_directed_acyclic_graph(g)
'''}, [["--tb=short"], ["-x", "-q"]]),
    ("cli", {"test_cli.py": '''
import click
from click.testing import CliRunner


@click.command()
@click.option("--count", type=int, required=True)
@click.argument("name")
def hello(count, name):
    for _ in range(count):
        click.echo(f"Hello {name}")


def test_output():
    r = CliRunner().invoke(hello, ["--count", "2", "Ada"])
    assert r.output == "Hello Ada\\nHello Ada\\nHello Ada\\n"


def test_bad_option():
    r = CliRunner().invoke(hello, ["--count", "two", "Ada"])
    assert r.exit_code == 0, r.output


def test_missing_arg():
    r = CliRunner().invoke(hello, ["--count", "1"])
    assert "Missing argument" in r.output
'''}, [[], ["-vv", "--tb=short"]]),
    ("urls", {"test_urls.py": '''
from urllib.parse import quote, urlencode, urlparse
import requests
import pytest


def test_port():
    assert urlparse("http://127.0.0.1:80800/api").port == 80800


def test_quote():
    assert quote("a b/c?d=é") == "a%20b/c%3Fd%3D%C3%A9"


def test_prepare_missing_schema():
    requests.Request("GET", "127.0.0.1/status").prepare()


@pytest.mark.parametrize("params", [{"q": "x y"}, {"tags": ["a", "b"]}])
def test_urlencode(params):
    assert urlencode(params) == "q=x+y"
'''}, [["-q"], ["--tb=long"]]),
    ("algebra", {"test_algebra.py": '''
import sympy as sp

x, y = sp.symbols("x y")


def test_simplify():
    assert sp.simplify((x**2 - 1) / (x - 1)) == x - 1


def test_solve():
    assert sp.solve(x**2 - 5 * x + 6, x) == [2, 4]


def test_diff():
    assert sp.diff(sp.sin(x) * sp.exp(y * x), x) == sp.cos(x) * sp.exp(x * y)
'''}, [["--tb=short"]]),
    ("text", {"test_textwrap_csv.py": '''
import csv
import io
import textwrap

TEXT = ("Compression of tool outputs keeps the lines an agent needs: error messages, file paths, "
        "line numbers and the values that an assertion compared.")


def test_fill():
    assert textwrap.fill(TEXT, width=40) == textwrap.fill(TEXT, width=42)


def test_csv_strict():
    rows = list(csv.reader(io.StringIO('id,name\\n1,"unterminated\\n2,ok\\n'), strict=True))
    assert len(rows) == 3


def test_dedent():
    assert textwrap.dedent("    a\\n      b\\n") == "a\\nb\\n"
'''}, [[], ["-q", "--tb=line"]]),
]
