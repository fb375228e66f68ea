"""The contract's command line, run for real in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nlp_assises.datasets import load_labelled

COMMANDS = ("clean", "classify", "train", "evaluate", "cluster", "run", "report", "serve")


def cli(*args, env, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "nlp_assises.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_every_contract_command(cli_env):
    result = cli("--help", env=cli_env)
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
    for command in COMMANDS:
        assert cli(command, "--help", env=cli_env).returncode == 0


@pytest.fixture
def small_input(tmp_path):
    rows = [
        {"id": r["id"], "text": r["text"], "themes": r["themes"]}
        for r in load_labelled("test")[:40]
    ]
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    return path


@pytest.mark.slow
def test_clean_and_classify(small_input, tmp_path, cli_env):
    assert cli("clean", small_input, "-o", tmp_path / "c.jsonl", env=cli_env).returncode == 0
    rows = [json.loads(x) for x in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert len(rows) == 40 and {"id", "text", "original", "repairs"} <= set(rows[0])
    assert cli("classify", small_input, "-o", tmp_path / "k.jsonl", env=cli_env).returncode == 0
    rows = [json.loads(x) for x in (tmp_path / "k.jsonl").read_text().splitlines()]
    assert {"id", "scores", "labels", "primary", "needs_review", "model_version"} <= set(rows[0])
    assert all(abs(sum(r["scores"].values())) > 0 for r in rows)


@pytest.mark.slow
def test_train_then_evaluate_with_that_model(small_input, tmp_path, cli_env):
    scheme = tmp_path / "scheme.toml"
    from importlib import resources

    scheme.write_text(
        (resources.files("nlp_assises") / "schemes" / "assises-2020.toml").read_text()
    )
    train = tmp_path / "train.jsonl"
    train.write_text(
        "\n".join(
            json.dumps({"text": r["text"], "themes": r["themes"]}, ensure_ascii=False)
            for r in load_labelled("train")
        )
    )
    result = cli("train", train, "--scheme", scheme, "-o", tmp_path / "model", env=cli_env)
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert card["training"]["n"] == len(load_labelled("train")) and "embedder_id" in card
    result = cli("evaluate", small_input, "--model", tmp_path / "model", "--json", env=cli_env)
    metrics = json.loads(result.stdout)
    assert {"n", "accuracy", "macro_f1", "per_theme", "multilabel_f1"} <= set(metrics)
    assert metrics["n"] == 40


@pytest.mark.slow
def test_cluster_writes_the_contract_files(tmp_path, cli_env):
    rows = [{"id": r["id"], "text": r["text"]} for r in load_labelled("train")[:300]]
    rows += [{"id": f"na-{i}", "text": t} for i, t in enumerate(["RAS", "Voir ci-dessus.", "?"])]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    result = cli("cluster", path, "-o", tmp_path / "out", env=cli_env)
    assert result.returncode == 0, result.stderr
    clusters = json.loads((tmp_path / "out" / "clusters.json").read_text())
    assert clusters
    assert cli("clean", path, "-o", tmp_path / "clean.jsonl", env=cli_env).returncode == 0
    cleaned = {
        r["id"]: r["text"]
        for r in map(json.loads, (tmp_path / "clean.jsonl").read_text().splitlines())
    }
    for c in clusters:
        assert {"id", "theme", "label", "keywords", "size", "contributions", "quotes"} <= set(c)
        assert 3 <= len(c["quotes"]) <= 5 or len(c["quotes"]) == len(set(c["contributions"]))
        for q in c["quotes"]:  # verbatim spans of the cleaned text
            source = cleaned[q["contribution_id"]]
            assert source[q["start"] : q["start"] + len(q["text"])] == q["text"]
    rows = [
        json.loads(x) for x in (tmp_path / "out" / "assignments.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 303 and {"id", "labels", "proposals", "substantive"} <= set(rows[0])
    apart = {r["id"] for r in rows if not r["substantive"]}
    assert apart == {"na-0", "na-1", "na-2"}  # non-answers: in no proposal
    assert not apart & {i for c in clusters for i in c["contributions"]}
    assert all(r["proposals"] == [] for r in rows if r["id"] in apart)


@pytest.mark.slow
def test_cluster_no_themes_on_one_open_question(tmp_path, cli_env):
    """`cluster --no-themes --question …` on ~150 answers to one question (real ones when
    ../shared is there): no classifier, theme null, non-answers apart, no Assises proposal, no
    keyword made of the question's words alone."""
    from tests.test_open_question import QUESTION, check_open_question_output, open_question_rows

    rows, apart = open_question_rows()
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    out = tmp_path / "out"
    result = cli("cluster", path, "-o", out, "--no-themes", "--question", QUESTION, env=cli_env)
    assert result.returncode == 0, result.stderr
    assert f"{len(apart)} non-answers set apart" in result.stderr
    clusters = json.loads((out / "clusters.json").read_text())
    lines = (out / "assignments.jsonl").read_text().splitlines()
    check_open_question_output(clusters, [json.loads(x) for x in lines], rows, apart)
    asked = {"pouvoir", "pouvoirs", "public", "publics", "incivilité", "incivilités"}
    assert not any(set(k.split()) <= asked for c in clusters for k in c["keywords"])


@pytest.mark.slow  # a subprocess importing the CLI: a few seconds
def test_cluster_no_themes_refuses_a_model(tmp_path, cli_env):
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"text": "Plus de patrouilles le soir."}))
    result = cli(
        "cluster", path, "-o", tmp_path / "out", "--no-themes", "--model", tmp_path, env=cli_env
    )
    assert result.returncode != 0 and "exclude each other" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"\x00\x01binary\x00", "binary"),
        (b"nom;age\nx;3\n", "no text column"),
        (b'{"text": "caf\xe9"}', "invalid UTF-8"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, cli_env, content, expected):
    path = tmp_path / ("in.csv" if b";" in content else "in.jsonl")
    path.write_bytes(content)
    result = cli("classify", path, "-o", tmp_path / "out.jsonl", env=cli_env)
    assert result.returncode != 0
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "out.jsonl").exists()
    run = cli("run", path, env=cli_env)
    assert run.returncode != 0 and not (tmp_path / "var" / "nlp_assises.db").exists()


def _usage_error(result, message: str) -> None:
    """A command-line mistake: exit 2, the usage line, one error line, never a crash report."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Usage: nlp-assises"), result.stderr
    errors = [line for line in lines if line.startswith("nlp-assises: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_option_is_a_usage_error_with_the_closest_option(tmp_path, cli_env):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "Plus de patrouilles."}\n')
    result = cli("cluster", path, "-o", tmp_path / "out", "--modl", "m", env=cli_env)
    _usage_error(result, "No such option: --modl")
    assert "Did you mean --model?" in result.stderr
    assert "Usage: nlp-assises cluster" in result.stderr
    # nothing close: no suggestion, the same usage error
    result = cli("cluster", path, "-o", tmp_path / "out", "--bogus", env=cli_env)
    _usage_error(result, "No such option: --bogus")
    assert "Did you mean" not in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cluster",), "Missing argument"),
        (("keys", "create"), "Missing argument"),
        (("clustr", "x.jsonl"), "No such command 'clustr'. Did you mean 'cluster'?"),
        (("serve", "--port", "abc"), "Invalid value for '--port'"),
        (("keys", "revoke", "first"), "Invalid value for"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_line(cli_env, args, message):
    _usage_error(cli(*args, env=cli_env), message)


def test_a_real_failure_is_still_an_unexpected_error(tmp_path, cli_env):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    env = dict(cli_env, NLP_ASSISES_DATA_DIR=str(not_a_folder / "var"))
    result = cli("keys", "list", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("nlp-assises: unexpected error: NotADirectoryError")
    assert "Usage:" not in result.stderr and "Traceback" not in result.stderr
    assert "Traceback" in cli("keys", "list", env=dict(env, NLP_ASSISES_DEBUG="1")).stderr
