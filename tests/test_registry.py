"""The method registry is the one source of methods and their parameters: the trainers'
validation, ``wordlab train``'s options and help, and the README's generated blocks."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from wordlab import docgen
from wordlab.cli.main import cli
from wordlab.errors import ParameterError
from wordlab.params import Boolean, Integer, Options, Real
from wordlab.trainers import METHODS, make_trainer, registry
from wordlab.trainers.registry import REGISTRY

REPO = Path(__file__).resolve().parents[1]


def test_the_readme_blocks_are_current():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "<!-- generated: methods -->" in text and "<!-- generated: train-synopsis -->" in text
    assert docgen.stale_blocks(text) == [], "run: python -m wordlab.docgen README.md"


def test_the_benchmark_tables_in_evals_readme_are_the_files_the_scripts_wrote():
    readme = REPO / "evals" / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert "<!-- generated: results/faults -->" in text
    assert docgen.stale_blocks(text, readme.parent) == [], "run: python -m wordlab.docgen evals/README.md"
    for path in (REPO / "evals" / "results").glob("*.md"):
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("`python evals/") and "revision" in header, path


def test_a_results_block_is_the_file(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "bench.md").write_text("`python evals/bench.py`, revision x\n\n| a |\n", encoding="utf-8")
    text = "<!-- generated: results/bench -->\nold\n<!-- end: results/bench -->\n"
    assert docgen.stale_blocks(text, tmp_path) == ["results/bench"]
    assert "| a |" in docgen.render(text, tmp_path)
    with pytest.raises(KeyError, match="--results"):
        docgen.render("<!-- generated: results/none -->\n<!-- end: results/none -->", tmp_path)


def test_a_stale_block_is_found_and_rewritten():
    text = "intro\n<!-- generated: methods -->\nold table\n<!-- end: methods -->\ntail\n"
    assert docgen.stale_blocks(text) == ["methods"]
    new = docgen.render(text)
    assert docgen.stale_blocks(new) == [] and new.startswith("intro\n") and new.endswith("tail\n")
    assert all(f"`{name}`" in new for name in REGISTRY)
    with pytest.raises(KeyError, match="nosuch"):
        docgen.render("<!-- generated: nosuch -->\n<!-- end: nosuch -->")


def test_methods_are_the_registry():
    assert METHODS == tuple(REGISTRY)
    for name, method in REGISTRY.items():
        trainer = make_trainer(name, **method.small)
        assert isinstance(trainer, method.trainer)
        assert all(getattr(trainer, k) == v for k, v in method.fixed.items())


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_parameter_is_declared_with_a_default_that_passes_its_rule(name):
    method = REGISTRY[name]
    params, defaults = method.parameters(), method.defaults()
    assert set(params) == set(defaults)
    for pname, param in params.items():
        assert param.help.strip(), f"{name}.{pname} has no help"
        if defaults[pname] is not None:
            assert param.constraint.accepts(defaults[pname]), f"{name}.{pname} default {defaults[pname]!r}"
    make_trainer(name).validate()          # the defaults as a whole are valid too


def _bad_values(constraint):
    if isinstance(constraint, Integer):
        bad = [2.5, True]
        bad += [constraint.low - 1] if constraint.low is not None else []
        bad += [constraint.high + 1] if constraint.high is not None else []
        return bad
    if isinstance(constraint, Real):
        return [math.nan, math.inf, "0.1"]
    if isinstance(constraint, Options):
        return ["no-such-option"]
    if isinstance(constraint, Boolean):
        return ["yes"]
    raise AssertionError(constraint)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_the_api_refuses_each_bad_value_naming_the_parameter(name):
    method = REGISTRY[name]
    for pname, param in method.parameters().items():
        for value in _bad_values(param.constraint):
            with pytest.raises(ParameterError, match=pname):
                make_trainer(name, **{pname: value}).validate()


@pytest.mark.parametrize("name", list(REGISTRY))
def test_a_parameter_of_another_method_is_refused(name):
    others = [p for p in registry.all_parameters() if p not in REGISTRY[name].parameters()]
    assert others
    for pname in others:
        with pytest.raises(ParameterError, match=f"{pname}.*{name}"):
            make_trainer(name, **{pname: 1})


def test_train_help_lists_every_cli_parameter_with_each_methods_default():
    result = CliRunner().invoke(cli, ["train", "--help"], terminal_width=400)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for pname, param in registry.all_parameters().items():
        if param.cli:
            assert f"--{pname.replace('_', '-')}" in text
            assert f"[default: {registry.defaults_by_method(pname)}]" in text, pname
    assert "--method [" + "|".join(REGISTRY) + "]" in text


@pytest.mark.parametrize("name", list(REGISTRY))
def test_train_refuses_an_option_of_another_method_before_any_work(name, tmp_path):
    others = [p for p, param in registry.all_parameters().items()
              if param.cli and p not in REGISTRY[name].parameters()]
    pname = others[0]
    constraint = registry.all_parameters()[pname].constraint
    value = str(constraint.values[0]) if isinstance(constraint, Options) else "1"   # a value the option accepts
    flag = f"--{pname.replace('_', '-')}"
    args = ["train", "--method", name, "-o", str(tmp_path / "out")]
    args += [flag] if isinstance(registry.all_parameters()[pname].constraint, Boolean) else [flag, value]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"{flag} does not apply to --method {name}" in result.output
    assert not (tmp_path / "out").exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("flag,value,rule", [("--alpha", "nan", "finite"), ("--window", "0", "in [1, 10,000]"),
                                             ("--dim", "2.5", "not an integer"), ("--output", "both", "one of")])
def test_train_option_values_are_checked_by_the_declared_rule(flag, value, rule, tmp_path):
    method = "glove" if flag == "--output" else "sgns"
    result = CliRunner().invoke(cli, ["train", "--method", method, flag, value, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and rule in result.output and flag in result.output
    assert not list(tmp_path.iterdir())


def test_cli_args_round_trip_through_the_train_command():
    args = registry.cli_args({"cbow_dim": 8, "cbow_mean": False, "alpha": 0.5})
    assert args == ["--cbow-dim", "8", "--no-cbow-mean", "--alpha", "0.5"]


@pytest.mark.parametrize("fails", [False, "raise RuntimeError('boom')", "raise SystemExit('a side failed')"])
def test_a_benchmark_run_with_results_writes_its_output_headed_by_command_and_revision(tmp_path, fails):
    import os
    import subprocess
    import sys
    script = tmp_path / "bench_toy.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(REPO / 'evals')!r})\nimport _bench\n"
                      "print('| a | b |')\n" + (f"{fails}\n" if fails else ""), encoding="utf-8")
    env = dict(os.environ, WORDLAB_RESULTS_DIR=str(tmp_path / "results"))
    r = subprocess.run([sys.executable, str(script), "--x", "1", "--results=toy"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.stdout == "| a | b |\n"
    written = tmp_path / "results" / "toy.md"
    if fails:
        assert r.returncode == 1 and not written.exists()
        return
    assert r.returncode == 0, r.stderr
    header, blank, body = written.read_text(encoding="utf-8").split("\n", 2)
    assert header.startswith("`python evals/bench_toy.py --x 1`,") and "revision" in header and blank == ""
    assert body == "| a | b |\n"
