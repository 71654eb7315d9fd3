"""Faults survived: kill -9 anywhere in a training run, damaged checkpoints, two writers,
stale locks and partial files, a full disk, divergence, and the CLI's failure lines.

The kills are real (SIGKILL of a ``wordlab train`` subprocess), placed either at named
fault points (``WORDLAB_FAULT``, see wordlab/_faults.py) or at random moments, and every
interrupted run is resumed and compared bit for bit with an uninterrupted one-worker run.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import wordlab
from wordlab import Embeddings
from wordlab.atomic import atomic_directory, exclusive, lock_path
from wordlab.cli.main import cli
from wordlab.errors import (CheckpointError, DiskFullError, LockedError, OutputExistsError, ParameterError,
                            TrainingDivergedError)
from wordlab.trainers import Word2Vec
from wordlab.trainers.registry import REGISTRY, cli_args

COMMON = ["--min-count", "1", "--workers", "1", "--no-progress"]
# each method's small settings, and seed 3 where there is a seed (Bit-cipher has none)
METHODS = {name: cli_args({**m.small, **({"seed": 3} if "seed" in m.parameters() else {})})
           for name, m in REGISTRY.items()}
# Fault points in the order a run reaches them; each step resumes what the last one left.
CHAIN = ["train.subchunk:1", "checkpoint.weight-copied:1", "checkpoint.before-rename:1", "checkpoint.renamed:1",
         "train.epoch-done:1", "train.output-written", "train.before-publish", "atomic.exchanged",
         "atomic.discarding"]
ONE_EPOCH_CHAIN = ["checkpoint.weight-copied:2", "checkpoint.renamed:1", "train.output-written",
                   "train.before-publish", "train.published", "atomic.discarding"]


def write_corpus(path: Path, n_lines: int = 3000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(300)])
    p = np.arange(1, 301) ** -1.0
    p /= p.sum()
    path.write_text("\n".join(" ".join(rng.choice(words, size=12, p=p)) for _ in range(n_lines)) + "\n")
    return path


def wordlab_cmd(args, fault: str | None = None, timeout: float = 300, **popen) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("WORDLAB_FAULT", None)
    if fault:
        env["WORDLAB_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "wordlab.cli.main", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, **popen)


def store_files(path: Path) -> dict:
    """What must be equal between two runs: every array, the vocabulary, the losses."""
    out = {p.name: np.load(p) for p in sorted(path.glob("*.npy"))}
    out["vocab.tsv"] = (path / "vocab.tsv").read_text()
    meta = json.loads((path / "meta.json").read_text())
    out["loss_history"] = meta["loss_history"]
    return out


def assert_same_store(a: Path, b: Path) -> None:
    fa, fb = store_files(a), store_files(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        if isinstance(fa[key], np.ndarray):
            assert np.array_equal(fa[key], fb[key]), key          # bit for bit (NaN-free)
        else:
            assert fa[key] == fb[key], key


def partials(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name.endswith(".partial"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("faults") / "c.txt")


# -- 1. kill -9 anywhere, resume, compare ------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("method", list(METHODS))
def test_kill_anywhere_then_resume_equals_an_uninterrupted_run(method, corpus, tmp_path):
    """A chain of kills, each at a later fault point, over an existing store replaced with
    --overwrite: after every kill OUT is the old complete store or the new one (never
    absent, never a mix), and the last resume gives the uninterrupted run's store."""
    args = ["train", corpus, "--method", method, *METHODS[method], *COMMON]
    ref = tmp_path / "ref"
    done = CliRunner().invoke(cli, [*map(str, args), "-o", str(ref)])
    assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    old = Embeddings(["old", "store"], np.full((2, 3), 7.0, np.float32)).save(out)
    chain = ONE_EPOCH_CHAIN if method == "bitcipher" else CHAIN
    killed = 0
    for i, fault in enumerate(chain):
        r = wordlab_cmd([*args, "-o", out, "--overwrite", *(["--resume"] if i else [])], fault=fault)
        assert r.returncode in (0, -signal.SIGKILL), (fault, r.stderr)
        killed += r.returncode == -signal.SIGKILL
        words = wordlab.load(out).words          # OUT always opens: the old store or the new
        assert words == ["old", "store"] or words == wordlab.load(ref).words, fault
    assert killed >= len(chain) - 2, "most fault points should have been reached"
    r = wordlab_cmd([*args, "-o", out, "--overwrite", "--resume"])
    assert r.returncode == 0, r.stderr
    assert_same_store(ref, out)
    assert not (tmp_path / ".out.training").exists()
    assert partials(tmp_path) == []
    del old


@pytest.mark.slow
def test_kill_at_random_moments_then_resume(tmp_path):
    """Kills by a timer (mid-epoch, in a checkpoint, in the final write: wherever they
    land), each followed by --resume: the result equals the uninterrupted run."""
    corpus = write_corpus(tmp_path / "big.txt", n_lines=40_000, seed=1)
    args = ["train", corpus, "--method", "cbow", "--dim", "32", "--epochs", "4", *COMMON]
    ref = tmp_path / "ref"
    assert CliRunner().invoke(cli, [*map(str, args), "-o", str(ref)]).exit_code == 0
    started = time.time()
    assert wordlab_cmd([*args, "-o", tmp_path / "timing"]).returncode == 0
    duration = time.time() - started
    rng = np.random.default_rng(7)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "WORDLAB_FAULT"}
    for delay in rng.uniform(0.2, 1.0, size=4) * duration:
        proc = subprocess.Popen([sys.executable, "-m", "wordlab.cli.main", *map(str, args), "-o", str(out),
                                 "--resume"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr.read()
        proc.stderr.close()
        if out.exists():
            assert wordlab.load(out).words == wordlab.load(ref).words
    r = wordlab_cmd([*args, "-o", out, "--resume"])
    assert r.returncode == 0, r.stderr
    assert_same_store(ref, out)


# -- 2. damaged checkpoints ------------------------------------------------------------------------------
def _interrupted_run(corpus: Path, out: Path) -> Path:
    r = wordlab_cmd(["train", corpus, *METHODS["sgns"], *COMMON, "-o", out], fault="train.epoch-done:2")
    assert r.returncode == -signal.SIGKILL
    work = out.parent / f".{out.name}.training"
    assert [p.name for p in (work / "checkpoints").iterdir()] == ["epoch-0001"]
    return work / "checkpoints" / "epoch-0001"


def test_damaged_checkpoint_is_refused(corpus, tmp_path):
    out = tmp_path / "out"
    ckpt = _interrupted_run(corpus, out)
    weights = ckpt / "vectors.npy"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x40                     # one flipped bit in the last row
    weights.write_bytes(bytes(data))
    r = wordlab_cmd(["train", corpus, *METHODS["sgns"], *COMMON, "-o", out, "--resume"])
    assert r.returncode == 1 and not out.exists()
    assert r.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "vectors.npy is damaged" in r.stderr and "checksum" in r.stderr
    # --overwrite starts again (and succeeds)
    r = wordlab_cmd(["train", corpus, *METHODS["sgns"], *COMMON, "-o", out, "--overwrite"])
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("damage", ["state-json", "truncated-weight", "wrong-epoch", "other-run"])
def test_checkpoint_damage_is_named(corpus, tmp_path, damage):
    out = tmp_path / "out"
    ckpt = _interrupted_run(corpus, out)
    state = json.loads((ckpt / "state.json").read_text())
    if damage == "state-json":
        (ckpt / "state.json").write_text('{"epochs_done": 1, "hist')
    elif damage == "truncated-weight":
        (ckpt / "context_vectors.npy").write_bytes((ckpt / "context_vectors.npy").read_bytes()[:-100])
    elif damage == "wrong-epoch":
        (ckpt / "state.json").write_text(json.dumps({**state, "epochs_done": 2}))
    else:
        (ckpt / "state.json").write_text(json.dumps({**state, "run_id": "0" * 32}))
    with pytest.raises(CheckpointError):
        Word2Vec(method="sgns", dim=12, epochs=3, window=3, min_count=1, workers=1, seed=3,
                 progress=False).fit(wordlab.Corpus(corpus), out, resume=True)
    assert not out.exists() and ckpt.is_dir()          # nothing lost: the run is still there


# -- 3. two writers, stale locks -----------------------------------------------------------------------------
def test_a_second_writer_is_refused_with_the_holders_name(corpus, tmp_path):
    big = write_corpus(tmp_path / "big.txt", n_lines=60_000, seed=2)
    out = tmp_path / "X"
    args = ["train", big, "--method", "sgns", "--dim", "64", "--epochs", "3", *COMMON, "-o", out, "--overwrite"]
    # The first writer stops itself after its first epoch, holding the lock, until SIGCONT.
    env = {k: v for k, v in os.environ.items() if k != "WORDLAB_FAULT"} | {"WORDLAB_FAULT": "train.epoch-done:1:stop"}
    first = subprocess.Popen([sys.executable, "-m", "wordlab.cli.main", *map(str, args)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while Path(f"/proc/{first.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
            assert first.poll() is None, first.stderr.read()
            assert time.time() < deadline
            time.sleep(0.05)
        second = wordlab_cmd(args)
        assert second.returncode == 1, second.stderr
        line = second.stderr.strip().splitlines()[-1]
        assert line.startswith("Error: ") and f"process {first.pid}" in line and "being written" in line
        first.send_signal(signal.SIGCONT)
        assert first.wait(timeout=300) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
        first.stderr.close()
    emb = wordlab.load(out)
    assert emb.meta["params"]["dim"] == 64 and len(emb.meta["history"]) == 3
    assert not lock_path(out).exists()


def test_lock_in_process_and_stale_lock_taken_over(tmp_path):
    target = tmp_path / "store"
    with exclusive(target):
        assert lock_path(target).exists()
        holder = json.loads(lock_path(target).read_text())
        assert holder["pid"] == os.getpid()
        # another writer (here: a thread of this process) is refused, naming the holder
        import threading
        caught = []
        t = threading.Thread(target=lambda: caught.append(_try_save(target)))
        t.start()
        t.join()
        assert isinstance(caught[0], LockedError) and f"process {os.getpid()}" in str(caught[0])
    assert not lock_path(target).exists()
    # a lock file left by a killed process: the kernel released its lock, so it is stale
    code = ("import os, sys; from wordlab.atomic import exclusive\n"
            f"with exclusive({str(target)!r}):\n    os.kill(os.getpid(), 9)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert r.returncode == -signal.SIGKILL and lock_path(target).exists()
    Embeddings(["a"], [[1.0, 2.0]]).save(target)
    assert wordlab.load(target).words == ["a"] and not lock_path(target).exists()


def _try_save(target: Path):
    try:
        Embeddings(["b"], [[1.0, 2.0]]).save(target)
    except LockedError as e:
        return e
    return None


def test_concurrent_cache_writers_share_one_entry(corpus, tmp_path):
    """Two processes encoding the same corpus at once: one writes the cache entry, the
    other waits for it and reuses it; both succeed with the same encoding."""
    big = write_corpus(tmp_path / "big.txt", n_lines=80_000, seed=3)
    env = {k: v for k, v in os.environ.items() if k != "WORDLAB_FAULT"}
    cmd = [sys.executable, "-m", "wordlab.cli.main", "corpus", "encode", str(big), "--min-count", "1"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    entries = [p for p in (Path(os.environ["WORDLAB_CACHE"]) / "corpora").iterdir() if p.is_dir()]
    assert len(entries) == 1
    assert outs[0][0] == outs[1][0]                   # the same repr: same entry, same counts
    assert partials(Path(os.environ["WORDLAB_CACHE"])) == []


# -- 4. stale partials ------------------------------------------------------------------------------------
def test_partials_of_a_killed_writer_are_cleaned_on_the_next_write(tmp_path):
    target = tmp_path / "s"
    code = ("import os, numpy as np\nfrom wordlab import Embeddings\nimport wordlab.atomic as A\n"
            "A.fault_point = lambda name: os.kill(os.getpid(), 9) if name == 'atomic.directory-complete' else None\n"
            f"Embeddings(['a'], np.ones((1, 2))).save({str(target)!r})\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert r.returncode == -signal.SIGKILL
    assert not target.exists() and len(partials(tmp_path)) == 1
    # `wordlab cache clean --partials DIR` finds it (dry run), and the next write removes it
    res = CliRunner().invoke(cli, ["cache", "clean", "--dry-run", "--partials", str(tmp_path)])
    assert res.exit_code == 0 and "would remove stale partial" in res.output
    assert len(partials(tmp_path)) == 1
    Embeddings(["b"], np.ones((1, 2))).save(target)
    assert partials(tmp_path) == [] and wordlab.load(target).words == ["b"]


def test_partials_of_a_live_writer_are_left_alone(tmp_path):
    target = tmp_path / "s"
    with atomic_directory(target) as tmp:
        (tmp / "x").write_text("being written")
        res = CliRunner().invoke(cli, ["cache", "clean", "--partials", str(tmp_path)])
        assert res.exit_code == 0 and tmp.is_dir()
    assert target.is_dir()


# -- 5. a full disk ------------------------------------------------------------------------------------------
def test_reservation_failure_is_one_error_naming_path_and_bytes(tmp_path, monkeypatch):
    from wordlab.npyio import create_npy

    def full(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(DiskFullError, match=r"big\.npy: no space left on device \(3\.7 GiB needed\)"):
        create_npy(tmp_path / "big.npy", np.float32, (1_000_000, 1000))
    assert not (tmp_path / "big.npy").exists()


def _tmpfs_prefix(size: str) -> list[str] | None:
    """A command prefix that runs a shell with a private tmpfs at $MNT, or None."""
    if not shutil.which("unshare"):
        return None
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mkdir -p /tmp && mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "-rm", "sh", "-c"]


@pytest.mark.parametrize("case", ["convert", "train", "unit-vectors"])
def test_full_disk_on_a_small_tmpfs(tmp_path, case):
    """Real ENOSPC: outputs on a 2 MB tmpfs. One error line naming the path, exit 1, no
    SIGBUS, nothing left on the tmpfs."""
    prefix = _tmpfs_prefix("2m")
    if prefix is None:
        pytest.skip("cannot mount a private tmpfs here (no user namespaces)")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20_000)]
    src = tmp_path / "v.bin"
    Embeddings(words, rng.normal(size=(20_000, 50)).astype(np.float32)).save(src, format="word2vec-bin")  # 4 MB
    corpus = write_corpus(tmp_path / "c.txt")
    exe = f"{sys.executable} -m wordlab.cli.main"
    if case == "convert":
        command = f"{exe} convert {src} /mnt/store"
    elif case == "train":
        command = f"{exe} train {corpus} --min-count 1 --dim 1000 --epochs 1 --workers 1 --no-progress -o /mnt/run"
    else:   # the cache is the full disk: the import fits, the unit vectors do not
        small = tmp_path / "s.bin"
        Embeddings(words[:6000], rng.normal(size=(6000, 50)).astype(np.float32)).save(small, format="word2vec-bin")
        command = f"WORDLAB_CACHE=/mnt/cache {exe} neighbors {small} w1"
    script = (f"mount -t tmpfs -o size=2m tmpfs /mnt && {command}; rc=$?; "
              "echo LEFT: $(find /mnt -name '*.partial' -o -name '*.training' | wc -l); exit $rc")
    r = subprocess.run([*prefix, script], capture_output=True, text=True, timeout=300,
                       env={k: v for k, v in os.environ.items() if k != "WORDLAB_FAULT"})
    lines = [l for l in r.stderr.strip().splitlines() if l.startswith(("Error", "Internal"))]
    assert r.returncode == 1, r.stderr
    assert len(lines) == 1 and "no space left on device" in lines[0] and "/mnt/" in lines[0], r.stderr
    assert "LEFT: 0" in r.stdout


# -- 6. divergence and absurd parameters ------------------------------------------------------------------
class _Diverging(Word2Vec):
    def _train_epoch(self, epoch, report):
        result = super()._train_epoch(epoch, report)
        if epoch == 1:
            self._weights["vectors"][3, 0] = np.nan
        return result


def test_a_diverging_run_stops_and_keeps_the_last_good_checkpoint(corpus, tmp_path):
    out = tmp_path / "out"
    params = dict(dim=8, epochs=3, window=3, min_count=1, workers=1, seed=3, progress=False)
    with pytest.raises(TrainingDivergedError, match=r"epoch 2 of 3.*vectors.*checkpoint \(after epoch 1\)"):
        _Diverging(**params).fit(wordlab.Corpus(corpus), out)
    assert not out.exists()
    work = tmp_path / ".out.training"
    assert [p.name for p in (work / "checkpoints").iterdir()] == ["epoch-0001"]
    # a healthy trainer resumes from that checkpoint
    emb = Word2Vec(**params).fit(wordlab.Corpus(corpus), out, resume=True)
    assert np.isfinite(np.asarray(emb.vectors)).all() and len(emb.meta["history"]) == 3


@pytest.mark.parametrize("args, message", [
    (["--alpha", "1e6"], "alpha must be a finite number in (0, 1]"),
    (["--alpha", "inf"], "'inf' is not a finite number"),
    (["--alpha", "nan"], "'nan' is not a finite number"),
    (["--sample", "nan"], "'nan' is not a finite number"),
    (["--sample", "-1"], "sample must be"),
    (["--method", "glove", "--x-max", "inf"], "'inf' is not a finite number"),
    (["--method", "glove", "--x-max", "0"], "x_max must be a finite number > 0"),
    (["--method", "glove", "--learning-rate", "1e30"], "learning_rate must be a finite number in (0, 1]"),
    (["--method", "pu", "--rho", "-1"], "rho must be"),
    (["--min-count", "0"], "min_count must be an integer >= 1"),
    (["--workers", "0"], "workers must be an integer"),
    (["--dim", "100000000"], "dim must be an integer in [1, 100,000]"),
    (["--epochs", "1000000000"], "epochs must be an integer"),
    (["--method", "bitcipher", "--bits", "100000"], "bits must be an integer"),
    (["--method", "cmow", "--dim", "10"], "perfect square"),
])
def test_absurd_parameters_are_refused_before_any_work(corpus, tmp_path, args, message):
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["train", str(corpus), *args, "--no-progress", "-o", str(out)])
    assert r.exit_code in (1, 2), r.output
    name, said, rule = message.partition(" must be")   # the CLI says "Invalid value for '--name': ..."
    if not said:
        name, rule = "", message
    assert rule.strip() in r.output and name.replace("_", "-") in r.output, r.output
    assert not out.exists() and not (tmp_path / ".out.training").exists()


@pytest.mark.parametrize("args", [["bias", "direct", "S", "-c", "nan"], ["bias", "direct", "S", "-c", "inf"],
                                  ["debias", "hard", "S", "-o", "O", "--max-missing", "nan"]])
def test_nan_and_infinity_are_refused_by_every_float_option(args):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and "is not a finite number" in r.output, r.output


def test_library_refuses_nan_parameters_too():
    from wordlab.debias.measures import direct_bias
    from wordlab.debias.wordlists import Coverage
    with pytest.raises(ParameterError, match="c must be"):
        direct_bias(_E, np.ones(5), [f"w{i}" for i in range(10)], c=float("nan"))
    with pytest.raises(ParameterError, match="max_missing must be"):
        Coverage("words", [f"w{i}" for i in range(9)], ["zz"]).check(float("nan"))


def test_nonfinite_initial_vectors_are_refused(corpus, tmp_path):
    enc = wordlab.Corpus(corpus).encode(min_count=1)
    init = np.zeros((len(enc.vocab), 8), np.float32)
    init[0, 0] = np.inf
    with pytest.raises(ParameterError, match="init_vectors holds NaN or infinity"):
        Word2Vec(dim=8, min_count=1, progress=False).fit(enc, tmp_path / "o", init_vectors=init)


# -- 7. what a CLI user sees ---------------------------------------------------------------------------
def test_internal_error_says_it_is_a_bug_and_where_the_traceback_is(monkeypatch, tmp_path):
    import wordlab.store as store_mod

    def broken(*a, **k):
        raise ValueError("an invariant of ours broke")

    monkeypatch.setattr(store_mod, "load", broken)
    r = CliRunner().invoke(cli, ["info", "anything"])
    assert r.exit_code == 70
    lines = r.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Internal error (a bug in wordlab): ValueError: an invariant of ours broke")
    crash = Path(lines[0].split("the traceback is in ")[1].split(";")[0])
    assert crash.is_file() and "Traceback" in crash.read_text() and "an invariant of ours broke" in crash.read_text()
    assert "report it" in lines[0]
    debug = CliRunner().invoke(cli, ["--debug", "info", "anything"])
    assert isinstance(debug.exception, ValueError)


def test_user_errors_are_one_line_with_status_1(tmp_path):
    bad = tmp_path / "meta-list"
    bad.mkdir()
    (bad / "meta.json").write_text("[1, 2]")
    (bad / "vocab.tsv").write_text("a\t1\n")
    np.save(bad / "vectors.npy", np.ones((1, 2), np.float32))
    for args in (["info", str(tmp_path / "missing")], ["info", str(bad)], ["neighbors", str(bad), "zzz"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 1, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1 and r.output.startswith("Error: "), r.output


# -- 8. never replace what was not named ---------------------------------------------------------------
def _precious(path: Path) -> Path:
    path.mkdir()
    (path / "thesis.tex").write_text("years of work")
    return path


@pytest.mark.parametrize("command", ["convert", "encode", "procrustes", "train", "debias"])
def test_overwrite_never_replaces_a_directory_that_is_not_a_wordlab_output(command, corpus, tmp_path):
    store = Embeddings([f"w{i}" for i in range(50)], np.random.default_rng(0).normal(size=(50, 4))).save(
        tmp_path / "store")
    dest = _precious(tmp_path / "dest")
    argv = {"convert": ["convert", str(store), str(dest)],
            "encode": ["corpus", "encode", str(corpus), "--out", str(dest)],
            "procrustes": ["align", "procrustes", str(store), str(store), "--identical", "-o", str(dest)],
            "train": ["train", str(corpus), "--min-count", "1", "--epochs", "1", "--no-progress", "-o", str(dest)],
            "debias": ["debias", "hard", str(store), "-o", str(dest), "--pair", "w1,w2", "--method", "pair",
                       "--equalize", str(_pairs(tmp_path)), "--specific", str(_words(tmp_path))]}[command]
    for extra in ([], ["--overwrite"]):
        r = CliRunner().invoke(cli, argv + extra)
        assert r.exit_code == 1, r.output
        assert "already exists" in r.output or "not a wordlab output" in r.output, r.output
        assert sorted(p.name for p in dest.iterdir()) == ["thesis.tex"]
        assert (dest / "thesis.tex").read_text() == "years of work"


def _pairs(tmp_path: Path) -> Path:
    p = tmp_path / "pairs.txt"
    p.write_text("w3 w4\n")
    return p


def _words(tmp_path: Path) -> Path:
    p = tmp_path / "words.txt"
    p.write_text("w5\n")
    return p


def test_file_outputs_are_replaced_only_with_overwrite(tmp_path):
    store = Embeddings([f"w{i}" for i in range(50)], np.random.default_rng(0).normal(size=(50, 4))).save(
        tmp_path / "store")
    png = tmp_path / "figure.png"
    png.write_bytes(b"my figure")
    args = ["plot", "projection", str(store), "w1", "w2", "w3", "-o", str(png)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 1 and "already exists" in r.output and png.read_bytes() == b"my figure"
    r = CliRunner().invoke(cli, args + ["--overwrite"])
    assert r.exit_code == 0, r.output
    assert png.read_bytes().startswith(b"\x89PNG")
    # --overwrite never turns a directory into a file
    other = Embeddings(["x"], [[1.0, 2.0, 3.0, 4.0]]).save(tmp_path / "other")
    r = CliRunner().invoke(cli, ["convert", str(other), str(tmp_path / "store"), "--to", "word2vec", "--overwrite"])
    assert r.exit_code == 1 and "is a directory" in r.output
    assert wordlab.load(tmp_path / "store").words[0] == "w0"


@pytest.mark.parametrize("to", ["store", "word2vec"])
def test_converting_onto_itself_is_refused_and_changes_nothing(tmp_path, to):
    """(found by the fault suite: a store converted onto itself with --overwrite was
    rewritten, its meta.json changed)"""
    emb = Embeddings([f"w{i}" for i in range(5)], np.eye(5, dtype=np.float32))
    source = Path(emb.save(tmp_path / "s")) if to == "store" else tmp_path / "v.txt"
    if to != "store":
        emb.save(source, format="word2vec")
    before = {p.name: p.read_bytes() for p in Path(source).rglob("*") if p.is_file()} if Path(source).is_dir() \
        else {source.name: source.read_bytes()}
    r = CliRunner().invoke(cli, ["convert", str(source), str(source), "--to", to, "--overwrite"])
    assert r.exit_code == 2 and "same path" in r.output and len(r.output.strip().splitlines()) == 1
    after = {p.name: p.read_bytes() for p in Path(source).rglob("*") if p.is_file()} if Path(source).is_dir() \
        else {source.name: source.read_bytes()}
    assert after == before


def test_overwrite_replaces_a_store_in_one_step(tmp_path):
    old = Embeddings(["a"], [[1.0, 2.0]]).save(tmp_path / "s")
    with pytest.raises(OutputExistsError):
        Embeddings(["b"], [[1.0, 2.0]]).save(old)
    Embeddings(["b"], [[1.0, 2.0]]).save(old, overwrite=True)
    assert wordlab.load(old).words == ["b"]


# -- 9. the cache command ------------------------------------------------------------------------------
def test_cache_command_lists_and_cleans(corpus, tmp_path):
    cache = Path(os.environ["WORDLAB_CACHE"])
    wordlab.Corpus(corpus).encode(min_count=1)
    store = Embeddings(["a", "b"], [[1.0, 0.0], [0.0, 1.0]]).save(tmp_path / "s")
    wordlab.load(store).unit_vectors
    (cache / "runs").mkdir(parents=True)
    run = Embeddings(["r"], [[1.0]]).save(cache / "runs" / "sgns-1")
    debris = cache / "stores" / ".0123456789abcdef0123.4242-deadbeef.partial"
    debris.mkdir(parents=True)
    (debris / "vectors.npy").write_bytes(b"x" * 1000)
    runner = CliRunner()
    listing = runner.invoke(cli, ["cache", "list"])
    assert listing.exit_code == 0
    assert "corpora" in listing.output and "unit" in listing.output and "stale" in listing.output
    info = runner.invoke(cli, ["cache", "info"])
    assert info.exit_code == 0 and str(cache) in info.output
    # default: only debris goes
    r = runner.invoke(cli, ["cache", "clean"])
    assert r.exit_code == 0 and not debris.exists() and any((cache / "corpora").iterdir())
    # an entry being written is never removed; runs only when named
    entry = next(p for p in (cache / "corpora").iterdir() if p.is_dir())
    with exclusive(entry):
        r = runner.invoke(cli, ["cache", "clean", "--all"])
        assert r.exit_code == 0 and entry.is_dir()
    assert run.is_dir()
    r = runner.invoke(cli, ["cache", "clean", "--all"])
    assert not entry.exists() and run.is_dir() and not any((cache / "unit").glob("*.npy"))
    r = runner.invoke(cli, ["cache", "clean", "--kind", "runs"])
    assert not run.exists()


# -- 10. caches tied to content ------------------------------------------------------------------------
def test_an_imported_file_edited_in_place_is_read_again(tmp_path):
    """Same size, same mtime, other content: the import cache must not serve the old one."""
    path = tmp_path / "v.txt"
    Embeddings(["king", "queen"], [[1.0, 2.0], [3.0, 4.0]]).save(path, format="word2vec")
    assert wordlab.load(path)["queen"].tolist() == [3.0, 4.0]
    st = path.stat()
    path.write_bytes(path.read_bytes().replace(b"queen 3 4", b"queen 5 6"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert wordlab.load(path)["queen"].tolist() == [5.0, 6.0]


def test_a_store_opened_before_it_is_replaced_stays_one_store(tmp_path):
    """Opened, then replaced with --overwrite by another store of the same size: the
    open store's lazy reads (vocabulary, context vectors, unit vectors) still come
    from the store it opened, never half from the new one."""
    rng = np.random.default_rng(0)
    a = Embeddings(["a1", "a2", "a3"], rng.normal(size=(3, 4)).astype(np.float32))
    b = Embeddings(["b1", "b2", "b3"], rng.normal(size=(3, 4)).astype(np.float32))
    a._context = np.ones((3, 4), np.float32)
    b._context = np.zeros((3, 4), np.float32)
    path = a.save(tmp_path / "s")
    opened = wordlab.load(path)
    b.save(path, overwrite=True)
    assert opened.words == ["a1", "a2", "a3"]
    assert np.array_equal(np.asarray(opened.context_vectors), np.ones((3, 4)))
    np.testing.assert_allclose(opened.unit_vectors[0], a.vectors[0] / np.linalg.norm(a.vectors[0]), rtol=1e-6)
    assert wordlab.load(path).words == ["b1", "b2", "b3"]
    np.testing.assert_allclose(wordlab.load(path).unit_vectors[0], b.vectors[0] / np.linalg.norm(b.vectors[0]),
                               rtol=1e-6)


# -- 11. the Python API: only wordlab's errors -----------------------------------------------------------
_E = Embeddings([f"w{i}" for i in range(20)], np.random.default_rng(0).normal(size=(20, 5)))
_API_MISUSE = {
    "most_similar(123)": lambda: _E.most_similar(123),
    "most_similar([1.5])": lambda: _E.most_similar([1.5]),
    "most_similar topn=0": lambda: _E.most_similar("w1", topn=0),
    "most_similar restrict_vocab=-1": lambda: _E.most_similar("w1", restrict_vocab=-1),
    "analogy method": lambda: _E.analogy("w1", "w2", "w3", method="x"),
    "vector of another dim": lambda: _E.similar_by_vector(np.ones(3)),
    "duplicate words": lambda: Embeddings(["a", "a"], np.ones((2, 2))),
    "vectors of strings": lambda: Embeddings(["a"], [["x", "y"]]),
    "unknown trainer parameter": lambda: wordlab.trainers.make_trainer("sgns", foo=1),
    "dim of the wrong type": lambda: Word2Vec(dim="x").fit([["a", "b"]] * 10),
    "save format": lambda: _E.save("/nonexistent/x", format="hdf5"),
}


@pytest.mark.parametrize("case", list(_API_MISUSE))
def test_python_api_misuse_raises_wordlab_errors(case):
    with pytest.raises(wordlab.WordlabError):
        _API_MISUSE[case]()


@pytest.mark.parametrize("args", [["train", "--dim", "x"], ["train", "--dimm", "3"], ["nosuch"],
                                  ["align", "procrustes", "a", "b"]])
def test_usage_errors_are_one_line_with_status_2(args):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "--help" in lines[0], r.output


def test_a_run_killed_while_writing_its_first_file_is_resumable(corpus, tmp_path):
    """Found by the random-moment kills: a working directory that holds only the
    .partial of its run.json is a (young) wordlab run, not a stranger's directory."""
    out = tmp_path / "out"
    work = tmp_path / ".out.training"
    work.mkdir()
    (work / ".run.json.4242-deadbeef.partial").write_text('{"format": "wordlab-tr')
    params = dict(dim=8, epochs=1, window=3, min_count=1, workers=1, seed=3, progress=False)
    with pytest.raises(wordlab.WordlabError, match="an interrupted run exists"):
        Word2Vec(**params).fit(wordlab.Corpus(corpus), out)
    emb = Word2Vec(**params).fit(wordlab.Corpus(corpus), out, resume=True)
    assert len(emb.meta["history"]) == 1 and not work.exists()


# -- checkpoint schedule: fewer checkpoints, the same result ---------------------------------------------
def test_a_kill_while_the_last_checkpoint_takes_the_live_files_resumes_to_the_same_store(corpus, tmp_path):
    """After the last epoch the live weights are moved into the checkpoint, not copied:
    a kill between the two moves leaves them in a partial folder; resume trains the last
    epoch again from the checkpoint before it."""
    args = ["train", corpus, *METHODS["sgns"], *COMMON]           # 3 epochs, 2 weights
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert wordlab_cmd([*args, "-o", ref]).returncode == 0
    # checkpoints after epochs 0..3 copy or move 2 weights each: hit 7 is the last one's first
    r = wordlab_cmd([*args, "-o", out], fault="checkpoint.weight-copied:7")
    assert r.returncode == -signal.SIGKILL and not out.exists()
    work = tmp_path / ".out.training"
    assert not (work / "vectors.npy").exists()                     # moved into the partial folder
    assert [p.name for p in (work / "checkpoints").iterdir() if not p.name.startswith(".")] == ["epoch-0002"]
    r = wordlab_cmd([*args, "-o", out, "--resume"])
    assert r.returncode == 0, r.stderr
    assert_same_store(ref, out)
    assert not work.exists() and partials(tmp_path) == []


def test_a_run_without_checkpoints_resumes_from_the_start_to_the_same_store(corpus, tmp_path):
    """With checkpoints far apart only the last epoch writes one (the first state is
    redrawn from the seed): a kill before it loses the training done, not the result."""
    args = ["train", corpus, *METHODS["sgns"], *COMMON, "--checkpoint-interval", "1e9"]
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert wordlab_cmd([*args, "-o", ref]).returncode == 0
    r = wordlab_cmd([*args, "-o", out], fault="train.epoch-done:2")
    assert r.returncode == -signal.SIGKILL
    work = tmp_path / ".out.training"
    assert not (work / "checkpoints").exists() or not any((work / "checkpoints").iterdir())
    r = wordlab_cmd([*args, "-o", out, "--resume"])
    assert r.returncode == 0 and "no finished checkpoint; starting the run again" in r.stderr, r.stderr
    assert_same_store(ref, out)
    # the default schedule (small weights: every epoch) gives the same store
    default = tmp_path / "default"
    assert wordlab_cmd(["train", corpus, *METHODS["sgns"], *COMMON, "-o", default]).returncode == 0
    assert_same_store(ref, default)


@pytest.mark.parametrize("value", ["-1", "nan", "soon"])
def test_a_bad_checkpoint_interval_is_refused_in_one_line(corpus, tmp_path, value):
    r = wordlab_cmd(["train", corpus, *METHODS["sgns"], *COMMON, "-o", tmp_path / "o", "--checkpoint-interval",
                     value])
    assert r.returncode == 2 and "--checkpoint-interval" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()
