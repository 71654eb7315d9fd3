"""A projection of the Dask stages to a large corpus, from costs measured by bench_dask.py.

The model scales each stage's measured unit costs, and it does not fit any curves.

**Encoding:**
- Tasks: the count and encode passes cost ``c_tok`` seconds per raw token, spread over W workers.
- Merge: tasks join the partitions' word lists eight at a time (a tree), at ``c_merge`` seconds per
  entry of their inputs; the levels run one after another, each spread over the workers. The client then
  reads the corpus's list (its size from Heaps' law) at the same rate.
- Types per partition follow Heaps' law. β comes from the two scales measured: one partition, and the whole corpus.
- Join: the client renames the token shards into place and writes the offsets; its measured seconds,
  scaled by the tokens (it copies no token).

**Counting:**
- Each row task scans the whole corpus at ``c_scan`` seconds per token, measured on its own.
- The window work costs ``c_win`` seconds per corpus token, spread over all tasks.
- The number of tasks is the larger of 4 W and what the memory limit needs: 8 bytes per occurrence.
- Join: the client joins the pieces, 8 bytes per non-zero, at the bandwidth measured.

**PU-learning:**
- Set-up (once): tasks build the targets, weights and the transpose at ``c_prep`` seconds per non-zero,
  spread over W workers; the client's pass over the matrix (row, column and transpose sums) costs
  ``c_prep_client`` seconds per non-zero.
- Tasks: each half-iteration costs ``c_entry`` seconds per observed entry, spread over W workers.
- The client's phases per half-iteration are projected by their bytes, at the rates measured:
  - publish: the fixed side (its transpose) and the locks, n x (k + 2);
  - apply: the updated rows, n x (k + 2).
  The residuals never pass through the client, except into a checkpoint: ``ckpt_bw``, per checkpoint.
- The client's other work per iteration (the objective's Gram matrices, the check that the weights
  are finite, which reads the residuals' weight file) costs ``c_client`` seconds per entry.

**Memory:**
- Per worker: what its task holds, plus the idle worker process measured.
- The client: for PU-learning, the factors, the fixed side's transpose and its float64 copy for the
  Gram matrix, about 20 bytes per vocabulary word and factor column; nothing per non-zero.
"""
from __future__ import annotations

import math

GB = 1e9


def measured_costs(r: dict, n_workers: int, tokens: int, nnz: int, vocab: int, epochs: int, dim: int,
                   scan_s_per_token: float, text_bytes: int) -> dict:
    """Unit costs from one corpus's dask sides (``r``: stage -> side result)."""
    enc, cnt, pu = r["encode"], r["count"], r["pu"]
    count_tasks = [t for t in enc["tasks"] if t["function"] == "count_partition"]
    raw = sum(t["tokens"] for t in count_tasks)
    types_p = sum(t["types"] for t in count_tasks) / len(count_tasks)
    tokens_p = raw / len(count_tasks)
    total_types = enc["types_seen"]
    beta = (math.log(total_types / types_p) / math.log(raw / tokens_p)) if raw > tokens_p * 1.5 else 0.6
    row_tasks = cnt["tasks"]
    win = sum(t["seconds"] for t in row_tasks) - len(row_tasks) * tokens * scan_s_per_token
    phases = pu["client_phases"]
    update_tasks = [t for t in pu["tasks"] if t["function"] == "update_block"]
    half_tasks = sum(t["seconds"] for t in update_tasks)
    prep_tasks = sum(t["seconds"] for t in pu["tasks"] if t["function"] in ("prepare_words", "prepare_contexts"))
    width = dim + 2
    publish_bytes = epochs * 2 * (vocab * width * 4 + vocab * 4)
    apply_bytes = epochs * 2 * vocab * width * 4
    checkpoints = max(1, pu.get("residual_checkpoints") or 0)
    client_rest = pu["training_s"] - sum(phases.values())
    return {
        "c_tok": sum(t["seconds"] for t in enc["tasks"] if t["function"] in ("count_partition", "encode_partition"))
                 / raw,
        "bytes_per_token": text_bytes / raw,
        "heaps_beta": beta, "heaps_k": types_p / tokens_p ** beta,
        "c_merge": (sum(t["seconds"] for t in enc["tasks"] if t["function"] == "merge_word_lists")
                    / max(1.0, sum(t.get("input_types") or 0 for t in enc["tasks"]
                                   if t["function"] == "merge_word_lists"))),
        "heaps_total": (total_types, raw),
        "join_bw": 4 * tokens / max(enc["client_phases"]["join"], 1e-3),
        "c_scan": scan_s_per_token,
        "c_win": max(win, 0.0) / tokens,
        "count_join_bw": 8 * nnz / max(cnt["client_phases"]["join"], 1e-3),
        "c_entry": half_tasks / (2 * epochs * nnz),
        "c_prep": prep_tasks / nnz,
        "c_prep_client": phases.get("prepare", 0.0) / nnz,
        "publish_bw": publish_bytes / max(phases.get("publish", 0.0), 1e-3),
        "apply_bw": apply_bytes / max(phases.get("apply", 0.0), 1e-3),
        "ckpt_bw": checkpoints * 4 * nnz / max(phases.get("checkpoint", 0.0), 1e-3),
        "c_client": max(client_rest, 0.0) / (epochs * nnz),
        "worker_base_mb": min(w["peak_rss_mb"] for w in enc["workers"]),
    }


def project(c: dict, workers: int, n_tokens: float = 1e9, vocab: int = 1_000_000, nnz: float = 1e9,
            dim: int = 100, memory_limit: int = 1 << 30, partition_bytes: int = 64 << 20) -> dict:
    """Seconds, bytes and memory per stage for one cluster size (see module docstring)."""
    W = workers
    out: dict = {}
    # encoding
    tokens_p = partition_bytes / c["bytes_per_token"]
    parts = max(1.0, n_tokens / tokens_p)
    types_p = c["heaps_k"] * tokens_p ** c["heaps_beta"]
    # the tree: each level joins groups of 8 lists of the previous level's size, on the workers
    tree, lists, size = 0.0, parts, types_p
    while lists > 1:
        groups = math.ceil(lists / 8)
        joined = c["heaps_k"] * (n_tokens / groups) ** c["heaps_beta"]
        tree += c["c_merge"] * (lists / groups) * size * math.ceil(groups / W)
        lists, size = groups, joined
    enc_tasks = c["c_tok"] * n_tokens / W + tree
    enc_client = c["c_merge"] * size + 4 * n_tokens / c["join_bw"]    # the corpus's list, then the join
    out["encode"] = {"tasks_s": enc_tasks, "client_s": enc_client,
                     "moved_gb": (n_tokens * c["bytes_per_token"] + 12 * n_tokens + 8 * n_tokens) / GB,
                     "worker_mb": c["worker_base_mb"] + size * 150 / 1e6, "client_gb": size * 150 / GB}
    # counting
    room = memory_limit - 24 * vocab - memory_limit // 4
    n_tasks = max(4 * W, math.ceil(8 * n_tokens / max(room, 1)))
    cnt_tasks = (n_tasks * n_tokens * c["c_scan"] + n_tokens * c["c_win"]) / W
    cnt_join = 8 * nnz / c["count_join_bw"]
    out["count"] = {"tasks_s": cnt_tasks, "client_s": cnt_join, "tasks": n_tasks,
                    "moved_gb": (W * 4 * n_tokens + 3 * 8 * nnz) / GB,     # every worker reads the corpus once
                    "worker_mb": c["worker_base_mb"] + (8 * n_tokens / n_tasks + 24 * vocab + memory_limit / 4) / 1e6,
                    "worker_cache_gb": 4 * n_tokens / GB, "client_gb": 0.0}
    # PU-learning: the set-up once, then per iteration (two halves)
    width = dim + 2
    out["pu_setup"] = {"tasks_s": c["c_prep"] * nnz / W, "client_s": c["c_prep_client"] * nnz,
                       "moved_gb": (12 * nnz + 2 * 16 * nnz + 20 * nnz) / GB,   # the matrix, the pieces, the blocks
                       "worker_mb": c["worker_base_mb"] + nnz / (4 * W) * 48 / 1e6, "client_gb": 16 * vocab / GB}
    pu_tasks = 2 * c["c_entry"] * nnz / W
    pu_client = ((2 * vocab * width * 4 + 2 * vocab * 4) / c["publish_bw"] + 2 * vocab * width * 4 / c["apply_bw"]
                 + c["c_client"] * nnz)
    out["pu"] = {"tasks_s": pu_tasks, "client_s": pu_client, "checkpoint_s": 4 * nnz / c["ckpt_bw"],
                 "moved_gb": (2 * W * vocab * width * 4 + 48 * nnz) / GB,
                 "worker_mb": c["worker_base_mb"] + (vocab * width * 4 + nnz / (4 * W) * 40) / 1e6,
                 "client_gb": 20 * vocab * width / GB}
    for stage in out.values():
        stage["bottleneck"] = "client" if stage["client_s"] > stage["tasks_s"] else "workers"
    return out
